/**
 * What a simulated node answers over SSH: the commands on Jarvis's allowlist, and a few that an
 * operator types in a shell, with output shaped like a Proxmox VE 8 node's, drawn from the
 * simulator's state. Anything else is `bash: x: command not found`, exit 127.
 */
import { type ClusterSim } from '../cluster';
import { type SimGuest, type SimNode } from '../model';
import { nodeMemUsed, nodeRoot, uptimeSeconds } from '../stats';

export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number;
}

export interface NodeContext {
  readonly sim: ClusterSim;
  readonly node: SimNode;
  /** This node behaves as if lm-sensors were not installed. */
  readonly noSensors?: boolean;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

const ok = (stdout: string): CommandOutput => ({ stdout, stderr: '', code: 0 });
const fail = (stderr: string, code = 1): CommandOutput => ({ stdout: '', stderr, code });
const notFound = (program: string): CommandOutput => fail(`bash: ${program}: command not found\n`, 127);

const pad = (s: string | number, n: number) => String(s).padEnd(n);
const lpad = (s: string | number, n: number) => String(s).padStart(n);

function human(bytes: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 && unit > 0 ? value.toFixed(1) : Math.round(value)}${units[unit]}`;
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function uptimeWords(seconds: number): string {
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const parts: string[] = [];
  if (days >= 7) parts.push(`${Math.floor(days / 7)} week${days >= 14 ? 's' : ''}`);
  if (days % 7) parts.push(`${days % 7} day${days % 7 === 1 ? '' : 's'}`);
  if (hours) parts.push(`${hours} hour${hours === 1 ? '' : 's'}`);
  parts.push(`${minutes} minute${minutes === 1 ? '' : 's'}`);
  return `up ${parts.join(', ')}`;
}

function uptimeLine({ sim, node }: NodeContext): string {
  const s = uptimeSeconds(node.bootMs, sim.now());
  const days = Math.floor(s / 86_400);
  const hhmm = `${Math.floor((s % 86_400) / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}`;
  const load = node.loadavg.map((l) => l.toFixed(2)).join(', ');
  return ` ${clock(sim.now())} up ${days} days, ${lpad(hhmm, 5)},  1 user,  load average: ${load}\n`;
}

/** Slowly varying and hotter under load: idle base per board, +40 °C at full CPU, a 5-minute swell. */
export function nodeTemperatures(ctx: NodeContext): { packageC: number; cores: number[] } {
  const { node, sim } = ctx;
  const t = sim.now() / 1000;
  const base = 34 + (node.nodeid % 4) * 3 + node.cpu * 40 + 1.5 * Math.sin(t / 48 + node.nodeid);
  const coreCount = Math.min(node.cores, 8);
  const cores = Array.from({ length: coreCount }, (_, i) => round1(base - 2 + ((i * 7 + node.nodeid) % 5)));
  return { packageC: round1(Math.max(...cores) + 1), cores };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

function sensorsJson(ctx: NodeContext): string {
  const { packageC, cores } = nodeTemperatures(ctx);
  const nvme = { Adapter: 'PCI adapter', Composite: { temp1_input: round1(packageC - 8), temp1_max: 81.85 } };
  if (ctx.node.cpuModel.startsWith('AMD')) {
    const ccds = [0, 1].map((i) => Math.max(...cores.filter((_, c) => c % 2 === i)));
    return JSON.stringify(
      {
        'k10temp-pci-00c3': {
          Adapter: 'PCI adapter',
          Tctl: { temp1_input: packageC },
          Tccd1: { temp3_input: ccds[0] },
          Tccd2: { temp4_input: ccds[1] },
        },
        'nvme-pci-0100': nvme,
      },
      null,
      3,
    );
  }
  const coreFeatures = Object.fromEntries(
    cores.map((c, i) => [
      `Core ${i}`,
      { [`temp${i + 2}_input`]: c, [`temp${i + 2}_max`]: 80, [`temp${i + 2}_crit`]: 100 },
    ]),
  );
  return JSON.stringify(
    {
      'coretemp-isa-0000': {
        Adapter: 'ISA adapter',
        'Package id 0': { temp1_input: packageC, temp1_max: 80, temp1_crit: 100, temp1_crit_alarm: 0 },
        ...coreFeatures,
      },
      'acpitz-acpi-0': { Adapter: 'ACPI interface', temp1: { temp1_input: 27.8, temp1_crit: 119 } },
      'nvme-pci-0100': nvme,
    },
    null,
    3,
  );
}

function sensorsText(ctx: NodeContext): string {
  const { packageC, cores } = nodeTemperatures(ctx);
  if (ctx.node.cpuModel.startsWith('AMD'))
    return `k10temp-pci-00c3\nAdapter: PCI adapter\nTctl:         +${packageC.toFixed(1)}°C\n\n`;
  const lines = cores.map((c, i) => `${pad(`Core ${i}:`, 14)}+${c.toFixed(1)}°C  (high = +80.0°C, crit = +100.0°C)`);
  return `coretemp-isa-0000\nAdapter: ISA adapter\nPackage id 0:  +${packageC.toFixed(1)}°C  (high = +80.0°C, crit = +100.0°C)\n${lines.join('\n')}\n\n`;
}

function guestsOn(ctx: NodeContext, type: 'qemu' | 'lxc'): SimGuest[] {
  return ctx.sim.model.guests
    .filter((g) => g.node === ctx.node.name && g.type === type)
    .sort((a, b) => a.vmid - b.vmid);
}

function qmList(ctx: NodeContext): string {
  const head = `${lpad('VMID', 10)} ${pad('NAME', 20)} ${pad('STATUS', 10)} ${pad('MEM(MB)', 10)} ${pad('BOOTDISK(GB)', 12)} PID       \n`;
  return (
    head +
    guestsOn(ctx, 'qemu')
      .map(
        (g) =>
          `${lpad(g.vmid, 10)} ${pad(g.name, 20)} ${pad(g.status === 'running' ? 'running' : 'stopped', 10)} ${pad(g.maxmem / MiB, 10)} ${lpad((g.maxdisk / GiB).toFixed(2), 12)} ${pad(g.status === 'running' ? (g.pid ?? 0) : 0, 10)}\n`,
      )
      .join('')
  );
}

function pctList(ctx: NodeContext): string {
  return (
    `${pad('VMID', 10)} ${pad('Status', 10)} ${pad('Lock', 12)} ${pad('Name', 20)}\n` +
    guestsOn(ctx, 'lxc')
      .map((g) => `${pad(g.vmid, 10)} ${pad(g.status, 10)} ${pad(g.lock ?? '', 12)} ${pad(g.name, 20)}\n`)
      .join('')
  );
}

function guestStatus(ctx: NodeContext, type: 'qemu' | 'lxc', vmid: string, verbose: boolean): CommandOutput {
  const guest = ctx.sim.guest(Number(vmid));
  const what = type === 'qemu' ? 'VM' : 'CT';
  if (!guest || guest.type !== type || guest.node !== ctx.node.name)
    return fail(
      `Configuration file 'nodes/${ctx.node.name}/${type === 'qemu' ? 'qemu-server' : 'lxc'}/${vmid}.conf' does not exist\n`,
      2,
    );
  const status = guest.paused ? 'running' : guest.status;
  if (!verbose) return ok(`status: ${status}\n`);
  return ok(
    [
      `cpus: ${guest.cpus}`,
      `maxmem: ${guest.maxmem}`,
      `mem: ${Math.round(guest.mem)}`,
      `name: ${guest.name}`,
      `qmpstatus: ${guest.paused ? 'paused' : status}`,
      `status: ${status}`,
      `uptime: ${guest.status === 'running' ? uptimeSeconds(guest.startedAtMs, ctx.sim.now()) : 0}`,
      `vmid: ${guest.vmid}`,
      '',
    ].join('\n') + (what === 'VM' ? '' : ''),
  );
}

function free(ctx: NodeContext, human_: boolean): string {
  const total = ctx.node.maxmem;
  const used = nodeMemUsed(ctx.sim.model, ctx.node);
  const cache = Math.round(total * 0.08);
  const f = (n: number) => lpad(human_ ? human(n).replace(/([KMGT])$/, '$1i') : Math.round(n / MiB), 11);
  return (
    `${lpad('total', 18)}${lpad('used', 12)}${lpad('free', 12)}${lpad('shared', 12)}${lpad('buff/cache', 12)}${lpad('available', 12)}\n` +
    `Mem:    ${f(total)} ${f(used)} ${f(total - used - cache)} ${f(48 * MiB)} ${f(cache)} ${f(total - used)}\n` +
    `Swap:   ${f(ctx.node.swapTotal)} ${f(ctx.node.swapUsed)} ${f(ctx.node.swapTotal - ctx.node.swapUsed)}\n`
  );
}

function df(ctx: NodeContext, path: string | undefined): CommandOutput {
  const root = nodeRoot(ctx.sim.model, ctx.node);
  const rows: [string, number, number, string][] = [
    ['udev', 16 * GiB, 0, '/dev'],
    ['tmpfs', 3.2 * GiB, 2.1 * MiB, '/run'],
    ['/dev/mapper/pve-root', root.total, root.used, '/'],
    ['tmpfs', 16 * GiB, 46 * MiB, '/dev/shm'],
    ['/dev/nvme0n1p2', 1022 * MiB, 12 * MiB, '/boot/efi'],
    ['/dev/fuse', 128 * MiB, 36 * 1024, '/etc/pve'],
  ];
  const pick = path === undefined ? rows : rows.filter((r) => r[3] === path);
  const shown = pick.length ? pick : path?.startsWith('/') ? [rows[2] as (typeof rows)[number]] : [];
  const lines = shown.map(
    ([fs, size, used, mount]) =>
      `${pad(fs, 21)}${lpad(human(size), 5)} ${lpad(human(used), 5)} ${lpad(human(size - used), 5)} ${lpad(`${Math.round((used / size) * 100)}%`, 4)} ${mount}`,
  );
  return ok(`Filesystem           Size  Used Avail Use% Mounted on\n${lines.join('\n')}\n`);
}

const UNIT_DESCRIPTIONS: Readonly<Record<string, string>> = {
  pveproxy: 'PVE API Proxy Server',
  pvedaemon: 'PVE API Daemon',
  pvestatd: 'PVE Status Daemon',
  'pve-cluster': 'The Proxmox VE cluster filesystem',
  corosync: 'Corosync Cluster Engine',
  'pve-ha-lrm': 'PVE Local HA Resource Manager Daemon',
  'pve-ha-crm': 'PVE Cluster HA Resource Manager Daemon',
  chrony: 'chrony, an NTP client/server',
  ssh: 'OpenBSD Secure Shell server',
  'pve-firewall': 'Proxmox VE firewall',
  pvescheduler: 'Proxmox VE scheduler',
  cron: 'Regular background program processing daemon',
};

/** The units every simulated node runs (and the service-down fault can stop). */
export const SIM_UNITS: readonly string[] = Object.freeze(Object.keys(UNIT_DESCRIPTIONS));

function systemctl(ctx: NodeContext, args: readonly string[]): CommandOutput {
  const [verb, rawUnit] = args;
  const { sim, node } = ctx;
  const down = (u: string) => sim.faults.servicesDown.some((d) => d.node === node.name && d.unit === u);
  if (verb === '--failed') {
    const failed = sim.faults.servicesDown.filter((d) => d.node === node.name);
    return ok(
      '  UNIT LOAD ACTIVE SUB DESCRIPTION\n' +
        failed.map((d) => `● ${d.unit}.service loaded failed failed ${UNIT_DESCRIPTIONS[d.unit] ?? ''}\n`).join('') +
        `${failed.length} loaded units listed.\n`,
    );
  }
  if (rawUnit === undefined) return fail('Too few arguments.\n');
  const unit = rawUnit.replace(/\.service$/, '');
  const known = unit in UNIT_DESCRIPTIONS;
  const active = known && !down(unit);
  switch (verb) {
    case 'is-active':
      return active ? ok('active\n') : { stdout: known ? 'failed\n' : 'inactive\n', stderr: '', code: 3 };
    case 'is-enabled':
      return known
        ? ok('enabled\n')
        : fail(`Failed to get unit file state for ${unit}.service: No such file or directory\n`);
    case 'is-failed':
      return active || !known ? { stdout: known ? 'active\n' : 'inactive\n', stderr: '', code: 1 } : ok('failed\n');
    case 'restart':
      if (!known) return fail(`Failed to restart ${unit}.service: Unit ${unit}.service not found.\n`, 5);
      sim.faults.servicesDown = sim.faults.servicesDown.filter((d) => !(d.node === node.name && d.unit === unit));
      // The audit record of state changes: a restart over SSH is one, like a PVE call that changed state.
      sim.ledger.record(
        { method: 'SSH', path: `systemctl restart ${unit}`, node: node.name, action: 'restart-service' },
        sim.now(),
      );
      return ok('');
    case 'status': {
      if (!known) return fail(`Unit ${unit}.service could not be found.\n`, 4);
      if (!active)
        return {
          stdout: [
            `× ${unit}.service - ${UNIT_DESCRIPTIONS[unit]}`,
            `     Loaded: loaded (/lib/systemd/system/${unit}.service; enabled; preset: enabled)`,
            `     Active: failed (Result: signal) since ${new Date(sim.now()).toUTCString()}`,
            '',
          ].join('\n'),
          stderr: '',
          code: 3,
        };
      const since = new Date(ctx.node.bootMs + 20_000);
      return ok(
        [
          `● ${unit}.service - ${UNIT_DESCRIPTIONS[unit]}`,
          `     Loaded: loaded (/lib/systemd/system/${unit}.service; enabled; preset: enabled)`,
          `     Active: active (running) since ${since.toUTCString()}; ${uptimeWords(uptimeSeconds(since.getTime(), ctx.sim.now())).slice(3)} ago`,
          `   Main PID: ${1000 + ctx.node.nodeid * 17 + unit.length} (${unit})`,
          `      Tasks: 4 (limit: 76969)`,
          `     Memory: ${40 + unit.length}.2M`,
          `        CPU: ${unit.length}min ${ctx.node.nodeid * 7}.512s`,
          '',
        ].join('\n'),
      );
    }
    default:
      return fail(`Unknown command verb ${verb}.\n`);
  }
}

function journal(ctx: NodeContext, unit: string | undefined, lines: number): string {
  const start = ctx.sim.now() - lines * 61_000;
  const host = ctx.node.name;
  const src = unit ?? 'kernel';
  const out: string[] = [];
  for (let i = 0; i < Math.min(lines, 20); i += 1) {
    const when = new Date(start + i * 61_000);
    const stamp = `${when.toUTCString().slice(8, 11)} ${when.toUTCString().slice(5, 7)} ${clock(when.getTime())}`;
    out.push(
      `${stamp} ${host} ${src}[${1000 + i}]: ${unit ? `${unit}: worker ${i + 1} finished` : 'audit: type=1400 apparmor="STATUS"'}`,
    );
  }
  return `${out.join('\n')}\n`;
}

function catFile(ctx: NodeContext, path: string): CommandOutput {
  const { node, sim } = ctx;
  switch (path) {
    case '/etc/hostname':
      return ok(`${node.name}\n`);
    case '/proc/loadavg':
      return ok(`${node.loadavg.map((l) => l.toFixed(2)).join(' ')} 1/612 ${node.nextPid}\n`);
    case '/proc/uptime': {
      const s = uptimeSeconds(node.bootMs, sim.now());
      return ok(`${s}.00 ${(s * node.maxcpu * 0.95).toFixed(2)}\n`);
    }
    case '/proc/version':
      return ok(
        `Linux version ${node.kernelRelease} (build@proxmox) (gcc (Debian 12.2.0-14) 12.2.0) ${node.kernelBuild}\n`,
      );
    case '/etc/debian_version':
      return ok('12.11\n');
    case '/etc/os-release':
      return ok(
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\nID=debian\n',
      );
    case '/proc/meminfo': {
      const kb = (n: number) => `${lpad(Math.round(n / 1024), 8)} kB`;
      const used = nodeMemUsed(sim.model, node);
      return ok(
        `MemTotal:       ${kb(node.maxmem)}\nMemFree:        ${kb(node.maxmem - used)}\nMemAvailable:   ${kb(node.maxmem - used)}\nSwapTotal:      ${kb(node.swapTotal)}\nSwapFree:       ${kb(node.swapTotal - node.swapUsed)}\n`,
      );
    }
    case '/proc/cpuinfo':
      return ok(
        Array.from(
          { length: node.maxcpu },
          (_, i) => `processor\t: ${i}\nmodel name\t: ${node.cpuModel}\ncpu MHz\t\t: ${node.mhz}\n`,
        ).join('\n'),
      );
    case '/etc/pve/.version':
      return ok(`${sim.model.configVersion}\n`);
    case '/proc/mdstat':
      return ok('Personalities : \nunused devices: <none>\n');
    default:
      return fail(`cat: ${path}: No such file or directory\n`);
  }
}

/** Runs one argv (already split into words) as the node would. */
export function runNodeCommand(ctx: NodeContext, argv: readonly string[]): CommandOutput {
  const [program, ...args] = argv;
  const { sim, node } = ctx;
  const a = args.join(' ');
  switch (program) {
    case undefined:
      return ok('');
    case 'hostname':
      return ok(a === '-f' ? `${node.name}.local\n` : `${node.name}\n`);
    case 'uptime':
      if (a === '-p') return ok(`${uptimeWords(uptimeSeconds(node.bootMs, sim.now()))}\n`);
      if (a === '-s') return ok(`${new Date(node.bootMs).toISOString().slice(0, 19).replace('T', ' ')}\n`);
      return ok(uptimeLine(ctx));
    case 'uname':
      if (a === '-r') return ok(`${node.kernelRelease}\n`);
      return ok(
        a === '-a' ? `Linux ${node.name} ${node.kernelRelease} ${node.kernelBuild} x86_64 GNU/Linux\n` : 'Linux\n',
      );
    case 'date':
      return ok(`${new Date(sim.now()).toUTCString().replace('GMT', 'UTC')}\n`);
    case 'nproc':
      return ok(`${node.maxcpu}\n`);
    case 'sensors':
      if (ctx.noSensors) return notFound('sensors');
      return ok(a === '-j' ? `${sensorsJson(ctx)}\n` : sensorsText(ctx));
    case 'free':
      return ok(free(ctx, a !== '-m'));
    case 'df':
      return a === '-i' ? df(ctx, undefined) : df(ctx, args[1]);
    case 'cat':
      return args[0] ? catFile(ctx, args[0]) : ok('');
    case 'pveversion':
      return ok(
        a === '-v'
          ? `proxmox-ve: ${node.pveversion.split('/')[1] ?? ''} (running kernel: ${node.kernelRelease})\n${node.pveversion}\n`
          : `${node.pveversion} (running kernel: ${node.kernelRelease})\n`,
      );
    case 'qm':
      if (args[0] === 'list') return ok(qmList(ctx));
      if (args[0] === 'status' && args[1]) return guestStatus(ctx, 'qemu', args[1], args[2] === '--verbose');
      return fail(`400 unable to parse command\nqm <COMMAND> [ARGS] [OPTIONS]\n`, 255);
    case 'pct':
      if (args[0] === 'list') return ok(pctList(ctx));
      if (args[0] === 'status' && args[1]) return guestStatus(ctx, 'lxc', args[1], false);
      return fail(`400 unable to parse command\npct <COMMAND> [ARGS] [OPTIONS]\n`, 255);
    case 'pvecm':
      if (args[0] === 'nodes')
        return ok(
          `\nMembership information\n----------------------\n    Nodeid      Votes Name\n${sim.model.nodes
            .filter((n) => sim.nodeOnline(n.name))
            .map((n) => `${lpad(n.nodeid, 10)} ${lpad(1, 10)} ${n.name}${n.name === node.name ? ' (local)' : ''}`)
            .join('\n')}\n`,
        );
      return ok(
        `Cluster information\n-------------------\nName:             ${sim.model.clusterName}\nConfig Version:   ${sim.model.configVersion}\nTransport:        knet\n\nVotequorum information\n----------------------\nExpected votes:   ${sim.model.nodes.length}\nTotal votes:      ${sim.model.nodes.filter((n) => sim.nodeOnline(n.name)).length}\nQuorate:          ${sim.quorate() ? 'Yes' : 'No'}\n`,
      );
    case 'ha-manager':
      return ok(
        `quorum ${sim.quorate() ? 'OK' : 'No quorum'}\nmaster ${sim.model.localNode} (active, ${new Date(sim.now()).toUTCString()})\n`,
      );
    case 'pvesm':
      return ok(
        `Name             Type     Status           Total            Used       Available        %\n` +
          sim.model.storages
            .filter((s) => s.nodes.includes(node.name))
            .map((s) => {
              const size = s.sizes[node.name] ?? { total: 0, used: 0 };
              const k = (n: number) => lpad(Math.round(n / 1024), 15);
              return `${pad(s.storage, 16)} ${pad(s.type, 8)} ${pad(s.enabled ? 'active' : 'disabled', 8)} ${k(size.total)} ${k(size.used)} ${k(size.total - size.used)} ${lpad(size.total ? ((size.used / size.total) * 100).toFixed(2) : '0.00', 7)}%`;
            })
            .join('\n') +
          '\n',
      );
    case 'systemctl':
      return systemctl(ctx, args);
    case 'journalctl': {
      const unit = args[0] === '-u' ? args[1] : undefined;
      const n = Number(args[args.indexOf('-n') + 1] ?? 10);
      return ok(journal(ctx, unit, Number.isFinite(n) ? n : 10));
    }
    case 'lscpu':
      return ok(
        `Architecture:            x86_64\nCPU(s):                  ${node.maxcpu}\nModel name:              ${node.cpuModel}\nSocket(s):               ${node.sockets}\nCore(s) per socket:      ${node.cores}\n`,
      );
    case 'lsblk':
      return ok(
        'NAME         MAJ:MIN RM   SIZE RO TYPE MOUNTPOINTS\nnvme0n1      259:0    0 931.5G  0 disk \n├─nvme0n1p1  259:1    0  1007K  0 part \n├─nvme0n1p2  259:2    0     1G  0 part /boot/efi\n└─nvme0n1p3  259:3    0 930.5G  0 part \n',
      );
    case 'ip':
      if (args.includes('route')) return ok(`default via 127.0.0.1 dev vmbr0 proto kernel onlink \n`);
      return ok(
        args.includes('link')
          ? 'lo               UNKNOWN        00:00:00:00:00:00 <LOOPBACK,UP,LOWER_UP> \nvmbr0            UP             bc:24:11:00:00:01 <BROADCAST,MULTICAST,UP,LOWER_UP> \n'
          : `lo               UNKNOWN        127.0.0.1/8 ::1/128 \nvmbr0            UP             ${node.ip}/24 \n`,
      );
    case 'ss':
      return ok(
        'State  Recv-Q Send-Q Local Address:Port Peer Address:Port\nLISTEN 0      4096         0.0.0.0:22        0.0.0.0:*\nLISTEN 0      4096               *:8006            *:*\n',
      );
    case 'timedatectl':
      return ok(
        `               Local time: ${new Date(sim.now()).toUTCString()}\n           Time zone: Etc/UTC (UTC, +0000)\nSystem clock synchronized: yes\n              NTP service: active\n`,
      );
    case 'chronyc':
      return ok(
        args[0] === 'sources'
          ? 'MS Name/IP address         Stratum Poll Reach LastRx Last sample\n===============================================================================\n^* time.cloudflare.com           3  10   377   512   +120us[ +141us] +/-   12ms\n'
          : 'Reference ID    : A29FC87B (time.cloudflare.com)\nStratum         : 4\nSystem time     : 0.000012345 seconds fast of NTP time\nLeap status     : Normal\n',
      );
    case 'zpool':
      return ok('no pools available\n');
    case 'zfs':
      return ok('no datasets available\n');
    case 'pvs':
      return ok('  PV             VG  Fmt  Attr PSize    PFree \n  /dev/nvme0n1p3 pve lvm2 a--  <930.51g 16.00g\n');
    case 'vgs':
      return ok('  VG  #PV #LV #SN Attr   VSize    VFree \n  pve   1   3   0 wz--n- <930.51g 16.00g\n');
    case 'lvs':
      return ok(
        '  LV   VG  Attr       LSize    Pool Origin Data%  Meta%\n  data pve twi-aotz-- <794.79g             12.41  0.61\n  root pve -wi-ao----   96.00g\n  swap pve -wi-ao----    8.00g\n',
      );
    case 'smartctl':
      if (args[0] === '--scan') return ok('/dev/nvme0 -d nvme # /dev/nvme0, NVMe device\n');
      return ok(
        args[0] === '-H'
          ? '=== START OF SMART DATA SECTION ===\nSMART overall-health self-assessment test result: PASSED\n'
          : 'Model Number:                       Samsung SSD 980 PRO 1TB\n',
      );
    case 'lspci':
      return ok(
        '00:00.0 Host bridge: Intel Corporation Device 4650 (rev 05)\n00:17.0 SATA controller: Intel Corporation Alder Lake-S PCH SATA Controller [AHCI Mode] (rev 11)\n',
      );
    case 'pve-firewall':
      return ok('Status: disabled/running\n');
    case 'corosync-cfgtool':
      return ok(
        `Local node ID ${node.nodeid}, transport knet\nLINK ID 0 udp\n\taddr\t= ${node.ip}\n\tstatus:\n\t\tnodeid:   1:\tlocalhost\n`,
      );
    case 'echo':
      return ok(`${a}\n`);
    case 'whoami':
      return ok('root\n');
    case 'pwd':
      return ok('/root\n');
    case 'true':
      return ok('');
    case 'false':
      return { stdout: '', stderr: '', code: 1 };
    default:
      return notFound(program);
  }
}

/** Splits a command line into words: blanks separate, '…' and "…" quote, \ escapes. No expansions. */
export function splitWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i += 1) {
    const ch = line[i] ?? '';
    if (quote) {
      if (ch === quote) quote = undefined;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length) word += line[++i] ?? '';
      else word += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < line.length) {
      word += line[++i] ?? '';
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * The argv of an exec request. Jarvis wraps every command as `sh -c '<kill-on-hangup wrapper>'
 * jarvis <argv...>` (activities/src/ssh/ssh-pool.ts); the node-like shell runs the argv and
 * treats the wrapper as done, since nothing here runs long enough to need killing.
 */
export function execArgv(command: string): string[] {
  const words = splitWords(command);
  if (words[0] === 'sh' && words[1] === '-c' && words.length >= 4) return words.slice(4);
  return words;
}
