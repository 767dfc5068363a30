import { type ClusterSim } from './cluster';
import { type SimNode, type SimStorage } from './model';
import { nodeMemUsed, nodeRoot, uptimeSeconds } from './stats';

type Json = Record<string, unknown>;

const CPU_FLAGS =
  'fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ht syscall nx pdpe1gb rdtscp lm constant_tsc rep_good nopl xtopology nonstop_tsc cpuid pni pclmulqdq vmx ssse3 fma cx16 pcid sse4_1 sse4_2 x2apic movbe popcnt aes xsave avx f16c rdrand lahf_lm abm 3dnowprefetch cpuid_fault invpcid_single ssbd ibrs ibpb stibp fsgsbase tsc_adjust bmi1 avx2 smep bmi2 erms invpcid rdseed adx smap clflushopt xsaveopt xsavec xgetbv1 xsaves arat';

/** GET /nodes/{n}/status (PVE/API2/Nodes.pm). 8.0 nodes predate current-kernel and boot-info. */
export function nodeStatusView(sim: ClusterSim, node: SimNode): Json {
  const memUsed = nodeMemUsed(sim.model, node);
  const root = nodeRoot(sim.model, node);
  // ext4 keeps 5% for root: avail is what a normal user could still write.
  const reserved = Math.round(root.total * 0.05);
  const kernel = { sysname: 'Linux', release: node.kernelRelease, version: node.kernelBuild, machine: 'x86_64' };
  const status: Json = {
    uptime: uptimeSeconds(node.bootMs, sim.now()),
    idle: 0,
    loadavg: node.loadavg.map((l) => l.toFixed(2)),
    kversion: `Linux ${node.kernelRelease} ${node.kernelBuild}`,
    cpuinfo: {
      model: node.cpuModel,
      cores: node.cores,
      cpus: node.maxcpu,
      sockets: node.sockets,
      mhz: node.mhz,
      hvm: '1',
      user_hz: 100,
      flags: CPU_FLAGS,
    },
    cpu: node.cpu,
    wait: node.wait,
    memory: { total: node.maxmem, used: memUsed, free: node.maxmem - memUsed },
    ksm: { shared: 0 },
    swap: { total: node.swapTotal, used: node.swapUsed, free: node.swapTotal - node.swapUsed },
    pveversion: node.pveversion,
    rootfs: {
      total: root.total,
      used: root.used,
      free: root.total - root.used,
      avail: Math.max(0, root.total - root.used - reserved),
    },
  };
  if (!node.legacyStringVmids) {
    status['current-kernel'] = kernel;
    status['boot-info'] = node.bootMode === 'efi' ? { mode: 'efi', secureboot: 0 } : { mode: 'legacy-bios' };
  }
  return status;
}

function storageFigures(
  s: SimStorage,
  nodeName: string,
): { total: number; used: number; avail: number; active: boolean } {
  const size = s.sizes[nodeName];
  if (!size || !s.enabled) return { total: 0, used: 0, avail: 0, active: false };
  return { total: size.total, used: size.used, avail: Math.max(0, size.total - size.used), active: true };
}

/** GET /nodes/{n}/storage entries; used_fraction only when total is not zero. */
export function storageListEntry(s: SimStorage, nodeName: string): Json {
  const f = storageFigures(s, nodeName);
  const entry: Json = {
    storage: s.storage,
    type: s.type,
    content: s.content,
    shared: s.shared ? 1 : 0,
    active: f.active ? 1 : 0,
    enabled: s.enabled ? 1 : 0,
    total: f.total,
    used: f.used,
    avail: f.avail,
  };
  if (f.total !== 0) entry['used_fraction'] = f.used / f.total;
  return entry;
}

export function storageStatusView(s: SimStorage, nodeName: string): Json {
  const entry = storageListEntry(s, nodeName);
  delete entry['storage'];
  delete entry['used_fraction'];
  return entry;
}
