import { Injectable } from '@nestjs/common';
import { workflowTitle } from '@jarvis/workflows/api';
import { DatabaseService } from '../infra/database.service';
import { familiesFor, feedSourceOf } from './feed-source';

export interface FeedItem {
  readonly id: number;
  readonly at: string;
  /** monitor, chat, operator or runbook (or the workflow family of anything else). */
  readonly source: string;
  /** The workflow family: the workflow ID up to its first colon. */
  readonly family: string;
  readonly workflowId: string;
  /** The workflow the step belongs to, as an operator reads it: "Chat: 'start vm 107'", "Stop guest 107 on pve". */
  readonly subject: string;
  readonly kind: string;
  readonly title: string;
  readonly actor?: string;
  readonly node?: string;
  readonly vmid?: number;
  readonly detail: Record<string, unknown>;
}

/**
 * The activity feed: audit steps newest first, optionally of one workflow family. Its own query
 * because AuditRepository.recent cannot filter by source, and filtering after a LIMIT would
 * return short pages.
 */
@Injectable()
export class FeedRepository {
  constructor(private readonly db: DatabaseService) {}

  async recent(limit: number, source?: string): Promise<FeedItem[]> {
    const { rows } = await this.db.pool.query<Record<string, unknown>>(
      `SELECT e.id, e.workflow_id, e.kind, e.title, e.actor, e.node, e.vmid, e.detail, e.at, m.text AS chat_text
         FROM audit_events e
         LEFT JOIN chat_messages m ON m.workflow_id = e.workflow_id AND m.role = 'user'
        WHERE ($2::text[] IS NULL OR split_part(e.workflow_id, ':', 1) = ANY($2))
        ORDER BY e.at DESC, e.id DESC LIMIT $1`,
      [limit, source ? familiesFor(source) : null],
    );
    return rows.map((r) => {
      const workflowId = r['workflow_id'] as string;
      return {
        id: Number(r['id']),
        at: (r['at'] as Date).toISOString(),
        source: feedSourceOf(workflowId),
        family: workflowId.split(':')[0] ?? workflowId,
        workflowId,
        subject: workflowTitle({
          workflowId,
          ...(typeof r['chat_text'] === 'string' ? { chatText: r['chat_text'] } : {}),
        }),
        kind: r['kind'] as string,
        title: r['title'] as string,
        ...(r['actor'] ? { actor: r['actor'] as string } : {}),
        ...(r['node'] ? { node: r['node'] as string } : {}),
        ...(r['vmid'] !== null ? { vmid: r['vmid'] as number } : {}),
        detail: (r['detail'] as Record<string, unknown> | null) ?? {},
      };
    });
  }
}
