import { defineQuery } from '@temporalio/workflow';
import { type PolicyData } from '@jarvis/policies';

export const CHAT_TURN_WORKFLOW = 'chatTurnWorkflow';

/** `chat:<session>:<turn>`: one workflow per turn, so a turn cannot run twice. */
export const chatTurnWorkflowId = (sessionId: string, turn: number): string => `chat:${sessionId}:${turn}`;

export interface ChatTurnInput {
  readonly sessionId: string;
  readonly turn: number;
  /** The operator's message, with the override passkey (if said) already cut out by the API. */
  readonly text: string;
  /** The operator who sent it. */
  readonly requestedBy: string;
  readonly policy: PolicyData;
  readonly twoPersonRule: boolean;
  readonly approvalTtlMs: number;
  readonly escalateAfterMs: number;
  /** SHA-256 of the configured override phrase, and of the phrase the operator said: hashes only, never the phrase. */
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
