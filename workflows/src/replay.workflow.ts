import { proxyActivities } from '@temporalio/workflow';
import { type ReplayInput, type ReplayResult } from './replay.messages';

/** Implemented in the worker (apps/worker/src/replay.activities.ts), which has the workflow bundle. */
interface ReplayActivities {
  replayArchivedHistory(input: ReplayInput): Promise<ReplayResult>;
}

const { replayArchivedHistory } = proxyActivities<ReplayActivities>({
  startToCloseTimeout: '2m',
  retry: { maximumAttempts: 3 },
});

/**
 * Re-runs current workflow code against an archived history. It is a workflow so that the API,
 * which holds no worker code, can ask the worker (which has the bundle) to do it, and so that
 * each replay is itself on the record.
 */
export async function replayAuditWorkflow(input: ReplayInput): Promise<ReplayResult> {
  return replayArchivedHistory(input);
}
