/** Provider-neutral shapes a chat turn passes to and gets from an LLM activity (all plain JSON: they are in the history). */
export type TurnMessage =
  | { readonly role: 'user'; readonly text: string }
  | {
      readonly role: 'assistant';
      readonly text: string;
      readonly toolCalls?: readonly { readonly id: string; readonly name: string; readonly input: unknown }[];
    }
  | {
      readonly role: 'tool';
      readonly results: readonly { readonly id: string; readonly content: string; readonly isError?: boolean }[];
    };

export interface LlmCallInput {
  readonly sessionId: string;
  readonly system: string;
  readonly messages: readonly TurnMessage[];
  /** Claude only: the tool definitions (Anthropic names). */
  readonly tools?: readonly { readonly name: string; readonly description: string; readonly input_schema: unknown }[];
  readonly maxTokens?: number;
}

export interface LlmToolCall {
  readonly id: string;
  /** As the model named it (Anthropic name). */
  readonly name: string;
  readonly input: unknown;
}

export interface LlmCallResult {
  readonly provider: 'claude' | 'local';
  readonly model: string;
  readonly text: string;
  readonly toolCalls: readonly LlmToolCall[];
  readonly stopReason: string;
  readonly usage: { readonly inputTokens: number; readonly outputTokens: number };
  readonly costUsd: number;
  readonly attempt: number;
  /** Wall-clock marks of this call (ms since epoch): the turn's timing stages. */
  readonly startedAtMs: number;
  readonly firstTokenAtMs?: number;
  readonly finishedAtMs: number;
}

/** ApplicationFailure types the LLM activities throw; the router reads them. */
export const LLM_FAILURE = {
  /** Connection refused, timeouts, 5xx, 529 overloaded, 429 rate limit: try again or fall back. */
  UNAVAILABLE: 'LLM_UNAVAILABLE',
  /** No key or no URL configured. */
  NOT_CONFIGURED: 'LLM_NOT_CONFIGURED',
  /** 401/403: the key is wrong; retrying will not help, falling back will. */
  AUTH: 'LLM_AUTH',
  /** The request itself is wrong (400, 404, 413, 422): a bug, never retried. */
  BAD_REQUEST: 'LLM_BAD_REQUEST',
  /** A budget cap is reached: checked before the call. */
  BUDGET: 'LLM_BUDGET',
} as const;

/** Failures after which the router falls to the next provider. */
export const LLM_FALLBACK_TYPES: readonly string[] = [
  LLM_FAILURE.UNAVAILABLE,
  LLM_FAILURE.NOT_CONFIGURED,
  LLM_FAILURE.AUTH,
  LLM_FAILURE.BUDGET,
];

/** What the chat channel carries to the API's /chat namespace. Small: NOTIFY payloads are capped at 8000 bytes. */
export type ChatStreamEvent =
  | { type: 'delta'; sessionId: string; workflowId: string; attempt: number; seq: number; text: string }
  | { type: 'reset'; sessionId: string; workflowId: string; attempt: number }
  | { type: 'card'; sessionId: string; workflowId: string; card: Record<string, unknown> }
  | { type: 'stage'; sessionId: string; workflowId: string; stage: string; at: string }
  | {
      type: 'message';
      sessionId: string;
      workflowId: string;
      text: string;
      provider: string;
      costUsd: number;
      notice?: string;
    }
  | { type: 'cost'; sessionId: string; workflowId: string; provider: string; costUsd: number };
