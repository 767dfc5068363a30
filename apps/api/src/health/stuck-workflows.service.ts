import { Injectable } from '@nestjs/common';
import { type Client } from '@temporalio/client';
import { TemporalService } from '../infra/temporal.service';

/**
 * Workflows stuck on a failing workflow task. Temporal retries such a task for ever (a bug in
 * workflow code, a nondeterministic change), so without this an operator sees only a spinner.
 */
export interface StuckWorkflow {
  readonly workflowId: string;
  readonly runId: string;
  readonly type: string;
  /** The attempt of the pending workflow task: every earlier one failed. */
  readonly attempt: number;
  /** The last failure's message, where it was read. */
  readonly failure?: string;
}

/** A workflow task on its third attempt has failed twice: no transient blip does that. */
export const STUCK_TASK_ATTEMPT = 3;
const CALL_TIMEOUT_MS = 3_000;
/** The scan describes every open workflow: once per this long at most, whoever asks. */
const SCAN_CACHE_MS = 10_000;
const SCAN_LIMIT = 200;

@Injectable()
export class StuckWorkflowsService {
  private scan?: { at: number; result: Promise<StuckWorkflow[]> };

  constructor(private readonly temporal: TemporalService) {}

  /** One workflow: `closed` once it has ended, its failing task if stuck, else undefined. */
  async check(workflowId: string, runId?: string): Promise<StuckWorkflow | 'closed' | undefined> {
    return this.temporal.call(CALL_TIMEOUT_MS, async (client) => {
      const handle = client.workflow.getHandle(workflowId, runId);
      const d = await handle.describe();
      if (d.status.name !== 'RUNNING') return 'closed';
      const attempt = d.raw.pendingWorkflowTask?.attempt ?? 0;
      if (attempt < STUCK_TASK_ATTEMPT) return undefined;
      return {
        workflowId,
        runId: d.runId,
        type: d.type,
        attempt,
        ...(await lastTaskFailure(client, workflowId, d.runId)),
      };
    });
  }

  /** Every open workflow stuck on a failing task (at most the first {@link SCAN_LIMIT} open ones looked at). */
  list(): Promise<StuckWorkflow[]> {
    const now = Date.now();
    if (!this.scan || now - this.scan.at > SCAN_CACHE_MS) {
      const result = this.scanOpen();
      this.scan = { at: now, result };
      // A failed scan is not remembered: the next caller tries again.
      result.catch(() => (this.scan = undefined));
    }
    return this.scan.result;
  }

  private async scanOpen(): Promise<StuckWorkflow[]> {
    return this.temporal.call(CALL_TIMEOUT_MS * 2, async (client) => {
      const open: { workflowId: string; runId: string }[] = [];
      for await (const w of client.workflow.list({ query: 'ExecutionStatus="Running"' })) {
        open.push({ workflowId: w.workflowId, runId: w.runId });
        if (open.length >= SCAN_LIMIT) break;
      }
      const described = await Promise.all(
        open.map(async ({ workflowId, runId }) => {
          const d = await client.workflow
            .getHandle(workflowId, runId)
            .describe()
            .catch(() => undefined);
          const attempt = d?.raw.pendingWorkflowTask?.attempt ?? 0;
          return d && attempt >= STUCK_TASK_ATTEMPT ? { workflowId, runId, type: d.type, attempt } : undefined;
        }),
      );
      return described.filter((s): s is StuckWorkflow => s !== undefined);
    });
  }
}

/** The message of the run's last WorkflowTaskFailed event (its history is read newest first where possible). */
async function lastTaskFailure(client: Client, workflowId: string, runId: string): Promise<{ failure?: string }> {
  try {
    const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
    const failed = (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes).at(-1);
    const message = failed?.workflowTaskFailedEventAttributes?.failure?.message;
    return message ? { failure: message.slice(0, 300) } : {};
  } catch {
    return {};
  }
}
