import { type ChatStreamEvent } from './llm.types';

/** Where chat events go: Postgres NOTIFY in production (ChatRepository.notify), a collector in tests. */
export type ChatNotify = (payload: string) => Promise<void>;

const MAX_PAYLOAD = 7_000;

/** Splits text so each delta's JSON stays under the NOTIFY cap, multi-byte characters included. */
function pieces(text: string): string[] {
  const out: string[] = [];
  // A character is at most 4 bytes and JSON escaping at most doubles it (\uXXXX is 6 for 2 UTF-16 units).
  const size = Math.floor(MAX_PAYLOAD / 8);
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/**
 * Token deltas for one LLM attempt, batched (every `flushMs`, default 25 ms) and sent strictly in
 * order: each NOTIFY waits for the one before, since two pooled connections could reorder them.
 * A failed send is dropped, never fatal: the final text reaches the chat through the workflow.
 */
export class ChatStreamWriter {
  #buffer = '';
  #seq = 0;
  #timer?: NodeJS.Timeout;
  #chain: Promise<void> = Promise.resolve();
  #firstTokenAtMs?: number;

  constructor(
    private readonly notify: ChatNotify,
    private readonly ids: { sessionId: string; workflowId: string; attempt: number },
    private readonly flushMs = 25,
  ) {}

  get firstTokenAtMs(): number | undefined {
    return this.#firstTokenAtMs;
  }

  /** A retried attempt first tells the browser to drop the partial text of the one before. */
  reset(): void {
    this.#send({ type: 'reset', ...this.ids });
  }

  push(text: string): void {
    if (text === '') return;
    this.#firstTokenAtMs ??= Date.now();
    this.#buffer += text;
    // The first token goes at once: first-token latency is what the operator feels.
    if (this.#seq === 0) {
      this.flush();
      return;
    }
    this.#timer ??= setTimeout(() => this.flush(), this.flushMs);
  }

  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#buffer === '') return;
    const text = this.#buffer;
    this.#buffer = '';
    for (const piece of pieces(text)) this.#send({ type: 'delta', ...this.ids, seq: ++this.#seq, text: piece });
  }

  /** Flushes and waits until everything sent so far is out. */
  async close(): Promise<void> {
    this.flush();
    await this.#chain;
  }

  #send(event: ChatStreamEvent): void {
    const payload = JSON.stringify(event);
    this.#chain = this.#chain.then(() => this.notify(payload)).catch(() => undefined);
  }
}
