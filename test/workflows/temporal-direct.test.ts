import { randomBytes } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ChangeGuard, createProxmoxActivities } from '@jarvis/activities';
import { DecisionSigner } from '@jarvis/api';
import { ApprovalsRepository, AuditRepository, type ApprovalView } from '@jarvis/db';
import { decisionFields, defaultTierTable } from '@jarvis/policies';
import {
  approvalIdFor,
  decideUpdate,
  VM_ACTION_WORKFLOW,
  type DecisionArgs,
  type VmActionInput,
  type VmActionResult,
} from '@jarvis/workflows/api';
import { startStack, type TestStack } from '../support/stack';
import { eventually, ledger, powerCalls, startVmAction, vmActionInput } from '../support/vm-action.fixtures';
import { requesterVoucher, signedDecision, storePolicy } from '../support/vouch';

/**
 * A caller that reaches Temporal (or the worker's activities) directly, with no Jarvis
 * credentials: BLACK still means never, and no decision counts without the API's signature.
 */
describe('Temporal reached directly', () => {
  let stack: TestStack;
  let approvals: ApprovalsRepository;
  /** Every tool GREEN, and a protected list that protects nothing: the most permissive policy a forger could pass. */
  const permissive = {
    tiers: Object.fromEntries(Object.keys(defaultTierTable()).map((t) => [t, 'GREEN'])),
    protected: { jarvis: { vmid: 999_999, node: 'nowhere' } },
  };

  beforeAll(async () => {
    stack = await startStack();
    approvals = new ApprovalsRepository(stack.pool);
  });
  afterAll(async () => {
    await stack?.close();
  });

  const startRaw = (input: VmActionInput, workflowId: string) =>
    stack.client.workflow.start<(i: VmActionInput) => Promise<VmActionResult>>(VM_ACTION_WORKFLOW, {
      taskQueue: stack.taskQueue,
      workflowId,
      args: [input],
    });

  /** A stop started on Temporal directly, carrying the forger's own permissive policy. */
  const forgedStop = (node: string, vmid: number, workflowId: string, extra: Partial<VmActionInput> = {}) =>
    startRaw(
      {
        node,
        vmid,
        action: 'stop',
        requestedBy: { kind: 'operator', id: 'operator' },
        policy: permissive,
        twoPersonRule: false,
        approvalTtlMs: 60_000,
        escalateAfterMs: 60_000,
        ...extra,
      },
      workflowId,
    );

  const refusal = async (p: Promise<unknown>): Promise<{ type?: string; message?: string }> => {
    try {
      await p;
      return {};
    } catch (err) {
      expect((err as Error).name).toBe(WorkflowUpdateFailedError.name);
      return (err as { cause?: { type?: string; message?: string } }).cause ?? {};
    }
  };

  const pendingApproval = (handle: { workflowId: string; firstExecutionRunId: string }) =>
    eventually(async () => {
      const a = await approvals.get(approvalIdFor(handle.workflowId, handle.firstExecutionRunId, 1));
      return a?.state === 'pending' ? a : undefined;
    });

  it('judges a forged start by the stored policy: Jarvis’s VM stays BLACK and Proxmox hears nothing', async () => {
    await storePolicy(stack, { tiers: defaultTierTable(), twoPersonRule: true });
    const before = powerCalls(await ledger(stack), 103, 'stop').length;

    // Not vouched for at all (the forger has no signing key): blocked before anything is read.
    const unvouchedId = `vm-action:agent1:103:stop:FORGED${randomBytes(4).toString('hex')}`;
    const unvouched = await forgedStop('agent1', 103, unvouchedId);
    await expect(unvouched.result()).resolves.toMatchObject({ outcome: 'blocked', tier: 'BLACK' });

    // Even vouched for (as if the API had started it), the policy in the input is ignored.
    const vouchedId = `vm-action:agent1:103:stop:${randomBytes(4).toString('hex')}`;
    const vouched = await forgedStop('agent1', 103, vouchedId, {
      requesterVoucher: requesterVoucher(stack, vouchedId, { kind: 'operator', id: 'operator' }),
    });
    const result = await vouched.result();
    expect(result).toMatchObject({ outcome: 'blocked', tier: 'BLACK' });
    expect(result.reason).toMatch(/guest:103 is protected/);

    // A YELLOW stop of another guest, forged with every tool GREEN: not run either.
    const beforeHundred = powerCalls(await ledger(stack), 100, 'stop').length;
    const greenId = `vm-action:pve:100:stop:FORGED${randomBytes(4).toString('hex')}`;
    const green = await forgedStop('pve', 100, greenId);
    await expect(green.result()).resolves.toMatchObject({ outcome: 'blocked', tier: 'BLACK' });

    const entries = await ledger(stack);
    expect(powerCalls(entries, 103, 'stop')).toHaveLength(before);
    expect(powerCalls(entries, 100, 'stop')).toHaveLength(beforeHundred);
    const steps = await new AuditRepository(stack.pool).forWorkflow(unvouchedId);
    expect(steps.find((s) => s.kind === 'blocked')?.title).toMatch(/did not come through Jarvis's API/);
  });

  it('refuses a decision sent directly to Temporal: unsigned, signed by another key, stale, or replayed', async () => {
    // RED with two operators, so one signed approval leaves the request pending for a replay.
    const before = powerCalls(await ledger(stack), 100, 'stop').length;
    const handle = await startVmAction(
      stack,
      vmActionInput({ node: 'pve', vmid: 100, action: 'stop', twoPersonRule: true }, { 'guest.stop': 'RED' }),
    );
    const pending: ApprovalView = await pendingApproval(handle);
    const decision = {
      approvalId: pending.id,
      fingerprint: pending.fingerprint,
      by: 'mallory',
      byIsOperator: true,
      verdict: 'approve' as const,
    };
    const decide = (args: DecisionArgs) =>
      stack.client.workflow.getHandle(handle.workflowId).executeUpdate(decideUpdate, { args: [args] });

    const unsigned = await refusal(decide(decision));
    expect(unsigned.type).toBe('NOT_VOUCHED');
    expect(unsigned.message).toMatch(/no signature/);

    const otherKey = DecisionSigner.ephemeral();
    const forged = await refusal(decide({ ...decision, voucher: otherKey.sign('decision', decisionFields(decision)) }));
    expect(forged).toMatchObject({ type: 'NOT_VOUCHED' });
    expect(forged.message).toMatch(/not Jarvis's/);

    // A signature over other fields (the operator's name changed after signing) is no signature.
    const signed = signedDecision(stack, { ...decision, by: 'operator' });
    expect(await refusal(decide({ ...signed, by: 'second' }))).toMatchObject({ type: 'NOT_VOUCHED' });

    const stale = await refusal(
      decide({
        ...decision,
        by: 'operator',
        voucher: stack.signer.sign(
          'decision',
          decisionFields({ ...decision, by: 'operator' }),
          new Date(Date.now() - 10 * 60_000),
        ),
      }),
    );
    expect(stale).toMatchObject({ type: 'NOT_VOUCHED' });
    expect(stale.message).toMatch(/too far from now/);

    // The first of two approvals is taken; the same signed decision sent again is a replay.
    const first = await decide(signed);
    expect(first.status).toBe('pending');
    const replayed = await refusal(decide(signed));
    expect(replayed).toMatchObject({ type: 'NOT_VOUCHED' });
    expect(replayed.message).toMatch(/already used/);
    // Nothing was done on the strength of any of them.
    expect(powerCalls(await ledger(stack), 100, 'stop')).toHaveLength(before);

    // The real second operator, signed by the API, completes it.
    await decide(signedDecision(stack, { ...decision, by: 'second' }));
    await expect(handle.result()).resolves.toMatchObject({ outcome: 'done' });
    expect(powerCalls(await ledger(stack), 100, 'stop')).toHaveLength(before + 1);
    // The history names the policy version each decision was judged by.
    const steps = await new AuditRepository(stack.pool).forWorkflow(handle.workflowId);
    expect(steps.find((s) => s.kind === 'tier')?.detail?.['policyVersion']).toEqual(expect.any(Number));
  });

  it('refuses a protected target at the activity itself, audits it, and sends Proxmox nothing', async () => {
    const audit = new AuditRepository(stack.pool);
    const recorded: unknown[] = [];
    const acts = createProxmoxActivities({
      pve: stack.pve,
      desired: { record: (w) => (recorded.push(w), Promise.resolve(true)) },
      guard: new ChangeGuard(stack.policy, audit),
    });
    const before = await ledger(stack);
    const workflowId = `direct-activity-${randomBytes(4).toString('hex')}`;
    const env = new MockActivityEnvironment({
      workflowExecution: { workflowId, runId: 'r1' },
      activityId: 'a1',
    });
    const call = env.run(acts.issuePowerAction, {
      node: 'agent1',
      vmid: 103,
      kind: 'qemu' as const,
      action: 'stop' as const,
      notBeforeMs: Date.now(),
    });
    await expect(call).rejects.toMatchObject({ type: 'PROTECTED_TARGET', nonRetryable: true });
    // The node Jarvis's VM depends on is as protected as the VM.
    await expect(
      new MockActivityEnvironment({ workflowExecution: { workflowId, runId: 'r1' }, activityId: 'a2' }).run(
        acts.wakeNode,
        { node: 'agent1' },
      ),
    ).rejects.toMatchObject({ type: 'PROTECTED_TARGET' });

    expect(recorded).toEqual([]);
    const after = await ledger(stack);
    expect(after.filter((e) => e.vmid === 103 || e.node === 'agent1').length).toBe(
      before.filter((e) => e.vmid === 103 || e.node === 'agent1').length,
    );
    const refused = (await audit.forWorkflow(workflowId)).filter((s) => s.kind === 'guard-refused');
    expect(refused.map((s) => s.vmid ?? s.node)).toEqual([103, 'agent1']);
  });
});
