/**
 * The chat thread as the dashboard shows it, and the pure rules that fold the /chat socket's
 * events (apps/api/src/live/chat.gateway.ts) into it. No Vue here: the store wraps these.
 */
export type ChatProvider = 'claude' | 'local' | 'offline';

/** A card a turn published (db ChatCard): a confirmation it waits for, a refusal, a tool's result. */
export interface ChatCard {
  readonly kind: 'confirmation' | 'blocked' | 'tool' | 'notice';
  readonly tool?: string;
  readonly action?: string;
  readonly target?: { readonly node?: string; readonly vmid?: number; readonly type?: string };
  readonly tier?: string;
  readonly reason?: string;
  readonly status?: string;
  readonly summary?: readonly string[];
  readonly approvalId?: string;
  readonly workflowId?: string;
  readonly needs?: string;
  readonly expiresAt?: string;
  readonly fingerprint?: string;
  readonly overridden?: boolean;
  readonly text?: string;
}

/** GET /api/chat/sessions/:id → messages[]. */
export interface ChatMessageView {
  readonly role: 'user' | 'assistant';
  readonly text: string;
  readonly provider?: string;
  readonly workflowId?: string;
  readonly cards?: readonly ChatCard[];
  readonly costUsd?: number;
  readonly timings?: Readonly<Record<string, unknown>>;
  readonly at: string;
}

/** What the /chat namespace sends, `chat.<type>`. */
export interface ChatEventBase {
  readonly sessionId: string;
  readonly workflowId: string;
}
export interface ChatDeltaEvent extends ChatEventBase {
  readonly attempt: number;
  readonly seq: number;
  readonly text: string;
}
export interface ChatResetEvent extends ChatEventBase {
  readonly attempt: number;
}
export interface ChatCardEvent extends ChatEventBase {
  readonly card: ChatCard;
}
export interface ChatFinalEvent extends ChatEventBase {
  readonly text: string;
  readonly provider: string;
  readonly costUsd: number;
  readonly notice?: string;
  readonly truncated?: boolean;
}
export interface ChatCostEvent extends ChatEventBase {
  readonly provider: string;
  readonly costUsd: number;
}

export type ChatEntryState = 'sending' | 'running' | 'done' | 'failed';

/** One bubble: the operator's message or JARVIS's reply to it (keyed by the turn's workflow). */
export interface ChatEntry {
  key: string;
  role: 'user' | 'assistant';
  workflowId?: string;
  text: string;
  provider?: ChatProvider;
  cards: ChatCard[];
  costUsd?: number;
  /** Stage → ms since the turn was received (received, llm-start, first-token, tools, done). */
  timings?: Record<string, number>;
  notice?: string;
  at: string;
  state: ChatEntryState;
  error?: string;
  /** Streaming bookkeeping: the LLM attempt whose text is shown, and its last delta. */
  attempt: number;
  seq: number;
}

export const replyKey = (workflowId: string): string => `${workflowId}:reply`;

export function asProvider(p: unknown): ChatProvider | undefined {
  return p === 'claude' || p === 'local' || p === 'offline' ? p : undefined;
}

export const PROVIDER_LABEL: Readonly<Record<ChatProvider, string>> = {
  claude: 'Claude',
  local: 'Local model',
  offline: 'Offline parser',
};

function numericTimings(t: Readonly<Record<string, unknown>> | undefined): Record<string, number> | undefined {
  if (!t) return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(t)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return Object.keys(out).length ? out : undefined;
}

/** Turns older than this without a recorded reply are shown as unanswered, not as still running. */
export const RUNNING_WINDOW_MS = 15 * 60_000;

/**
 * The session's stored messages as entries. A turn whose reply is not stored yet is still
 * running (recent) or was never answered (old): its placeholder says which.
 */
export function entriesFromHistory(messages: readonly ChatMessageView[], nowMs: number): ChatEntry[] {
  const replied = new Set(messages.filter((m) => m.role === 'assistant' && m.workflowId).map((m) => m.workflowId));
  const out: ChatEntry[] = [];
  for (const m of messages) {
    const provider = asProvider(m.provider);
    const timings = numericTimings(m.timings);
    out.push({
      key: m.role === 'assistant' && m.workflowId ? replyKey(m.workflowId) : `${m.workflowId ?? m.at}:user`,
      role: m.role,
      ...(m.workflowId ? { workflowId: m.workflowId } : {}),
      text: m.text,
      ...(provider ? { provider } : {}),
      cards: [...(m.cards ?? [])],
      ...(m.costUsd !== undefined ? { costUsd: m.costUsd } : {}),
      ...(timings ? { timings } : {}),
      at: m.at,
      state: 'done',
      attempt: 0,
      seq: 0,
    });
    if (m.role === 'user' && m.workflowId && !replied.has(m.workflowId)) {
      const running = nowMs - Date.parse(m.at) < RUNNING_WINDOW_MS;
      out.push({
        ...emptyReply(m.workflowId, m.at),
        state: running ? 'running' : 'failed',
        ...(running ? {} : { error: 'No reply was recorded for this message.' }),
      });
    }
  }
  return out;
}

export function emptyReply(workflowId: string, at: string): ChatEntry {
  return {
    key: replyKey(workflowId),
    role: 'assistant',
    workflowId,
    text: '',
    cards: [],
    at,
    state: 'running',
    attempt: 0,
    seq: 0,
  };
}

/** A retried LLM attempt: the partial text streamed so far is wrong, drop it. */
export function applyReset(entry: ChatEntry, e: ChatResetEvent): void {
  if (entry.state === 'done' || e.attempt < entry.attempt) return;
  entry.text = '';
  entry.attempt = e.attempt;
  entry.seq = 0;
}

/**
 * One streamed piece. Deltas of one LLM call come in order with growing `seq`; a turn's next
 * call (the tool loop) starts again at seq 1, so a seq 1 after text means "next paragraph".
 * A newer attempt whose reset was missed replaces the text; a late piece of an older one is dropped.
 */
export function applyDelta(entry: ChatEntry, e: ChatDeltaEvent): boolean {
  if (entry.state === 'done') return false;
  if (e.seq === 1 && entry.seq > 0) {
    if (e.attempt > entry.attempt) entry.text = '';
    else if (entry.text) entry.text += '\n\n';
  } else if (e.attempt > entry.attempt) {
    entry.text = '';
  } else if (e.attempt < entry.attempt || e.seq <= entry.seq) {
    return false;
  }
  entry.attempt = e.attempt;
  entry.seq = e.seq;
  entry.text += e.text;
  return true;
}

/** JSON with sorted keys: the same card from the socket and from the database compare equal. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

/** A card joins its turn once; a confirmation is known by its approval. */
export function applyCard(entry: ChatEntry, card: ChatCard): boolean {
  const same = (c: ChatCard): boolean =>
    card.approvalId !== undefined ? c.approvalId === card.approvalId : stableJson(c) === stableJson(card);
  if (entry.cards.some(same)) return false;
  entry.cards.push(card);
  return true;
}

/** The reply as the workflow recorded it: it replaces whatever was streamed. */
export function applyFinal(entry: ChatEntry, e: ChatFinalEvent): void {
  entry.text = e.text;
  const provider = asProvider(e.provider);
  if (provider) entry.provider = provider;
  entry.costUsd = e.costUsd;
  if (e.notice) entry.notice = e.notice;
  entry.state = 'done';
}

/** Stored cards and timings, which the final event does not carry, merged into a finished entry. */
export function mergeStored(entry: ChatEntry, stored: ChatMessageView): void {
  // The stored cards are the turn's whole record (and jsonb reorders keys): they replace the streamed ones.
  if (stored.cards) entry.cards = [...stored.cards];
  const t = numericTimings(stored.timings);
  if (t) entry.timings = t;
  if (stored.costUsd !== undefined) entry.costUsd = stored.costUsd;
  const p = asProvider(stored.provider);
  if (p) entry.provider = p;
  entry.text = stored.text;
  entry.state = 'done';
}

export function formatUsd(usd: number | undefined): string {
  if (usd === undefined || !Number.isFinite(usd)) return '—';
  if (usd === 0) return '$0';
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(2)}`;
}

function ms(v: number): string {
  return v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(1)} s`;
}

/** "first token 420 ms · done 1.8 s": the turn's timing in one line, from its recorded stages. */
export function describeTimings(t: Readonly<Record<string, number>> | undefined): string {
  if (!t) return '';
  const parts: string[] = [];
  if (t['first-token'] !== undefined) parts.push(`first token ${ms(t['first-token'])}`);
  if (t['done'] !== undefined) parts.push(`done ${ms(t['done'])}`);
  return parts.join(' · ');
}
