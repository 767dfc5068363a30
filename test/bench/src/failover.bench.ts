import { ProxmoxClient } from '@jarvis/activities';
import { startSimulator } from '@jarvis/pve-sim';
import { Agent, request } from 'undici';
import { fmt, ratio, summarize } from './stats';

const ROUNDS = Number(process.env['BENCH_FAILOVER_ROUNDS'] ?? 10);
const TARGET_MS = 1_000;
/** The client's default health-check interval, plus the probe itself. */
const COMEBACK_TARGET_MS = 5_500;

/**
 * Endpoint failover on the simulator's per-node endpoints, with the client's defaults (connect
 * timeout 5 s, health check every 5 s) as the worker runs it: the client talks to one node's own
 * endpoint and trusts the cluster CA. Each round takes the node in use offline and measures from
 * the moment its endpoint is closed (the fault call has answered) to the first request answered
 * through another node; then brings it back and waits until the health check marks it healthy
 * (that wait is the second figure). The baseline is the same request with every node up.
 */
export async function failoverBench(): Promise<void> {
  const sim = await startSimulator({ port: 0, taskMs: 0, refreshMs: 0, authFailDelayMs: 10 });
  const dispatcher = new Agent({ connect: { ca: sim.caPem } });
  const control = async (path: string, body: unknown): Promise<void> => {
    const res = await request(`${sim.controlUrl}${path}`, {
      method: 'POST',
      dispatcher,
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    await res.body.text();
    if (res.statusCode >= 300) throw new Error(`control ${path}: ${res.statusCode}`);
  };
  const pve = new ProxmoxClient({ baseUrl: sim.endpoints[0]!.url, token: sim.token, caPem: sim.caPem });
  const inUse = (): string | undefined => pve.endpoints().find((e) => e.state === 'active')?.node;
  try {
    await pve.discoverEndpoints();
    for (let i = 0; i < 20; i++) await pve.clusterStatus(); // warm the connections
    const baseline: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      await pve.clusterStatus();
      baseline.push(performance.now() - t0);
    }

    const failover: number[] = [];
    const comeback: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const node = inUse();
      if (!node) throw new Error('no endpoint in use');
      await control('/faults', { kind: 'node-offline', node });
      const down = performance.now();
      await pve.clusterStatus();
      failover.push(performance.now() - down);
      if (inUse() === node) throw new Error(`still on ${node} after it went offline`);

      await control('/faults', { kind: 'node-online', node });
      const up = performance.now();
      while (pve.endpoints().find((e) => e.node === node)?.state !== 'healthy') {
        if (performance.now() - up > 30_000) throw new Error(`${node}'s endpoint not used again within 30 s`);
        await new Promise((r) => setTimeout(r, 10));
      }
      comeback.push(performance.now() - up);
    }

    const base = summarize(baseline);
    const f = summarize(failover);
    const c = summarize(comeback);
    const line = (label: string, value: string, vs: string, target = ''): void =>
      console.log(
        `${label.padEnd(46)} ${value.padStart(12)}   ${vs.padStart(8)} of baseline${target ? `   target ${target}` : ''}`,
      );
    console.log(
      `\nProxmox endpoint failover (simulator, ${sim.endpoints.length} node endpoints, ${ROUNDS} rounds, client defaults)\n`,
    );
    console.log(`baseline: GET /cluster/status, every node up     p50 ${fmt(base.p50)}  p95 ${fmt(base.p95)}\n`);
    const met = f.p95 <= TARGET_MS ? 'met' : 'MISSED';
    line('endpoint down -> answered via another, p50', fmt(f.p50), ratio(f.p50, base.p50));
    line(
      'endpoint down -> answered via another, p95',
      fmt(f.p95),
      ratio(f.p95, base.p95),
      `<= ${TARGET_MS} ms: ${met}`,
    );
    line(
      'endpoint back -> used again (health check), p95',
      fmt(c.p95),
      ratio(c.p95, base.p95),
      `<= ${COMEBACK_TARGET_MS} ms: ${c.p95 <= COMEBACK_TARGET_MS ? 'met' : 'MISSED'}`,
    );
  } finally {
    await pve.close();
    await dispatcher.close();
    await sim.close();
  }
}

if (require.main === module) {
  failoverBench().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
