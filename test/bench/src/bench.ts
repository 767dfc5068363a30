import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import {
  DefaultLogger,
  makeTelemetryFilterString,
  NativeConnection,
  Runtime,
  Worker,
  bundleWorkflowCode,
} from '@temporalio/worker';
import { createApi, DecisionSigner } from '@jarvis/api';
import { PolicySource } from '@jarvis/activities';
import { loadConfig } from '@jarvis/config';
import { DEFAULT_PROTECTED, requesterFields } from '@jarvis/policies';
import { freePort, startDevServer } from '@jarvis/scripts';
import { VM_ACTION_WORKFLOW, type VmActionInput } from '@jarvis/workflows/api';
import { createJarvisWorker } from '@jarvis/worker';
import { Agent, request } from 'undici';
import { chatBench } from './chat.bench';
import { dashboardBench } from './dashboard.bench';
import { failoverBench } from './failover.bench';
import { remediationBench } from './remediation.bench';
import { startBenchStack } from './bench-stack';
import { fmt, ratio, runConcurrent, summarize } from './stats';

/**
 * `npm run bench`. A fresh, tuned Temporal dev server for this run only (a server that has run
 * for minutes drifts slower), the simulator with zero task time, and the real worker. Every
 * figure is printed beside the same measure of a bare hello-world workflow (one activity) on the
 * same server in the same run, because this 2-core machine is noisy.
 */
const SEQUENTIAL = Number(process.env['BENCH_SEQUENTIAL'] ?? 40);
const TOTAL = Number(process.env['BENCH_TOTAL'] ?? 150);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 10);
const APPROVALS = Number(process.env['BENCH_APPROVALS'] ?? 30);

async function main(): Promise<void> {
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'ERROR' }), console: {} } },
  });
  const tuning = await measureTuning();
  const stack = await startBenchStack('g');
  const { temporal, sim, dbUrl, pool, connection, client, pve, taskQueue } = stack;

  const helloBundle = await bundleWorkflowCode({
    workflowsPath: join(__dirname, 'hello.workflow.js'),
    logger: quietLogger,
  });
  const hello = await Worker.create({
    connection,
    taskQueue: `${taskQueue}-hello`,
    workflowBundle: helloBundle,
    activities: { hello: (name: string) => Promise.resolve(`Hello, ${name}`) },
    maxCachedWorkflows: 500,
  });
  const jarvis = await createJarvisWorker({
    connection,
    client,
    namespace: 'default',
    taskQueue,
    pve,
    pool,
    archiverPollMs: 500,
  });
  const runs = [hello.run(), jarvis.run()];

  const users = JSON.stringify([{ username: 'second', password: 'bench-Second-2' }]);
  const config = loadConfig({
    PVE_URL: sim.url,
    PVE_TOKEN: sim.token,
    PVE_FINGERPRINT: sim.fingerprint,
    DATABASE_URL: dbUrl,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    JARVIS_USERNAME: 'operator',
    JARVIS_PASSWORD: 'bench-Operator-1',
    JARVIS_USERS: users,
    JWT_SECRET: randomBytes(32).toString('hex'),
  });
  // The API's signing key: the GREEN runs below are started on Temporal as the API would start them.
  const signingKey = DecisionSigner.generatePem();
  const signer = DecisionSigner.fromSetting(signingKey);
  const api = await createApi(config, { logger: false, env: { JARVIS_SIGNING_KEY: signingKey } });
  await api.listen(0, '127.0.0.1');
  const apiUrl = `${(await api.getUrl()).replace('[::1]', '127.0.0.1')}/api`;
  // Workflows judge by Jarvis's policy store: GREEN stops for the first runs, the default (YELLOW) for the approvals.
  const store = new PolicySource(pool, 'default', { protected: DEFAULT_PROTECTED, twoPersonRule: false });
  const stopTier = (tier: 'GREEN' | undefined) =>
    store.update(
      (doc) => ({ ...doc, tierOverrides: Object.fromEntries(tier ? [['guest.stop', tier]] : []) }),
      'bench',
      'bench tiers',
    );

  try {
    const helloOnce = (i: number) =>
      client.workflow
        .execute('helloWorkflow', {
          taskQueue: `${taskQueue}-hello`,
          workflowId: `hello-${taskQueue}-${i}`,
          args: ['bench'],
        })
        .then(() => undefined);
    const greenInput = (vmid: number, workflowId: string): VmActionInput => ({
      node: 'pve',
      vmid,
      action: 'stop',
      requestedBy: { kind: 'operator', id: 'bench' },
      requesterVoucher: signer.sign('requester', requesterFields({ workflowId, kind: 'operator', id: 'bench' })),
      approvalTtlMs: 60_000,
      escalateAfterMs: 60_000,
    });
    // qemu guests on `pve`, none HA-managed: a stop on a stopped VM is an OK task in PVE, so they can repeat.
    const greenVmids = [100, 107, 111];
    const greenOnce = (i: number) =>
      client.workflow
        .execute(VM_ACTION_WORKFLOW, {
          taskQueue,
          workflowId: `bench-green-${taskQueue}-${i}`,
          args: [greenInput(greenVmids[i % greenVmids.length]!, `bench-green-${taskQueue}-${i}`)],
        })
        .then((r: { outcome: string }) => {
          if (r.outcome !== 'done') throw new Error(`green action ended ${r.outcome}`);
        });

    await stopTier('GREEN');
    // Warm both paths (bundles, caches, connections) before measuring.
    await runConcurrent(10, 5, (i) => helloOnce(1_000_000 + i));
    await runConcurrent(6, 3, (i) => greenOnce(1_000_000 + i));

    const cpu = cpuMeter(temporal.process.pid);
    const helloSeq = summarize((await runConcurrent(SEQUENTIAL, 1, helloOnce)).latencies);
    cpu.start();
    const helloPar = await runConcurrent(TOTAL, CONCURRENCY, (i) => helloOnce(10_000 + i));
    const helloCpu = cpu.perItem(TOTAL);
    const helloRate = (TOTAL / helloPar.wallMs) * 1000;

    const greenSeq = summarize((await runConcurrent(SEQUENTIAL, 1, (i) => greenOnce(i))).latencies);
    cpu.start();
    const greenPar = await runConcurrent(TOTAL, CONCURRENCY, (i) => greenOnce(10_000 + i));
    const greenCpu = cpu.perItem(TOTAL);
    const greenRate = (TOTAL / greenPar.wallMs) * 1000;
    const greenParSummary = summarize(greenPar.latencies);

    await stopTier(undefined);
    const approval = summarize(await approvalLatencies(apiUrl, sim.controlUrl, sim.certPem, APPROVALS));

    const line = (label: string, value: string, vs: string, target = ''): void =>
      console.log(
        `${label.padEnd(46)} ${value.padStart(12)}   ${vs.padStart(8)} of baseline${target ? `   target ${target}` : ''}`,
      );
    console.log(
      `\nJarvis bench (fresh tuned Temporal dev server, simulator task time 0; n=${SEQUENTIAL} sequential, ${TOTAL} at concurrency ${CONCURRENCY})\n`,
    );
    console.log(
      `baseline: hello-world, 1 activity              p50 ${fmt(helloSeq.p50)}  p95 ${fmt(helloSeq.p95)}  ${helloRate.toFixed(1)} wf/s\n`,
    );
    line(
      'approval (HTTP) -> Proxmox call issued, p50',
      fmt(approval.p50),
      ratio(approval.p50, helloSeq.p50),
      '<= 40 ms',
    );
    line('approval (HTTP) -> Proxmox call issued, p95', fmt(approval.p95), ratio(approval.p95, helloSeq.p95));
    line('GREEN vm-action latency, sequential, p50', fmt(greenSeq.p50), ratio(greenSeq.p50, helloSeq.p50));
    line('GREEN vm-action latency, sequential, p95', fmt(greenSeq.p95), ratio(greenSeq.p95, helloSeq.p95), '<= 250 ms');
    line(
      `GREEN vm-action throughput (concurrency ${CONCURRENCY})`,
      `${greenRate.toFixed(1)} wf/s`,
      ratio(greenRate, helloRate),
      '>= 0.70×',
    );
    line(
      `GREEN vm-action p95 under load`,
      fmt(greenParSummary.p95),
      ratio(greenParSummary.p95, summarize(helloPar.latencies).p95),
    );
    console.log(
      `\nDev server tuning (TEMPORAL_NOTES.md), hello-world sequential p50 on a fresh server each: ` +
        `out of the box ${fmt(tuning.untuned)}, with the flags Jarvis uses ${fmt(tuning.tuned)} (${ratio(tuning.tuned, tuning.untuned)})`,
    );
    console.log(
      `\nCPU per workflow under load (this process: client, worker, simulator, API | Temporal server):` +
        `\n  hello-world   ${fmt(helloCpu.self)} | ${fmt(helloCpu.server)}` +
        `\n  GREEN action  ${fmt(greenCpu.self)} | ${fmt(greenCpu.server)}` +
        `   (${ratio(greenCpu.self + greenCpu.server, helloCpu.self + helloCpu.server)} of baseline)`,
    );
  } finally {
    await api.close();
    hello.shutdown();
    await jarvis.shutdown();
    await Promise.allSettled(runs);
    await stack.close();
  }
  // The dashboard's figures last: they need only the built dashboard and chromium, not this stack.
  await dashboardBench();
  await remediationBench();
  await failoverBench();
  await chatBench();
}

/** The hello-world p50 on a fresh untuned server and a fresh tuned one: what the dynamic-config flags buy here. */
async function measureTuning(n = 25): Promise<{ untuned: number; tuned: number }> {
  const bundle = await bundleWorkflowCode({ workflowsPath: join(__dirname, 'hello.workflow.js'), logger: quietLogger });
  const once = async (tuned: boolean): Promise<number> => {
    const server = await startDevServer({ port: await freePort(), headless: true, logLevel: 'error', tuned });
    const connection = await NativeConnection.connect({ address: server.address });
    const clientConnection = await Connection.connect({ address: server.address });
    const client = new Client({ connection: clientConnection });
    const taskQueue = `tuning-${tuned}`;
    const worker = await Worker.create({
      connection,
      taskQueue,
      workflowBundle: bundle,
      activities: { hello: (x: string) => Promise.resolve(x) },
    });
    const run = worker.run();
    try {
      const go = (i: number) =>
        client.workflow
          .execute('helloWorkflow', { taskQueue, workflowId: `t-${i}`, args: ['x'] })
          .then(() => undefined);
      await runConcurrent(5, 1, (i) => go(1000 + i));
      return summarize((await runConcurrent(n, 1, go)).latencies).p50;
    } finally {
      worker.shutdown();
      await run;
      await Promise.allSettled([connection.close(), clientConnection.close()]);
      await server.stop();
    }
  };
  return { untuned: await once(false), tuned: await once(true) };
}

/** Each sample: a YELLOW stop requested over HTTP, approved over HTTP; from the approve call to the simulator's ledger entry. */
async function approvalLatencies(apiUrl: string, controlUrl: string, certPem: string, n: number): Promise<number[]> {
  const dispatcher = new Agent({ connect: { ca: certPem } });
  const json = async (
    method: string,
    url: string,
    token?: string,
    body?: unknown,
  ): Promise<Record<string, unknown>> => {
    const res = await request(url, {
      method: method as 'GET',
      dispatcher,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.body.text();
    if (res.statusCode >= 400) throw new Error(`${method} ${url}: ${res.statusCode} ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const login = async (username: string, password: string) =>
    (await json('POST', `${apiUrl}/auth/login`, undefined, { username, password }))['token'] as string;
  const op = await login('operator', 'bench-Operator-1');
  const second = await login('second', 'bench-Second-2');
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const { workflowId } = (await json('POST', `${apiUrl}/guests/pve/100/actions`, op, {
      action: 'stop',
      reason: 'bench',
    })) as { workflowId: string };
    let pending: { id: string; fingerprint: string } | undefined;
    while (!pending) {
      const { items } = (await json('GET', `${apiUrl}/approvals?state=pending`, op)) as unknown as {
        items: { id: string; workflowId: string; fingerprint: string }[];
      };
      pending = items.find((a) => a.workflowId === workflowId);
      if (!pending) await new Promise((r) => setTimeout(r, 5));
    }
    const before = (await json('GET', `${controlUrl}/ledger`)) as unknown as unknown[];
    const t0 = Date.now();
    await json('POST', `${apiUrl}/approvals/${pending.id}/approve`, second, {
      fingerprint: pending.fingerprint,
      comment: 'bench',
    });
    for (;;) {
      const entries = (await json('GET', `${controlUrl}/ledger`)) as unknown as { atMs: number; vmid?: number }[];
      const issued = entries.slice(before.length).find((e) => e.vmid === 100);
      if (issued) {
        samples.push(issued.atMs - t0);
        break;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  await dispatcher.close();
  return samples;
}

/** CPU time of this process and of the Temporal server between start() and perItem(), per item. */
function cpuMeter(serverPid: number | undefined) {
  const serverTicks = (): number => {
    if (!serverPid) return 0;
    const fields = readFileSync(`/proc/${serverPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks
  };
  const TICK_MS = 10; // USER_HZ is 100 on Linux
  let self = process.cpuUsage();
  let server = serverTicks();
  return {
    start() {
      self = process.cpuUsage();
      server = serverTicks();
    },
    perItem(n: number) {
      const d = process.cpuUsage(self);
      return { self: (d.user + d.system) / 1000 / n, server: ((serverTicks() - server) * TICK_MS) / n };
    },
  };
}

const quietLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (m: string) => console.error(m),
};

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
