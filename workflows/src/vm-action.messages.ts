import { defineQuery } from '@temporalio/workflow';
import { type GuestKind, type PowerAction, type Requester, type Tier, type Voucher } from '@jarvis/policies';
import { type ApprovalSnapshot } from './approval-gate.messages';
import { type LegacyPolicyInput } from './policy-loader';

export const VM_ACTION_WORKFLOW = 'vmActionWorkflow';

/**
 * Policy fields (`policy`, `twoPersonRule`) are ignored: the run loads Jarvis's policy from its
 * store, and records the version it judged by. They stay in the type for histories recorded before.
 */
export interface VmActionInput extends LegacyPolicyInput {
  readonly node: string;
  readonly vmid: number;
  readonly action: PowerAction;
  readonly requestedBy: Requester;
  /** The API's signature over `requesterFields` (this workflow ID and the requester): who asked is one the API vouched for. */
  readonly requesterVoucher?: Voucher;
  readonly reason?: string;
  readonly approvalTtlMs: number;
  readonly escalateAfterMs: number;
  /** Overrides for tests and benchmarks; production uses the defaults. */
  readonly timing?: {
    /** How long one Proxmox call may take before it is retried (and a retry first looks for the task). */
    readonly callTimeoutMs?: number;
    readonly taskTimeoutMs?: number;
    readonly heartbeatTimeoutMs?: number;
    readonly verifyTimeoutMs?: number;
  };
}

export type VmActionOutcome = 'done' | 'failed' | 'blocked' | 'rejected' | 'expired' | 'not-found';

export interface VmActionResult {
  readonly outcome: VmActionOutcome;
  /** Absent only when the run failed before the policy judged it (e.g. the guest could not be read). */
  readonly tier?: Tier;
  readonly reason: string;
  readonly upid?: string;
  readonly exitstatus?: string;
  readonly finalStatus?: string;
}

export type VmActionPhase =
  | 'evaluating'
  | 'awaiting-approval'
  | 'acting'
  | 'waiting-for-task'
  | 'verifying'
  | 'done'
  | 'failed'
  | 'blocked'
  | 'rejected'
  | 'expired'
  | 'not-found';

export interface VmActionProgress {
  readonly phase: VmActionPhase;
  readonly tier?: Tier;
  readonly approval?: ApprovalSnapshot;
  readonly upid?: string;
  /** Once the run has ended: why (for `failed`, Proxmox's reason, e.g. `PERMISSION: Permission check failed (/, Sys.Audit)`). */
  readonly reason?: string;
}

export const progressQuery = defineQuery<VmActionProgress>('progress');

/** The expected guest status once an action has taken effect. */
export const EXPECTED_STATUS: Record<PowerAction, 'running' | 'stopped' | 'paused'> = {
  start: 'running',
  stop: 'stopped',
  shutdown: 'stopped',
  reboot: 'running',
  suspend: 'paused',
  resume: 'running',
};

export type { GuestKind };
