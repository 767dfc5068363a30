import { Injectable } from '@nestjs/common';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { ArchiveRepository } from '@jarvis/db';
import { timelineFromHistory, titleFactsFromHistory, workflowTitle, type TimelineStep } from '@jarvis/workflows/api';
import { ApiError } from '../errors/api-error';
import { isTemporalUnavailable, isWorkflowNotFound } from '../infra/temporal-errors';
import { TemporalService } from '../infra/temporal.service';

export interface Timeline {
  readonly workflowId: string;
  readonly runId: string;
  /** What the run was, as an operator reads it: "Stop guest 107 on pve · 14:02". */
  readonly title: string;
  readonly kind: string;
  readonly status: string;
  readonly source: 'temporal' | 'archive';
  readonly steps: TimelineStep[];
}

const READ_TIMEOUT_MS = 10_000;

@Injectable()
export class TimelineService {
  constructor(
    private readonly temporal: TemporalService,
    private readonly archive: ArchiveRepository,
  ) {}

  /**
   * The domain steps of one workflow run (`runId`'s, else the latest): from Temporal while it
   * keeps the history, then from the archive.
   */
  async timeline(workflowId: string, runId?: string): Promise<Timeline> {
    try {
      // One call after the other, not Promise.all: a rejected sibling must not leave the other retrying.
      const { description, history } = await this.temporal.call(READ_TIMEOUT_MS, async (client) => {
        const handle = client.workflow.getHandle(workflowId, runId);
        const description = await handle.describe();
        return { description, history: await handle.fetchHistory() };
      });
      const events = history.events ?? [];
      return {
        workflowId,
        runId: description.runId,
        title: workflowTitle(titleFactsFromHistory(workflowId, description.type, events)),
        kind: description.type,
        status: description.status.name,
        source: 'temporal',
        steps: timelineFromHistory(events),
      };
    } catch (err) {
      if (isWorkflowNotFound(err)) return this.fromArchive(workflowId, runId);
      // Temporal down is no reason to hide what the archive already holds.
      if (isTemporalUnavailable(err)) return this.fromArchive(workflowId, runId, err);
      throw err;
    }
  }

  private async fromArchive(workflowId: string, runId?: string, temporalError?: unknown): Promise<Timeline> {
    const archived = await this.archive.history(workflowId, runId);
    if (!archived) {
      if (temporalError)
        throw new ApiError(
          'TEMPORAL_UNAVAILABLE',
          'the workflow engine is unavailable and the workflow is not archived',
          undefined,
          { cause: temporalError },
        );
      throw new ApiError('WORKFLOW_NOT_FOUND', `no workflow ${workflowId}${runId ? ` run ${runId}` : ''}`);
    }
    const history = historyFromJSON(archived.history);
    const events = history.events ?? [];
    return {
      workflowId,
      runId: archived.summary.runId,
      title: workflowTitle(titleFactsFromHistory(workflowId, archived.summary.kind, events)),
      kind: archived.summary.kind,
      status: archived.summary.status,
      source: 'archive',
      steps: timelineFromHistory(events),
    };
  }
}
