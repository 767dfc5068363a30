import { type Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { type ArchiveQueueRepository, type ArchiveRepository } from '@jarvis/db';

export interface ArchiverDeps {
  readonly client: Client;
  readonly queue: ArchiveQueueRepository;
  readonly archive: ArchiveRepository;
  readonly pollMs?: number;
  readonly log?: (message: string) => void;
}

/**
 * Drains the archive outbox: once Temporal reports a queued run closed, its full history goes
 * to Postgres, so the audit outlives Temporal's retention. A run still closing is retried a
 * moment later; a failure backs off and stays queued, so nothing is lost to a restart.
 */
export class WorkflowArchiver {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: ArchiverDeps) {}

  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      this.running = this.drainOnce()
        .then(() => undefined)
        .catch((err: unknown) => this.deps.log?.(`archiver: ${(err as Error).message}`))
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.deps.pollMs ?? 1000);
        });
    };
    tick();
  }

  /**
   * Stops polling and waits for the drain in flight, but never longer than `graceMs`: a call that
   * cannot finish (Temporal gone for good) must not hold up the worker's shutdown. Whatever it was
   * archiving stays queued and is picked up by the next worker.
   */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
      timer.unref();
    });
    await Promise.race([this.running, grace]);
    clearTimeout(timer);
  }

  async drainOnce(limit = 20): Promise<number> {
    let archived = 0;
    for (const entry of await this.deps.queue.due(limit)) {
      const handle = this.deps.client.workflow.getHandle(entry.workflowId, entry.runId);
      try {
        const description = await handle.describe();
        if (description.status.name === 'RUNNING') {
          await this.deps.queue.retryLater(entry.workflowId, entry.runId, 250, 'still running');
          continue;
        }
        const history = await handle.fetchHistory();
        const s = entry.summary;
        const str = (k: string): string | undefined => {
          const v = s[k];
          return typeof v === 'string' ? v : undefined;
        };
        await this.deps.archive.store({
          workflowId: entry.workflowId,
          runId: entry.runId,
          kind: entry.kind,
          status: description.status.name,
          ...(str('outcome') ? { outcome: str('outcome')! } : {}),
          ...(str('node') ? { node: str('node')! } : {}),
          ...(typeof s['vmid'] === 'number' ? { vmid: s['vmid'] } : {}),
          ...(str('action') ? { action: str('action')! } : {}),
          ...(str('requestedBy') ? { requestedBy: str('requestedBy')! } : {}),
          startedAt: description.startTime.toISOString(),
          ...(description.closeTime ? { closedAt: description.closeTime.toISOString() } : {}),
          summary: s,
          history: JSON.parse(historyToJSON(history)) as unknown,
        });
        await this.deps.queue.done(entry.workflowId, entry.runId);
        archived++;
      } catch (err) {
        const delay = Math.min(60_000, 1000 * 2 ** Math.min(entry.attempts, 6));
        await this.deps.queue.retryLater(entry.workflowId, entry.runId, delay, (err as Error).message);
        this.deps.log?.(`archiver: ${entry.workflowId} failed (${(err as Error).message}); retrying in ${delay} ms`);
      }
    }
    return archived;
  }
}
