import { type Client } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { type ArchiveRepository } from '@jarvis/db';
import { type ReplayInput, type ReplayResult } from '@jarvis/workflows/api';

/** Replay of archived histories, in the worker because it needs the workflow bundle. */
export function createReplayActivities({
  archive,
  bundlePath,
  client,
}: {
  archive: ArchiveRepository;
  bundlePath: string;
  /** Lets a run that closed a moment ago, and is not archived yet, be replayed from Temporal. */
  client?: Client;
}) {
  const fromTemporal = async (workflowId: string, runId?: string) => {
    if (!client) return undefined;
    try {
      const handle = client.workflow.getHandle(workflowId, runId);
      const description = await handle.describe();
      if (description.status.name === 'RUNNING') return undefined;
      return { runId: description.runId, history: await handle.fetchHistory() };
    } catch {
      return undefined;
    }
  };
  return {
    async replayArchivedHistory({ workflowId, runId }: ReplayInput): Promise<ReplayResult> {
      const archived = await archive.history(workflowId, runId);
      const closed = archived ? undefined : await fromTemporal(workflowId, runId);
      if (!archived && !closed)
        return {
          found: false,
          reproduced: false,
          detail: `no archived history for ${workflowId}${runId ? ` run ${runId}` : ''}`,
        };
      const history = archived ? historyFromJSON(archived.history) : closed!.history;
      const base = {
        found: true,
        runId: archived ? archived.summary.runId : closed!.runId,
        events: history.events?.length ?? 0,
      };
      try {
        await Worker.runReplayHistory({ workflowBundle: { codePath: bundlePath } }, history, workflowId);
        return { ...base, reproduced: true };
      } catch (err) {
        // A determinism violation is the answer, not a fault: the current code decides differently.
        const e = err as Error;
        return { ...base, reproduced: false, detail: `${e.name}: ${e.message}`.slice(0, 2000) };
      }
    },
  };
}
