import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { type ArchiveRepository } from '@jarvis/db';
import { type ReplayInput, type ReplayResult } from '@jarvis/workflows/api';

/** Replay of archived histories, in the worker because it needs the workflow bundle. */
export function createReplayActivities({ archive, bundlePath }: { archive: ArchiveRepository; bundlePath: string }) {
  return {
    async replayArchivedHistory({ workflowId }: ReplayInput): Promise<ReplayResult> {
      const archived = await archive.history(workflowId);
      if (!archived) return { found: false, reproduced: false, detail: `no archived history for ${workflowId}` };
      const history = historyFromJSON(archived.history);
      const base = { found: true, runId: archived.summary.runId, events: history.events?.length ?? 0 };
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
