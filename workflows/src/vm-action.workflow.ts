import {
  allHandlersFinished,
  condition,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import type * as activities from '@jarvis/activities';
import { evaluateAction, missingPermission, refusalAdvice, type Tier } from '@jarvis/policies';
import { createApprovalGate } from './approval-gate';
import { loadRunPolicy } from './policy-loader';
import {
  EXPECTED_STATUS,
  progressQuery,
  VM_ACTION_WORKFLOW,
  type VmActionInput,
  type VmActionPhase,
  type VmActionResult,
} from './vm-action.messages';

type Acts = activities.ProxmoxActivities & activities.DbActivities;
type Step = activities.WorkflowStep;

// Projection writes and the fact-finding read are short and idempotent: local activities keep
// them off the task queue (a marker in the history instead of a round trip through matching).
const local = proxyLocalActivities<Acts>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', maximumInterval: '5s', maximumAttempts: 10 },
});

/** A VM power action behind the tier policy and, for YELLOW and RED, an operator's approval. */
export async function vmActionWorkflow(input: VmActionInput): Promise<VmActionResult> {
  const timing = input.timing ?? {};
  // The Proxmox call is a regular activity on purpose: a retry after a worker crash must know it
  // is a retry (attempt > 1) to look for the task the lost attempt may have started.
  const proxmox = proxyActivities<Acts>({
    startToCloseTimeout: timing.callTimeoutMs ?? 45_000,
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
  });
  const follower = proxyActivities<Acts>({
    startToCloseTimeout: (timing.taskTimeoutMs ?? 10 * 60_000) + (timing.verifyTimeoutMs ?? 2 * 60_000),
    heartbeatTimeout: timing.heartbeatTimeoutMs ?? 30_000,
    retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 20 },
  });

  // Runs from before this patch failed the workflow on an unexpected refusal and lost the steps
  // not yet written; they replay as they ran.
  const recordsFailures = patched(RECORDS_FAILURES_PATCH);
  let phase: VmActionPhase = 'evaluating';
  let tier: Tier | undefined;
  let finalReason: string | undefined;
  let upid: string | undefined;
  let stepSeq = 0;
  const tool = `guest.${input.action}`;
  const target = { node: input.node, vmid: input.vmid };

  // Steps are buffered and written when the workflow is about to wait anyway, so one local
  // activity carries everything that happened in one workflow task.
  const unwritten: Step[] = [];
  const step = (kind: string, title: string, extra: { by?: string; detail?: Record<string, unknown> } = {}): void => {
    unwritten.push({ key: `step-${++stepSeq}`, kind, title, at: new Date().toISOString(), ...target, ...extra });
  };
  const flush = async (archive?: { kind: string; summary: Record<string, unknown> }): Promise<void> => {
    if (unwritten.length === 0 && !archive) return;
    const batch = unwritten.splice(0);
    try {
      await local.recordSteps({ steps: batch, ...(archive ? { archive } : {}) });
    } catch (err) {
      // Not written: kept for the failure record, which tries once more.
      unwritten.unshift(...batch);
      throw err;
    }
  };

  const finish = async (result: VmActionResult): Promise<VmActionResult> => {
    phase = result.outcome === 'done' ? 'done' : result.outcome;
    finalReason = result.reason;
    await condition(allHandlersFinished);
    await flush({
      kind: VM_ACTION_WORKFLOW,
      summary: {
        ...target,
        action: input.action,
        outcome: result.outcome,
        tier: result.tier,
        requestedBy: input.requestedBy.id,
      },
    });
    return result;
  };

  /**
   * A failure as a step, never a silent end: Proxmox's reason, and what the operator can do about
   * it (which privilege on which path, for a refusal).
   */
  const failedStep = (err: unknown): { code: string; message: string } => {
    const code = failureType(err) ?? 'ERROR';
    const message = failureMessage(err);
    const advice = refusalAdvice(code, message);
    const missing = missingPermission(message);
    step('failed', code === 'ERROR' ? `Failed: ${message}` : `Proxmox refused: ${message}`, {
      detail: {
        code,
        ...(advice ? { advice } : {}),
        ...(missing ? { missing } : {}),
        ...(upid ? { upid } : {}),
      },
    });
    return { code, message };
  };

  let gate: ReturnType<typeof createApprovalGate> | undefined;
  setHandler(progressQuery, () => ({
    phase,
    ...(tier ? { tier } : {}),
    ...(gate ? (gate.snapshot() ? { approval: gate.snapshot()! } : {}) : {}),
    ...(upid ? { upid } : {}),
    ...(finalReason !== undefined ? { reason: finalReason } : {}),
  }));

  if (!recordsFailures) return main();
  try {
    return await main();
  } catch (err) {
    if (isCancellation(err)) throw err;
    // Whatever ended the run (a refused read before the first step, an activity out of retries),
    // it ends as a recorded failure with the reason, not as a failed workflow with no timeline.
    const { code, message } = failedStep(err);
    return finish({
      outcome: 'failed',
      ...(tier ? { tier } : {}),
      reason: `${code}: ${message}`,
      ...(upid ? { upid } : {}),
    });
  }

  async function main(): Promise<VmActionResult> {
    // Jarvis's policy, from its store: whatever policy the input carries is never read.
    const run = await loadRunPolicy(input, {
      requester: { ...input.requestedBy, voucher: input.requesterVoucher },
    });
    gate = createApprovalGate({ step, flush }, 'Approve or reject this action as an operator.', {
      signed: run.fromStore,
      ...(run.decisionKey ? { publicKey: run.decisionKey.publicKey } : {}),
    });

    step('requested', `${input.requestedBy.id} asked to ${input.action} guest ${input.vmid} on ${input.node}`, {
      by: input.requestedBy.id,
      detail: {
        requester: input.requestedBy,
        ...(input.reason ? { reason: input.reason } : {}),
        ...(run.fromStore ? { policyVersion: run.version } : {}),
      },
    });

    // Who asked must be one the API vouched for, for this very workflow, judged at the run's start
    // (checked with the policy: a request queued while the worker was down is not refused as stale).
    if (run.fromStore && run.requester?.ok !== true) {
      const refusal = run.requester && !run.requester.ok ? run.requester : { code: 'UNSIGNED', reason: 'not checked' };
      tier = 'BLACK';
      step('blocked', `Blocked: the request did not come through Jarvis's API (${refusal.reason})`, {
        detail: { tier, ruleId: 'unvouched-requester', code: refusal.code },
      });
      return finish({ outcome: 'blocked', tier, reason: `unvouched request: ${refusal.reason}` });
    }

    // Facts first: an HA-managed guest raises the tier, and a guest that is not there cannot be acted on.
    let facts: Awaited<ReturnType<Acts['describeGuest']>>;
    try {
      facts = await local.describeGuest(target);
    } catch (err) {
      if (failureType(err) === 'NOT_FOUND') {
        tier = 'BLACK';
        // When Proxmox could not say whether the guest is only hidden from the token, the step says so.
        const message = failureMessage(err);
        const hedge = recordsFailures && /may not see/.test(message) ? ` (${message})` : '';
        step('not-found', `Guest ${input.vmid} is not on ${input.node}${hedge}`, {
          ...(recordsFailures ? { detail: { reason: message } } : {}),
        });
        return finish({
          outcome: 'not-found',
          tier,
          reason: `guest ${input.vmid} is not on node ${input.node}${hedge}`,
        });
      }
      throw err;
    }

    if (recordsFailures && facts.haUnknown) {
      // The HA read was refused: say so, and that the tier below is judged on the safe side.
      step('degraded', `HA state unknown: ${facts.haUnknown.reason}`, {
        detail: {
          code: facts.haUnknown.code,
          haManaged: facts.haManaged,
          ...(refusalAdvice(facts.haUnknown.code, facts.haUnknown.reason)
            ? { advice: refusalAdvice(facts.haUnknown.code, facts.haUnknown.reason) }
            : {}),
        },
      });
    }

    const args = { node: input.node, vmid: input.vmid, kind: facts.kind };
    const decision = evaluateAction({ tool, args }, { haManaged: facts.haManaged }, run.policy);
    tier = decision.tier;
    step('tier', `Policy: ${decision.tier}`, {
      detail: {
        tier: decision.tier,
        ruleId: decision.ruleId,
        reason: decision.reason,
        ...(run.fromStore ? { policyVersion: run.version } : {}),
      },
    });

    if (decision.kind === 'deny') {
      step('blocked', `Blocked: ${decision.reason}`, { detail: { tier: decision.tier, ruleId: decision.ruleId } });
      return finish({ outcome: 'blocked', tier: decision.tier, reason: decision.reason });
    }

    if (decision.kind === 'ask') {
      const approvalTier = decision.tier === 'RED' ? 'RED' : 'YELLOW';
      phase = 'awaiting-approval';
      const asked = await gate.ask({
        tier: approvalTier,
        requester: input.requestedBy,
        tool,
        args,
        ttlMs: input.approvalTtlMs,
        escalateAfterMs: input.escalateAfterMs,
        twoPersonRule: run.twoPersonRule,
        resourceName: facts.name,
        listing: {
          action: input.action,
          target: { node: input.node, vmid: input.vmid, type: facts.kind },
          reason: input.reason ?? null,
        },
        requestStep: {
          kind: 'waiting',
          title: `Waiting for ${approvalTier === 'RED' ? 'two confirmations' : 'an approval'}`,
        },
      });
      if (asked.status === 'expired') {
        return finish({
          outcome: 'expired',
          tier: decision.tier,
          reason: 'no operator decided before the request expired',
        });
      }
      if (asked.status === 'rejected') {
        return finish({ outcome: 'rejected', tier: decision.tier, reason: `rejected by ${asked.by ?? 'an operator'}` });
      }
    }

    try {
      return await act();
    } catch (err) {
      // A Proxmox refusal (locked, no quorum, node unreachable after retries…) ends the action
      // as failed, with the reason on the record, rather than failing the workflow itself.
      const type = failureType(err);
      if (!type) throw err;
      const message = failureMessage(err);
      if (type === 'PROTECTED_TARGET') {
        // The last line of defence refused at the Proxmox call: nothing was sent.
        step('blocked', `Blocked at the Proxmox call: ${message}`, { detail: { tier: 'BLACK', code: type } });
        return finish({ outcome: 'blocked', tier: 'BLACK', reason: message });
      }
      if (recordsFailures) failedStep(err);
      else step('failed', `Proxmox refused: ${message}`, { detail: { code: type, ...(upid ? { upid } : {}) } });
      return finish({
        outcome: 'failed',
        tier: decision.tier,
        reason: `${type}: ${message}`,
        ...(upid ? { upid } : {}),
      });
    }

    async function act(): Promise<VmActionResult> {
      phase = 'acting';
      const notBeforeMs = Date.now();
      const [issued] = await Promise.all([
        proxmox.issuePowerAction({ ...args, action: input.action, notBeforeMs }),
        flush(),
      ]);
      upid = issued.upid;
      step('task', `Proxmox task ${issued.adopted ? 'found after a retry' : 'started'}`, {
        detail: { upid: issued.upid, adopted: issued.adopted },
      });

      phase = 'waiting-for-task';
      const expected = EXPECTED_STATUS[input.action];
      const [{ task, verification }] = await Promise.all([
        follower.followPowerTask({
          ...args,
          upid: issued.upid,
          expected,
          ...(timing.taskTimeoutMs ? { taskTimeoutMs: timing.taskTimeoutMs } : {}),
          ...(timing.verifyTimeoutMs ? { verifyTimeoutMs: timing.verifyTimeoutMs } : {}),
        }),
        flush(),
      ]);
      step(task.ok ? 'task-finished' : 'task-failed', `Task ${task.ok ? 'finished' : 'failed'}: ${task.exitstatus}`, {
        detail: {
          upid: issued.upid,
          exitstatus: task.exitstatus,
          durationMs: task.durationMs,
          ...(task.ok ? {} : { logTail: task.logTail }),
        },
      });
      if (!task.ok || !verification) {
        return finish({
          outcome: 'failed',
          tier: decision.tier,
          reason: task.exitstatus,
          upid: issued.upid,
          exitstatus: task.exitstatus,
        });
      }

      step(
        verification.verified ? 'verified' : 'not-verified',
        verification.verified
          ? `Verified: guest is ${verification.status}`
          : `Guest is ${verification.status}, expected ${expected}`,
        { detail: { expected, observed: verification.status, observedAt: verification.observedAt } },
      );
      return finish({
        outcome: verification.verified ? 'done' : 'failed',
        tier: decision.tier,
        reason: verification.verified
          ? `guest ${input.vmid} is ${verification.status}`
          : `expected ${expected}, observed ${verification.status}`,
        upid: issued.upid,
        exitstatus: task.exitstatus,
        finalStatus: verification.status,
      });
    }
  }
}

/** The patch under which every failure is a recorded step and the run ends `failed`, not FAILED. */
export const RECORDS_FAILURES_PATCH = 'vm-action-records-failures';

/** The innermost message of an activity failure (the ApplicationFailure's, i.e. Proxmox's words). */
function failureMessage(err: unknown): string {
  const e = err as { message?: unknown; cause?: { message?: unknown } } | undefined;
  const inner = typeof e?.cause?.message === 'string' && e.cause.message ? e.cause.message : e?.message;
  return typeof inner === 'string' && inner ? inner : String(err);
}

/** The ApplicationFailure type behind an activity failure (local activities surface it directly). Compared by type, never instanceof. */
function failureType(err: unknown): string | undefined {
  const e = err as { type?: unknown; cause?: { type?: unknown } } | undefined;
  return typeof e?.type === 'string' ? e.type : typeof e?.cause?.type === 'string' ? e.cause.type : undefined;
}
