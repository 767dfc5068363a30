import { defineUpdate } from '@temporalio/workflow';
import { type ApprovalStatus, type DecisionAttempt, type Verdict, type Voucher } from '@jarvis/policies';

/**
 * An operator's decision on one approval. The approval ID and the fingerprint shown to the
 * operator are both required; the validator refuses a decision for any other request.
 */
export interface DecisionArgs extends DecisionAttempt {
  readonly approvalId: string;
  readonly fingerprint: string;
  /**
   * The API's Ed25519 signature over the approval ID, verdict, operator, fingerprint and typed
   * name (`decisionFields`), with its time and nonce. Required by every run that loads its policy
   * from Jarvis's store: `byIsOperator` is then ignored, and the signature is what vouches.
   */
  readonly voucher?: Voucher;
}

export interface ApprovalSnapshot {
  readonly id: string;
  readonly status: ApprovalStatus;
  readonly tier: 'YELLOW' | 'RED';
  readonly fingerprint: string;
  readonly decisions: readonly {
    readonly by: string;
    readonly verdict: Verdict;
    readonly at: string;
    readonly comment?: string;
  }[];
  readonly expiresAt: string;
}

/**
 * An operator's approve or reject, for the approval gate of any workflow (VM action, chat turn,
 * remediation). The validator refuses with an ApplicationFailure whose type is a RefusalCode.
 */
export const decideUpdate = defineUpdate<ApprovalSnapshot, [DecisionArgs]>('decide');

/**
 * The ID of the `seq`-th approval (1, 2, …) a workflow run asks for: unique per request, also
 * across runs of one workflow ID (a remediation recurs under its incident key). Only
 * `[A-Za-z0-9:_.-]`: the run's tag is the tail of its run ID, whose head is shared by runs started
 * close together.
 */
export function approvalIdFor(workflowId: string, runId: string, seq: number): string {
  return `${workflowId}:${runId.replace(/[^A-Za-z0-9]/g, '').slice(-12)}:approval:${seq}`;
}
