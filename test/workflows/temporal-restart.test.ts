import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ProxmoxClient } from '@jarvis/activities';
import { ApprovalsRepository, createPool } from '@jarvis/db';
import { startSimulator, type RunningSimulator } from '@jarvis/pve-sim';
import { freePort, startDevServer, type RunningDevServer } from '@jarvis/scripts';
import { createJarvisWorker, type JarvisWorker } from '@jarvis/worker';
import { approvalIdFor, decideUpdate, VM_ACTION_WORKFLOW, type VmActionResult } from '@jarvis/workflows/api';
import { type Pool } from 'pg';
import { installRuntime } from '../support/stack';
import { eventually, vmActionInput } from '../support/vm-action.fixtures';
import { createTrust, requesterVoucher, signedDecision, storePolicy } from '../support/vouch';

/**
 * Temporal itself restarts (its own server here, with a state file, as the demo runs it) while an
 * action waits for approval. The worker rides through the outage; the request survives, and the
 * approval given afterwards completes it.
 */
describe('a Temporal server restart while an action waits for approval', () => {
  let dir: string;
  let port: number;
  let server: RunningDevServer | undefined;
  let sim: RunningSimulator;
  let pool: Pool;
  let pve: ProxmoxClient;
  let worker: JarvisWorker | undefined;
  let running: Promise<void> | undefined;
  let nativeConnection: NativeConnection | undefined;
  let clientConnection: Connection | undefined;

  const start = () => startDevServer({ port, headless: true, dbFile: join(dir, 'temporal.db'), logLevel: 'error' });

  beforeAll(async () => {
    installRuntime();
    dir = mkdtempSync(join(tmpdir(), 'jarvis-temporal-'));
    port = await freePort();
    server = await start();
    sim = await startSimulator({ port: 0, taskMs: 100, refreshMs: 100, authFailDelayMs: 10 });
    pool = createPool(process.env['JARVIS_TEST_DB']!);
    pve = new ProxmoxClient({ baseUrl: sim.url, token: sim.token, fingerprint: sim.fingerprint });
  });
  afterAll(async () => {
    await worker?.shutdown();
    await running?.catch(() => undefined);
    // The worker's archiver uses the client: close the client only once the worker has stopped.
    await clientConnection?.close();
    await nativeConnection?.close();
    await server?.stop();
    await Promise.allSettled([pve.close(), pool.end(), sim.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the pending approval and completes the action once approved after the restart', async () => {
    const address = `127.0.0.1:${port}`;
    nativeConnection = await NativeConnection.connect({ address });
    clientConnection = await Connection.connect({ address });
    const client = new Client({ connection: clientConnection });
    const taskQueue = `restart-${port}`;
    const trust = await createTrust(pool, taskQueue);
    await storePolicy(trust, { twoPersonRule: true });
    worker = await createJarvisWorker({
      connection: nativeConnection,
      client,
      namespace: 'default',
      taskQueue,
      cluster: taskQueue,
      pve,
      pool,
    });
    running = worker.run();

    const workflowId = `vm-action:pve:100:stop:restart-${port}`;
    const started = await client.workflow.start(VM_ACTION_WORKFLOW, {
      taskQueue,
      workflowId,
      args: [
        {
          ...vmActionInput({ node: 'pve', vmid: 100, action: 'stop' }),
          requesterVoucher: requesterVoucher(trust, workflowId, { kind: 'operator', id: 'operator' }),
        },
      ],
    });
    const approvals = new ApprovalsRepository(pool);
    const pending = await eventually(async () => {
      const a = await approvals.get(approvalIdFor(workflowId, started.firstExecutionRunId, 1));
      return a?.state === 'pending' ? a : undefined;
    });

    await server!.stop();
    await new Promise((r) => setTimeout(r, 1_000));
    server = await start();

    // The client reconnects by itself; the update reaches the same workflow, restored from the state file.
    const handle = client.workflow.getHandle(workflowId);
    const decided = await eventually(
      () =>
        handle.executeUpdate(decideUpdate, {
          args: [
            signedDecision(trust, {
              approvalId: pending.id,
              fingerprint: pending.fingerprint,
              by: 'second',
              byIsOperator: true,
              verdict: 'approve',
            }),
          ],
        }),
      30_000,
      250,
    );
    expect(decided.status).toBe('approved');
    const result = (await handle.result()) as VmActionResult;
    expect(result).toMatchObject({ outcome: 'done', finalStatus: 'stopped' });
  });
});
