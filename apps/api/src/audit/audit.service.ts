import { Injectable } from '@nestjs/common';
import { REPLAY_WORKFLOW, type ReplayInput, type ReplayResult } from '@jarvis/workflows/api';
import { ArchiveRepository, type ArchiveSummary } from '@jarvis/db';
import { ApiError } from '../errors/api-error';
import { ulid } from '../guests/workflow-id';
import { TemporalService } from '../infra/temporal.service';
import { type AuditQueryDto, type FeedQueryDto } from './audit.dto';
import { FeedRepository, type FeedItem } from './feed.repository';

const REPLAY_TIMEOUT_MS = 60_000;

@Injectable()
export class AuditService {
  constructor(
    private readonly archive: ArchiveRepository,
    private readonly feedRepository: FeedRepository,
    private readonly temporal: TemporalService,
  ) {}

  list(q: AuditQueryDto): Promise<{ items: ArchiveSummary[]; total: number }> {
    if (q.from && q.to && Date.parse(q.from) > Date.parse(q.to))
      throw new ApiError('BAD_REQUEST', 'from must not be after to');
    const { guest, ...filter } = q;
    if (guest !== undefined && q.vmid !== undefined && guest !== q.vmid)
      throw new ApiError('BAD_REQUEST', 'guest and vmid name different guests');
    return this.archive.list({ ...filter, ...(guest !== undefined ? { vmid: guest } : {}) });
  }

  /** Temporal's own JSON history format, so `temporal workflow show --input` and replayers read it as is. */
  async history(workflowId: string, runId?: string): Promise<unknown> {
    const archived = await this.archive.history(workflowId, runId);
    if (!archived) throw new ApiError('HISTORY_NOT_FOUND', `no archived history for ${describeRun(workflowId, runId)}`);
    return archived.history;
  }

  /**
   * Re-runs the current workflow code on the archived history, in the worker (which has the
   * bundle), through a short workflow of its own; the answer says whether the decisions recorded
   * then are the ones the code makes now.
   */
  async replay(
    workflowId: string,
    runId?: string,
  ): Promise<{ reproduced: boolean; detail?: string; runId?: string; events?: number }> {
    const result = await this.temporal.call(REPLAY_TIMEOUT_MS, (client) =>
      client.workflow.execute<(input: ReplayInput) => Promise<ReplayResult>>(REPLAY_WORKFLOW, {
        taskQueue: this.temporal.taskQueue,
        workflowId: `replay:${workflowId}:${ulid()}`,
        args: [{ workflowId, ...(runId ? { runId } : {}) }],
      }),
    );
    if (!result.found)
      throw new ApiError('HISTORY_NOT_FOUND', `no archived history for ${describeRun(workflowId, runId)}`);
    return {
      reproduced: result.reproduced,
      ...(result.detail ? { detail: result.detail } : {}),
      ...(result.runId ? { runId: result.runId } : {}),
      ...(result.events !== undefined ? { events: result.events } : {}),
    };
  }

  async feed(q: FeedQueryDto): Promise<{ items: FeedItem[] }> {
    return { items: await this.feedRepository.recent(q.limit ?? 50, q.source) };
  }
}

const describeRun = (workflowId: string, runId?: string): string => (runId ? `${workflowId} run ${runId}` : workflowId);
