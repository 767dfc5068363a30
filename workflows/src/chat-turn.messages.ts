import { defineQuery } from '@temporalio/workflow';
import { type Voucher } from '@jarvis/policies';
import { type LegacyPolicyInput } from './policy-loader';

export const CHAT_TURN_WORKFLOW = 'chatTurnWorkflow';

/** `chat:<session>:<turn>`: one workflow per turn, so a turn cannot run twice. */
export const chatTurnWorkflowId = (sessionId: string, turn: number): string => `chat:${sessionId}:${turn}`;

/** Policy fields (`policy`, `twoPersonRule`) are ignored: the turn loads Jarvis's policy from its store. */
export interface ChatTurnInput extends LegacyPolicyInput {
  readonly sessionId: string;
  readonly turn: number;
  /** The operator's message, with the override passkey (if said) already cut out by the API. */
  readonly text: string;
  /** The operator who sent it. */
  readonly requestedBy: string;
  /** The API's signature over `requesterFields` (this workflow ID, `operator`, requestedBy). */
  readonly requesterVoucher?: Voucher;
  /**
   * The API's signature of an `override-grant` ({ workflowId, by }): the operator said the
   * override passkey in this message. The passkey itself never leaves the API.
   */
  readonly overrideGrant?: Voucher;
  readonly approvalTtlMs: number;
  readonly escalateAfterMs: number;
  /** Read only when replaying a turn recorded before the override grant: hashes of the configured and the said phrase. */
  readonly overridePasskeySha256?: string;
  readonly saidPasskeySha256?: string;
  /** Tool-loop cap (LLM calls per turn). Default 6. */
  readonly maxIterations?: number;
  /** Overrides for tests and benchmarks. */
  readonly timing?: {
    readonly llmTimeoutMs?: number;
    readonly llmMaxAttempts?: number;
    readonly llmRetryInitialMs?: number;
    readonly callTimeoutMs?: number;
    readonly heartbeatTimeoutMs?: number;
  };
}

export type ChatTurnProvider = 'claude' | 'local' | 'offline';

export interface ChatTurnResult {
  readonly text: string;
  readonly provider: ChatTurnProvider;
  readonly notice?: string;
  readonly iterations: number;
  readonly costUsd: number;
  readonly toolRuns: readonly { readonly tool: string; readonly tier: string; readonly outcome: string }[];
  readonly cards: readonly Record<string, unknown>[];
}

export interface ChatTurnProgress {
  readonly phase: 'thinking' | 'tools' | 'awaiting-approval' | 'done';
  readonly provider?: ChatTurnProvider;
  readonly pendingApprovalId?: string;
}

export const chatProgressQuery = defineQuery<ChatTurnProgress>('chatProgress');
