import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { type AuditRepository } from '@jarvis/db';
import { evaluateAction } from '@jarvis/policies';
import { type PolicySource } from './policy-source';

/** The ApplicationFailure type of a change refused at the Proxmox call. */
export const PROTECTED_TARGET = 'PROTECTED_TARGET';

/**
 * The last line of defence, right before any change reaches Proxmox or a node: the target is
 * judged again against Jarvis's own policy (not the workflow's), and a protected target (Jarvis's
 * VM, its node, what they depend on) fails non-retryably, is audited, and is never sent. Whatever
 * a workflow was started with, or however an activity was scheduled, this holds.
 */
export class ChangeGuard {
  constructor(
    private readonly source: PolicySource,
    private readonly audit?: Pick<AuditRepository, 'record'>,
  ) {}

  async assertAllowed(tool: string, args: Record<string, unknown>): Promise<void> {
    const loaded = await this.source.recent();
    const decision = evaluateAction({ tool, args }, {}, loaded.policy);
    if (decision.ruleId !== 'protected-resource') return;
    const info = Context.current().info;
    const workflowId = info.workflowExecution?.workflowId ?? 'activity';
    await this.audit
      ?.record({
        workflowId,
        activityId: `guard:${info.activityId}`,
        kind: 'guard-refused',
        title: `Refused at the Proxmox call: ${tool} on a protected target (${decision.reason})`,
        actor: 'jarvis',
        ...(typeof args['node'] === 'string' ? { node: args['node'] } : {}),
        ...(typeof args['vmid'] === 'number' ? { vmid: args['vmid'] } : {}),
        detail: { tool, args, reason: decision.reason, policyVersion: loaded.version },
        at: new Date().toISOString(),
      })
      .catch(() => undefined);
    throw ApplicationFailure.nonRetryable(`refused: ${decision.reason}; nothing was sent to Proxmox`, PROTECTED_TARGET);
  }
}
