import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ChatRepository, type ChatCard } from '@jarvis/db';
import { StuckWorkflowsService, type StuckWorkflow } from '../health/stuck-workflows.service';

interface WatchedTurn {
  readonly sessionId: string;
  readonly turn: number;
  readonly since: number;
}

const SWEEP_MS = 1_000;
/** After this long a turn is most likely waiting for an approval: it is looked at every fifth sweep. */
const SETTLED_AFTER_MS = 60_000;
/** A turn is watched this long at most; one waiting for an approval is answered by its own timers. */
const WATCH_FOR_MS = 30 * 60_000;

/**
 * Watches the chat turns this API started. A turn whose workflow task keeps failing would retry
 * for ever behind a spinner; instead the operator gets an internal-error card and reply within
 * seconds, and the log names the workflow and the failure.
 */
@Injectable()
export class ChatTurnWatchService implements OnApplicationShutdown {
  private readonly logger = new Logger('ChatTurnWatch');
  private readonly turns = new Map<string, WatchedTurn>();
  private timer?: NodeJS.Timeout;
  private sweeping = false;
  private sweeps = 0;

  constructor(
    private readonly stuck: StuckWorkflowsService,
    private readonly chat: ChatRepository,
  ) {}

  watch(workflowId: string, sessionId: string, turn: number): void {
    this.turns.set(workflowId, { sessionId, turn, since: Date.now() });
    if (!this.timer) {
      this.timer = setInterval(() => void this.sweep(), SWEEP_MS);
      this.timer.unref();
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    const sweep = ++this.sweeps;
    try {
      await Promise.all(
        [...this.turns].map(async ([workflowId, t]) => {
          const age = Date.now() - t.since;
          if (age > WATCH_FOR_MS) return void this.turns.delete(workflowId);
          if (age > SETTLED_AFTER_MS && sweep % 5 !== 0) return;
          const state = await this.stuck.check(workflowId).catch(() => undefined);
          if (state === undefined) return;
          this.turns.delete(workflowId);
          if (state !== 'closed') await this.report(t, state);
        }),
      );
    } finally {
      this.sweeping = false;
      if (this.turns.size === 0) this.onApplicationShutdown();
    }
  }

  private async report(t: WatchedTurn, stuck: StuckWorkflow): Promise<void> {
    this.logger.error(
      `chat turn ${stuck.workflowId} (run ${stuck.runId}) is stuck: its workflow task failed ${stuck.attempt - 1} times: ${stuck.failure ?? 'no failure message'}`,
    );
    const text =
      'I have hit an internal error, sir, and cannot finish this turn. Nothing further will be done for it; the details are in the log and in /api/health.';
    const card: ChatCard = {
      kind: 'notice',
      status: 'internal-error',
      text: `Internal error: this turn's workflow keeps failing (${stuck.failure?.slice(0, 160) ?? 'see the log'}).`,
      workflowId: stuck.workflowId,
    };
    const base = { sessionId: t.sessionId, workflowId: stuck.workflowId };
    try {
      await this.chat.addReply({ ...base, turn: t.turn, text, provider: 'jarvis', cards: [card], costUsd: 0 });
      await this.chat.notify(JSON.stringify({ type: 'card', ...base, card }));
      await this.chat.notify(JSON.stringify({ type: 'message', ...base, text, provider: 'jarvis', costUsd: 0 }));
    } catch (err) {
      this.logger.error(
        `the internal-error reply for ${stuck.workflowId} could not be saved: ${(err as Error).message}`,
      );
    }
  }
}
