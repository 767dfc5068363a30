import { defineQuery } from '@temporalio/workflow';
import { type GuestKind, type PolicyData, type PowerAction, type Requester, type Tier } from '@jarvis/policies';
import { type ApprovalSnapshot } from './approval-gate.messages';

export const VM_ACTION_WORKFLOW = 'vmActionWorkflow';

export interface VmActionInput {
  readonly node: string;
  readonly vmid: number;
  readonly action: PowerAction;
  readonly requestedBy: Requester;
  readonly reason?: string;
  /** The policy snapshot this request is judged by, recorded in the history for audit and replay. */
  readonly policy: PolicyData;
  readonly twoPersonRule: boolean;
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
  readonly tier: Tier;
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
