import { AuditRepository } from '@jarvis/db';
import { DEFAULT_PROTECTED } from '@jarvis/policies';
import { createJarvisWorker } from '@jarvis/worker';
import { Agent, request } from 'undici';
import { startBenchStack } from './bench-stack';
import { fmt, summarize } from './stats';

const CRASHES = Number(process.env['BENCH_CRASHES'] ?? 50);
const POLL_MS = Number(process.env['BENCH_POLL_MS'] ?? 1000);
/** Plain running guests of the default scenario (not Jarvis's 103, not the HA-managed 102). */
const GUESTS = [100, 101, 104, 106, 108, 110, 111, 112];

/**
 * Crash → detected → restart issued → seen running, over CRASHES crashes spread over the guests,
 * on a fresh dev server and a simulator whose /cluster/resources refreshes at once (refreshMs 0),
 * so "visible in the Proxmox API" is the moment of the crash. The rate limit is raised: the same
 * guest crashes several times within the hour here, which is the point of the exercise.
 */
export async function remediationBench(): Promise<void> {
  const stack = await startBenchStack('r');
  const { sim, pool, connection, client, pve, taskQueue } = stack;
  const dispatcher = new Agent({ connect: { ca: sim.certPem } });
  const control = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await request(`${sim.controlUrl}${path}`, {
      method: method as 'GET',
      dispatcher,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    return (await res.body.json()) as T;
  };

  const jarvis = await createJarvisWorker({
    connection,
    client,
    namespace: 'default',
    taskQueue,
    pve,
    pool,
    autonomy: {
      start: true,
      config: {
        cluster: taskQueue,
        autostart: true,
        intervals: { criticalMs: POLL_MS, importantMs: 10_000, routineMs: 60_000, backgroundMs: 600_000 },
        stabilityWindowMs: 200,
        nodeBootTimeoutMs: 10_000,
        recheckMs: 1_000,
        heartbeatTimeoutMs: 5_000,
        maxAttempts: 10_000,
      },
      protectedResources: DEFAULT_PROTECTED,
      twoPersonRule: false,
      approvalTtlMs: 60_000,
      approvalEscalateMs: 30_000,
      attemptWindowMs: 1_000,
    },
  });
  const running = jarvis.run();
  const audit = new AuditRepository(pool);
  const detect: number[] = [];
  const issue: number[] = [];
  const seen: number[] = [];
  try {
    await new Promise((r) => setTimeout(r, 2 * POLL_MS)); // the monitor's first look
    for (let i = 0; i < CRASHES; i++) {
      const vmid = GUESTS[i % GUESTS.length]!;
      const workflowId = `remediate:vm-crashed:${vmid}`;
      const seq = (await control<{ seq: number }[]>('GET', '/ledger')).length;
      // Crash at a random phase of the poll, as a real crash would.
      await new Promise((r) => setTimeout(r, Math.random() * POLL_MS));
      const crashedAt = Date.now();
      await control('POST', '/faults', { kind: 'crash-guest', vmid });
      let result: unknown;
      for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
        try {
          const handle = client.workflow.getHandle(workflowId);
          const d = await handle.describe();
          if (d.startTime.getTime() >= crashedAt - 50) {
            result = await handle.result();
            break;
          }
        } catch {
          // Not started yet.
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      if (!result) throw new Error(`no remediation for the crash of ${vmid}`);
      const steps = (await audit.forWorkflow(workflowId)).filter((s) => Date.parse(s.at) >= crashedAt - 50);
      const detected = Date.parse(String(steps.find((s) => s.kind === 'detected')?.detail?.['detectedAt']));
      const observed = Date.parse(String(steps.find((s) => s.kind === 'running')?.detail?.['observedAt']));
      const start = (await control<{ seq: number; atMs: number; vmid?: number; action?: string }[]>('GET', '/ledger'))
        .slice(seq)
        .find((e) => e.vmid === vmid && e.action === 'start');
      const state = await control<{ guests: { vmid: number; startedAtMs?: number }[] }>('GET', '/state');
      const startedAt = state.guests.find((g) => g.vmid === vmid)?.startedAtMs;
      if (!start || startedAt === undefined || !Number.isFinite(detected) || !Number.isFinite(observed)) {
        throw new Error(`incomplete record for crash ${i} of ${vmid}`);
      }
      detect.push(detected - crashedAt);
      issue.push(start.atMs - detected);
      seen.push(observed - startedAt);
    }
    const line = (name: string, samples: number[], target: number): void => {
      const s = summarize(samples);
      const ok = s.p95 <= target ? 'ok' : 'OVER';
      console.log(
        `  ${name.padEnd(30)} p50 ${fmt(s.p50)}  p95 ${fmt(s.p95)}  (target ≤ ${target} ms: ${ok}, n=${s.n})`,
      );
    };
    console.log(`\nremediation: ${CRASHES} crashes over ${GUESTS.length} guests, critical poll ${POLL_MS} ms`);
    line('crash → detected', detect, POLL_MS + 500);
    line('detected → restart issued', issue, 1_000);
    line('running → seen running', seen, 1_000);
  } finally {
    await jarvis.shutdown();
    await running.catch(() => undefined);
    await dispatcher.close();
    await stack.close();
  }
}

if (require.main === module) {
  remediationBench().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
