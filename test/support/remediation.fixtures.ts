import { AuditRepository, IncidentsRepository, type AuditEventRow, type IncidentView } from '@jarvis/db';
import { DEFAULT_PROTECTED } from '@jarvis/policies';
import { type AutonomyOptions } from '@jarvis/worker';
import { monitorIdFor, monitorStatusQuery, remediationProgressQuery } from '@jarvis/workflows/api';
import { type TestStack } from './stack';
import { eventually, ledger, powerCalls } from './vm-action.fixtures';

/** Short intervals and windows: the whole remediation ladder in a few seconds. */
export function fastAutonomy(
  cluster: string,
  over: Partial<AutonomyOptions['config']> = {},
  remediation: AutonomyOptions['remediation'] = {},
): AutonomyOptions & { start?: boolean } {
  return {
    config: {
      cluster,
      autostart: true,
      intervals: { criticalMs: 300, importantMs: 1_000, routineMs: 5_000, backgroundMs: 60_000 },
      stabilityWindowMs: 1_200,
      nodeBootTimeoutMs: 10_000,
      recheckMs: 1_000,
      heartbeatTimeoutMs: 2_000,
      maxAttempts: 3,
      ...over,
    },
    protectedResources: DEFAULT_PROTECTED,
    twoPersonRule: false,
    approvalTtlMs: 60_000,
    approvalEscalateMs: 30_000,
    remediation: { watchEveryMs: 500, ...remediation },
  };
}

/** The steps of a remediation's runs since `since` (incident keys recur; the database is shared by the suites). */
export const stepsOf = async (stack: TestStack, workflowId: string, since = 0): Promise<AuditEventRow[]> =>
  (await new AuditRepository(stack.pool).forWorkflow(workflowId)).filter((s) => Date.parse(s.at) >= since - 50);

export async function incidentOf(stack: TestStack, workflowId: string): Promise<IncidentView | undefined> {
  const all = await new IncidentsRepository(stack.pool).list({ limit: 500 });
  return all.find((i) => i.workflowId === workflowId);
}

/**
 * Waits for the run of this remediation that started at or after `since` (incident keys recur,
 * and other suites on the shared dev server use the same keys) and returns its result.
 */
export async function remediationResult(
  stack: TestStack,
  workflowId: string,
  since: number,
  timeoutMs = 30_000,
): Promise<{ outcome: string; attempts: number; reason: string }> {
  const deadline = Date.now() + timeoutMs;
  const handle = await eventually(async () => {
    const h = stack.client.workflow.getHandle(workflowId);
    const d = await h.describe();
    return d.startTime.getTime() >= since - 50 ? stack.client.workflow.getHandle(workflowId, d.runId) : undefined;
  }, timeoutMs);
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      handle.result() as Promise<{ outcome: string; attempts: number; reason: string }>,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${workflowId} did not finish in ${timeoutMs} ms`)),
          Math.max(1, deadline - Date.now()),
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Terminates every run on this stack's task queue (monitor, guardian, remediations). */
export async function terminateStack(stack: TestStack): Promise<void> {
  for await (const wf of stack.client.workflow.list({
    query: `TaskQueue="${stack.taskQueue}" AND ExecutionStatus="Running"`,
  })) {
    await stack.client.workflow
      .getHandle(wf.workflowId, wf.runId)
      .terminate('test cleanup')
      .catch(() => undefined);
  }
}

/** Terminates what a test left running (its monitor, guardian and remediations), so the next test starts clean. */
export async function terminateRunning(stack: TestStack, workflowIds: readonly string[]): Promise<void> {
  for (const id of workflowIds) {
    await stack.client.workflow
      .getHandle(id)
      .terminate('test cleanup')
      .catch(() => undefined);
  }
}

/** The phase of this remediation's run that started at or after `since`; undefined until it exists. */
export async function phaseOf(stack: TestStack, workflowId: string, since: number): Promise<string | undefined> {
  const d = await stack.client.workflow.getHandle(workflowId).describe();
  if (d.startTime.getTime() < since - 50 || d.status.name !== 'RUNNING') return undefined;
  return (await stack.client.workflow.getHandle(workflowId, d.runId).query(remediationProgressQuery)).phase;
}

/**
 * Waits until the stack's monitor has looked at the cluster at least once, so a fault injected
 * next is a change it can see (a crash is a guest it saw running that stopped). A fixed sleep
 * here made the tests depend on how busy the machine was.
 */
export async function monitorHasLooked(stack: TestStack, timeoutMs = 30_000): Promise<void> {
  const handle = stack.client.workflow.getHandle(monitorIdFor(stack.cluster));
  await eventually(
    async () => {
      const status = await handle.query(monitorStatusQuery);
      return status.polls >= 1 && status.lastObservedAt !== undefined ? true : undefined;
    },
    timeoutMs,
    100,
  );
}

/** How many times this stack's monitor has polled. */
export async function pollsOf(stack: TestStack): Promise<number> {
  return (await stack.client.workflow.getHandle(monitorIdFor(stack.cluster)).query(monitorStatusQuery)).polls;
}

/** Waits until the monitor has polled `n` more times: negative waits are counted in polls, not seconds. */
export async function afterPolls(stack: TestStack, n: number): Promise<void> {
  const start = await pollsOf(stack);
  await eventually(async () => ((await pollsOf(stack)) >= start + n ? true : undefined), 60_000, 100);
}

/** The VMID's remediation runs that started at or after `since`: none, or the one. */
export async function remediatedSince(stack: TestStack, vmid: number, since: number): Promise<boolean> {
  try {
    const d = await stack.client.workflow.getHandle(`remediate:vm-crashed:${vmid}`).describe();
    return d.startTime.getTime() >= since - 50;
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return false;
    throw err;
  }
}

export const startsSince = async (stack: TestStack, vmid: number, since: number) =>
  powerCalls(await ledger(stack), vmid, 'start').filter((e) => e.atMs >= since - 50);

/** Until the cluster data (what the monitor's cache reads) shows the guest in this state. */
export const dataShows = (stack: TestStack, vmid: number, status: string) =>
  eventually(
    async () =>
      (await stack.pve.clusterResources('vm')).guests.find((g) => g.vmid === vmid)?.status === status
        ? true
        : undefined,
    30_000,
    50,
  );
