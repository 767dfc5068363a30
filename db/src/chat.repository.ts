import { type Pool } from 'pg';

/** The NOTIFY channel for chat streams: token deltas, resets, cards, replies and cost updates. */
export const CHAT_CHANNEL = 'jarvis_chat';

export interface ChatCard {
  readonly kind: 'confirmation' | 'blocked' | 'tool' | 'notice';
  readonly [key: string]: unknown;
}

export interface ChatMessageView {
  readonly role: 'user' | 'assistant';
  readonly text: string;
  readonly provider?: string;
  readonly workflowId?: string;
  readonly cards?: readonly ChatCard[];
  readonly costUsd?: number;
  readonly timings?: Record<string, unknown>;
  readonly at: string;
}

export interface ChatReplyInput {
  readonly sessionId: string;
  readonly turn: number;
  readonly workflowId: string;
  readonly text: string;
  readonly provider: string;
  readonly cards: readonly ChatCard[];
  readonly costUsd: number;
  readonly timings?: Record<string, unknown>;
}

export class ChatRepository {
  constructor(private readonly pool: Pool) {}

  async createSession(id: string, createdBy: string): Promise<void> {
    await this.pool.query('INSERT INTO chat_sessions (id, created_by) VALUES ($1, $2)', [id, createdBy]);
  }

  async sessionExists(id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('SELECT 1 FROM chat_sessions WHERE id = $1', [id]);
    return Boolean(rowCount);
  }

  /**
   * Records the operator's message as the next turn, atomically: two messages sent at once get
   * two different turn numbers. Returns the turn.
   */
  async addUserMessage(sessionId: string, text: string, workflowIdFor: (turn: number) => string): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT 1 FROM chat_sessions WHERE id = $1 FOR UPDATE', [sessionId]);
      const { rows } = await client.query<{ n: string }>(
        `SELECT count(*) AS n FROM chat_messages WHERE session_id = $1 AND role = 'user'`,
        [sessionId],
      );
      const turn = Number(rows[0]?.n ?? 0) + 1;
      await client.query(
        `INSERT INTO chat_messages (session_id, turn, role, text, workflow_id) VALUES ($1, $2, 'user', $3, $4)`,
        [sessionId, turn, text, workflowIdFor(turn)],
      );
      await client.query('COMMIT');
      return turn;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  /** Idempotent on the turn's workflow: a retried write leaves the first. */
  async addReply(r: ChatReplyInput): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO chat_messages (session_id, turn, role, text, provider, workflow_id, cards, cost_usd, timings)
       VALUES ($1, $2, 'assistant', $3, $4, $5, $6, $7, $8)
       ON CONFLICT ON CONSTRAINT chat_messages_idempotency DO NOTHING`,
      [
        r.sessionId,
        r.turn,
        r.text,
        r.provider,
        r.workflowId,
        JSON.stringify(r.cards),
        r.costUsd,
        r.timings ? JSON.stringify(r.timings) : null,
      ],
    );
    return Boolean(rowCount);
  }

  /** Messages in order, oldest first; `before` a turn for a workflow's own context. */
  async messages(sessionId: string, opts: { beforeTurn?: number; limit?: number } = {}): Promise<ChatMessageView[]> {
    const { rows } = await this.pool.query(
      `SELECT * FROM (
         SELECT role, text, provider, workflow_id, cards, cost_usd, timings, at, id FROM chat_messages
          WHERE session_id = $1 AND ($2::int IS NULL OR turn < $2) ORDER BY id DESC LIMIT $3) m
        ORDER BY id`,
      [sessionId, opts.beforeTurn ?? null, Math.min(opts.limit ?? 500, 5000)],
    );
    return rows.map((r: Record<string, unknown>) => ({
      role: r['role'] as 'user' | 'assistant',
      text: r['text'] as string,
      ...(r['provider'] ? { provider: r['provider'] as string } : {}),
      workflowId: r['workflow_id'] as string,
      ...(r['role'] === 'assistant' ? { cards: r['cards'] as ChatCard[] } : {}),
      ...(r['cost_usd'] !== null ? { costUsd: Number(r['cost_usd']) } : {}),
      ...(r['timings'] ? { timings: r['timings'] as Record<string, unknown> } : {}),
      at: (r['at'] as Date).toISOString(),
    }));
  }

  /** One chat event on the NOTIFY channel; the caller keeps payloads under 8000 bytes. */
  async notify(payload: string): Promise<void> {
    await this.pool.query('SELECT pg_notify($1, $2)', [CHAT_CHANNEL, payload]);
  }
}

export interface LlmCostInput {
  readonly workflowId: string;
  readonly activityId: string;
  readonly sessionId?: string;
  readonly provider: string;
  readonly model: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

export interface CostTotals {
  readonly provider: string;
  readonly calls: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

export class LlmCostsRepository {
  constructor(private readonly pool: Pool) {}

  /** Idempotent on (workflow, activity): a retried activity does not bill twice. */
  async record(c: LlmCostInput): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO llm_costs (workflow_id, activity_id, session_id, provider, model, input_tokens, output_tokens, cost_usd)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (workflow_id, activity_id) DO NOTHING`,
      [c.workflowId, c.activityId, c.sessionId ?? null, c.provider, c.model, c.inputTokens, c.outputTokens, c.costUsd],
    );
    return Boolean(rowCount);
  }

  /** Spend since the start of the current UTC day and month. */
  async spent(now = new Date()): Promise<{ todayUsd: number; monthUsd: number }> {
    const day = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
    const month = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const { rows } = await this.pool.query<{ today: string | null; month: string | null }>(
      `SELECT sum(cost_usd) FILTER (WHERE at >= $1) AS today, sum(cost_usd) AS month FROM llm_costs WHERE at >= $2`,
      [day.toISOString(), month.toISOString()],
    );
    return { todayUsd: Number(rows[0]?.today ?? 0), monthUsd: Number(rows[0]?.month ?? 0) };
  }

  async totals(since: Date): Promise<CostTotals[]> {
    const { rows } = await this.pool.query(
      `SELECT provider, count(*) AS calls, sum(input_tokens) AS input, sum(output_tokens) AS output, sum(cost_usd) AS cost
         FROM llm_costs WHERE at >= $1 GROUP BY provider ORDER BY provider`,
      [since.toISOString()],
    );
    return rows.map((r: Record<string, unknown>) => ({
      provider: r['provider'] as string,
      calls: Number(r['calls']),
      inputTokens: Number(r['input']),
      outputTokens: Number(r['output']),
      costUsd: Number(r['cost']),
    }));
  }

  async forWorkflow(workflowId: string): Promise<LlmCostInput[]> {
    const { rows } = await this.pool.query('SELECT * FROM llm_costs WHERE workflow_id = $1 ORDER BY at', [workflowId]);
    return rows.map((r: Record<string, unknown>) => ({
      workflowId: r['workflow_id'] as string,
      activityId: r['activity_id'] as string,
      provider: r['provider'] as string,
      model: r['model'] as string,
      inputTokens: Number(r['input_tokens']),
      outputTokens: Number(r['output_tokens']),
      costUsd: Number(r['cost_usd']),
    }));
  }
}
