/**
 * Real OpenSSH test hosts: one `sshd` (Debian's openssh-server) per simulated node on 127.0.0.1,
 * each with its own ed25519 host key, one authorized test key, and its own config in a temp dir.
 * The session PATH (sshd_config SetEnv) starts with a per-node bin dir holding fakes of what a
 * Proxmox node has and this machine has not:
 *   - `hostname` prints the node name;
 *   - `sensors` prints realistic `sensors -j` JSON (left out on nodes in `withoutSensors`, so
 *     the shell answers "command not found", exit 127, as on a node without lm-sensors);
 *   - `journalctl` prints the journal header and then blocks like a read from a slow disk, so
 *     that timeout and cancellation tests have an allowlisted command that runs until killed;
 *   - `systemctl` answers `is-active` with `active` and `restart` with success, as on a healthy node.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@jarvis/scripts';
import { type SshTarget } from '@jarvis/activities';
import { amdSensorsJson, intelSensorsJson } from './sensors-fixtures';

const SSHD = '/usr/sbin/sshd';

export interface SshHostsOptions {
  /** Nodes whose PATH has no `sensors`. */
  readonly withoutSensors?: readonly string[];
}

export interface SshHosts {
  readonly dir: string;
  readonly targets: SshTarget[];
  readonly privateKeyPath: string;
  readonly knownHostsPath: string;
  /** `ssh-ed25519 AAAA...` per node: the host's public key as known_hosts holds it. */
  readonly hostKeys: Readonly<Record<string, string>>;
  /** What the fake `sensors -j` prints on each node that has it. */
  readonly sensorsJson: Readonly<Record<string, string>>;
  /** SIGKILLs the node's sshd and every session it serves, as if the host went down. */
  kill(node: string): Promise<void>;
  /** Starts the node's sshd again on the same port with the same host key. */
  restart(node: string): Promise<void>;
  close(): Promise<void>;
}

interface Host {
  readonly node: string;
  readonly port: number;
  readonly config: string;
  process?: ChildProcess;
}

function fakeSensorsJson(index: number): string {
  // Alternate Intel and AMD boards, each node a few degrees apart so tests can tell them apart.
  const base = 40 + index * 5;
  return index % 2 === 0
    ? intelSensorsJson(base + 2, [base, base + 3, base + 1, base - 1])
    : amdSensorsJson(base + 4, [base + 1, base + 2]);
}

function writeScript(path: string, body: string): void {
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
}

/** Every process below `pid`, from /proc (sshd forks a child per connection, which forks the session). */
function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // Gone while we looked.
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const child of children.get(p) ?? []) {
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
}

function startSshd(host: Host): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(SSHD, ['-D', '-e', '-f', host.config], { stdio: ['ignore', 'ignore', 'pipe'] });
    host.process = child;
    let log = '';
    const timer = setTimeout(() => reject(new Error(`sshd for ${host.node} did not start:\n${log}`)), 10_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (log.length > 20_000) log = log.slice(-10_000);
      if (log.includes('Server listening on')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`sshd for ${host.node} exited (${signal ?? code}):\n${log}`));
    });
  });
}

export async function startSshHosts(nodes: readonly string[], options: SshHostsOptions = {}): Promise<SshHosts> {
  if (!existsSync(SSHD))
    throw new Error(`${SSHD} is missing: apt-get install -y --no-install-recommends openssh-server`);
  // Debian's sshd refuses to start as root without its privilege separation directory.
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const user = userInfo().username;
  const dir = mkdtempSync(join(tmpdir(), 'jarvis-sshd-'));
  const privateKeyPath = join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'jarvis-test', '-f', privateKeyPath]);
  const authorizedKeys = join(dir, 'authorized_keys');
  writeFileSync(authorizedKeys, readFileSync(`${privateKeyPath}.pub`));

  const hosts = new Map<string, Host>();
  const hostKeys: Record<string, string> = {};
  const sensorsJson: Record<string, string> = {};
  const knownHosts: string[] = [];
  for (const [index, node] of nodes.entries()) {
    const nodeDir = join(dir, node);
    const bin = join(nodeDir, 'bin');
    const home = join(nodeDir, 'home');
    mkdirSync(bin, { recursive: true });
    mkdirSync(home, { recursive: true });
    const hostKey = join(nodeDir, 'ssh_host_ed25519_key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${node}`, '-f', hostKey]);
    const [type, key] = readFileSync(`${hostKey}.pub`, 'utf8').trim().split(' ');
    hostKeys[node] = `${type} ${key}`;

    writeScript(join(bin, 'hostname'), `echo ${node}`);
    // A login shell's /etc/profile resets PATH; the node's own ~/.profile puts its commands first again.
    writeFileSync(join(home, '.profile'), `export PATH=${bin}:$PATH\n`);
    if (!options.withoutSensors?.includes(node)) {
      sensorsJson[node] = fakeSensorsJson(index);
      writeFileSync(join(nodeDir, 'sensors.json'), `${sensorsJson[node]}\n`);
      writeScript(join(bin, 'sensors'), `exec cat ${join(nodeDir, 'sensors.json')}`);
    }
    writeScript(join(bin, 'journalctl'), `echo "-- Journal begins at $(date) --"\nsleep 600\necho "-- No entries --"`);
    writeScript(join(bin, 'systemctl'), 'case "$1" in is-active) echo active ;; restart) ;; *) exit 1 ;; esac');

    const port = await freePort();
    const config = join(nodeDir, 'sshd_config');
    writeFileSync(
      config,
      [
        `Port ${port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${hostKey}`,
        `PidFile ${join(nodeDir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${authorizedKeys}`,
        `AllowUsers ${user}`,
        'UsePAM no',
        'StrictModes no',
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'PrintMotd no',
        'MaxStartups 64',
        // HOME too: the sessions must not source the test runner's own ~/.bashrc and ~/.profile
        // (a `pyenv init` there takes a lock that parallel sessions queue on for many seconds).
        `SetEnv PATH=${bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=${home} JARVIS_TEST_NODE=${node}`,
        '',
      ].join('\n'),
    );
    hosts.set(node, { node, port, config });
    knownHosts.push(`[127.0.0.1]:${port} ${hostKeys[node]}`);
  }
  const knownHostsPath = join(dir, 'known_hosts');
  writeFileSync(knownHostsPath, `# test hosts\n${knownHosts.join('\n')}\n`);

  const hostFor = (node: string): Host => {
    const host = hosts.get(node);
    if (!host) throw new Error(`no test host for ${node}`);
    return host;
  };
  const kill = async (node: string): Promise<void> => {
    const host = hostFor(node);
    const child = host.process;
    if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    for (const pid of [child.pid, ...descendants(child.pid)]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await exited;
    host.process = undefined;
  };

  try {
    await Promise.all([...hosts.values()].map((host) => startSshd(host)));
  } catch (err) {
    for (const node of hosts.keys()) await kill(node);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }

  return {
    dir,
    targets: [...hosts.values()].map((h) => ({ node: h.node, host: '127.0.0.1', port: h.port, username: user })),
    privateKeyPath,
    knownHostsPath,
    hostKeys,
    sensorsJson,
    kill,
    restart: async (node) => {
      await kill(node);
      await startSshd(hostFor(node));
    },
    close: async () => {
      for (const node of hosts.keys()) await kill(node);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
