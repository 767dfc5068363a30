import { Injectable } from '@nestjs/common';
import {
  CHAT_TURN_WORKFLOW,
  REPLAY_WORKFLOW,
  workflowTitle,
  type ReplayInput,
  type ReplayResult,
} from '@jarvis/workflows/api';
import { ArchiveRepository, type ArchiveSummary } from '@jarvis/db';
import { ApiError } from '../errors/api-error';
import { ulid } from '../guests/workflow-id';
import { TemporalService } from '../infra/temporal.service';
import { type AuditQueryDto, type FeedQueryDto } from './audit.dto';
import { FeedRepository, type FeedItem } from './feed.repository';

const REPLAY_TIMEOUT_MS = 60_000;

/** The `kind` filter that lists every workflow type, chat turns included. */
export const ANY_KIND = 'all';

/** One archived run as the audit list serves it: its archive row and a title an operator reads. */
export type AuditItem = Omit<ArchiveSummary, 'chatText'> & { readonly title: string };

/** An archive row's human title ("Chat: 'start vm 107' · 14:02"), from its row and summary. */
export function auditTitle(row: ArchiveSummary): string {
  const summary = row.summary ?? {};
  const str = (k: string): string | undefined => {
    const v = summary[k];
    return typeof v === 'string' ? v : undefined;
  };
  const subject = summary['subject'] as Record<string, unknown> | undefined;
  const service = str('service') ?? (typeof subject?.['service'] === 'string' ? subject['service'] : undefined);
  const storage = str('storage') ?? (typeof subject?.['storage'] === 'string' ? subject['storage'] : undefined);
  return workflowTitle({
    workflowId: row.workflowId,
    kind: row.kind,
    ...(row.startedAt ? { startedAt: row.startedAt } : {}),
    ...(row.chatText ? { chatText: row.chatText } : {}),
    ...(row.action ? { action: row.action } : {}),
    ...(row.node ? { node: row.node } : {}),
    ...(row.vmid !== undefined ? { vmid: row.vmid } : {}),
    ...(str('incidentClass') ? { incidentClass: str('incidentClass')! } : {}),
    ...(service ? { service } : {}),
    ...(storage ? { storage } : {}),
  });
}

@Injectable()
export class AuditService {
  constructor(
    private readonly archive: ArchiveRepository,
    private readonly feedRepository: FeedRepository,
    private readonly temporal: TemporalService,
  ) {}

  /**
   * One row per run, newest first. Chat turns are left out unless `kind` asks for them (by their
   * type, or `all`): one a message, they would bury every action.
   */
  async list(q: AuditQueryDto): Promise<{ items: AuditItem[]; total: number }> {
    if (q.from && q.to && Date.parse(q.from) > Date.parse(q.to))
      throw new ApiError('BAD_REQUEST', 'from must not be after to');
    const { guest, kind, ...filter } = q;
    if (guest !== undefined && q.vmid !== undefined && guest !== q.vmid)
      throw new ApiError('BAD_REQUEST', 'guest and vmid name different guests');
    const { items, total } = await this.archive.list({
      ...filter,
      ...(guest !== undefined ? { vmid: guest } : {}),
      ...(kind === ANY_KIND ? {} : kind ? { kind } : { excludeKinds: [CHAT_TURN_WORKFLOW] }),
    });
    const toItem = (row: ArchiveSummary): AuditItem => {
      const { chatText: _chatText, ...rest } = row;
      return { ...rest, title: auditTitle(row) };
    };
    return { items: items.map(toItem), total };
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
