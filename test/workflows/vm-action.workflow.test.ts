import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApprovalsRepository, ArchiveRepository, AuditRepository, type ApprovalView } from '@jarvis/db';
import { decideUpdate, progressQuery, timelineFromHistory, approvalIdFor } from '@jarvis/workflows/api';
import { signedDecision } from '../support/vouch';
import { startStack, type TestStack } from '../support/stack';
import {
  eventually,
  ledger,
  powerCalls,
  simControl,
  startVmAction,
  vmActionInput,
} from '../support/vm-action.fixtures';

describe('vmActionWorkflow on a real Temporal dev server', () => {
  let stack: TestStack;
  let approvals: ApprovalsRepository;

  beforeAll(async () => {
    stack = await startStack();
    approvals = new ApprovalsRepository(stack.pool);
  });
  afterAll(async () => {
    await stack?.close();
  });
  beforeEach(async () => {
    await simControl(stack, 'POST', '/reset', {});
  });

  /** The run's first approval: its ID is unique to this run. */
  const pendingApproval = (handle: { workflowId: string; firstExecutionRunId: string }) =>
    eventually(async () => {
      const a = await approvals.get(approvalIdFor(handle.workflowId, handle.firstExecutionRunId, 1));
      return a?.state === 'pending' ? a : undefined;
    });

  /** A decision as the API sends it: for this approval, with the fingerprint shown (unless `extra` says otherwise). */
  const decide = (
    approval: ApprovalView,
    by: string,
    verdict: 'approve' | 'reject',
    extra: Record<string, unknown> = {},
  ) => {
    const d = { approvalId: approval.id, fingerprint: approval.fingerprint, by, byIsOperator: true, verdict, ...extra };
    // Signed as the API signs, over what is sent; an `extra` that names a voucher sends that one.
    return stack.client.workflow
      .getHandle(approval.workflowId)
      .executeUpdate(decideUpdate, { args: ['voucher' in extra ? d : signedDecision(stack, d)] });
  };

  const refusalType = async (p: Promise<unknown>): Promise<string | undefined> => {
    try {
      await p;
      return undefined;
    } catch (err) {
      expect((err as Error).name).toBe(WorkflowUpdateFailedError.name);
      return (err as { cause?: { type?: string } }).cause?.type;
    }
  };

  it('runs a GREEN action at once, exactly one Proxmox call, and verifies the result', async () => {
    const handle = await startVmAction(
      stack,
      vmActionInput({ node: 'pve', vmid: 100, action: 'stop' }, { 'guest.stop': 'GREEN' }),
    );
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'done', tier: 'GREEN', finalStatus: 'stopped', exitstatus: 'OK' });
    expect(result.upid).toMatch(/^UPID:pve:[0-9A-F]{8}:[0-9A-F]{8,9}:[0-9A-F]{8}:qmstop:100:[^:]+:$/);
    expect(powerCalls(await ledger(stack), 100, 'stop')).toHaveLength(1);

    const steps = timelineFromHistory((await handle.fetchHistory()).events ?? []);
    expect(steps.map((s) => s.kind)).toEqual(['requested', 'tier', 'task', 'task-finished', 'verified']);
    expect(steps.find((s) => s.kind === 'task')?.detail).toMatchObject({ upid: result.upid });
    expect(steps[0]!.durationMs).toBeGreaterThanOrEqual(0);

    const audit = await new AuditRepository(stack.pool).forWorkflow(handle.workflowId);
    expect(audit.map((a) => a.kind)).toEqual(steps.map((s) => s.kind));
  });

  it('waits for a YELLOW approval, then acts once the second operator approves', async () => {
    const handle = await startVmAction(
      stack,
      vmActionInput({ node: 'pve', vmid: 100, action: 'stop', reason: 'patching' }),
    );
    const pending = await pendingApproval(handle);
    expect(pending).toMatchObject({
      tier: 'YELLOW',
      action: 'stop',
      target: { node: 'pve', vmid: 100 },
      reason: 'patching',
      resourceName: 'web-01',
    });
    expect(pending.blastRadius).toEqual({ guests: [100], nodes: ['pve'] });
    expect(await handle.query(progressQuery)).toMatchObject({ phase: 'awaiting-approval', tier: 'YELLOW' });
    expect(powerCalls(await ledger(stack), 100, 'stop')).toHaveLength(0);

    const snapshot = await decide(pending, 'second', 'approve', {
      fingerprint: pending.fingerprint,
      comment: 'go',
    });
    expect(snapshot).toMatchObject({
      status: 'approved',
      decisions: [{ by: 'second', verdict: 'approve', comment: 'go' }],
    });
    expect(await handle.result()).toMatchObject({ outcome: 'done', tier: 'YELLOW', finalStatus: 'stopped' });
    expect(powerCalls(await ledger(stack), 100, 'stop')).toHaveLength(1);
    expect((await approvals.get(pending.id))?.state).toBe('approved');

    const steps = timelineFromHistory((await handle.fetchHistory()).events ?? []);
    expect(steps.map((s) => s.kind)).toEqual([
      'requested',
      'tier',
      'waiting',
      'approved',
      'task',
      'task-finished',
      'verified',
    ]);
    expect(steps.find((s) => s.kind === 'approved')?.by).toBe('second');
  });

  it('refuses bad decisions in the validator and leaves no trace in the history', async () => {
    const handle = await startVmAction(stack, vmActionInput({ node: 'pve', vmid: 100, action: 'stop' }));
    const pending = await pendingApproval(handle);

    expect(
      await refusalType(
        decide(pending, 'second', 'approve', {
          fingerprint: pending.fingerprint.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')),
        }),
      ),
    ).toBe('FINGERPRINT_MISMATCH');
    // Whoever reaches Temporal without the API's signature is no operator, whatever it claims.
    expect(await refusalType(decide(pending, 'mallory', 'approve', { voucher: undefined }))).toBe('NOT_VOUCHED');
    // A decision must carry the fingerprint shown, and name this very approval.
    expect(await refusalType(decide(pending, 'second', 'approve', { fingerprint: undefined }))).toBe(
      'FINGERPRINT_REQUIRED',
    );
    expect(await refusalType(decide(pending, 'second', 'approve', { approvalId: undefined }))).toBe(
      'APPROVAL_MISMATCH',
    );
    expect(await refusalType(decide(pending, 'second', 'approve', { approvalId: `${pending.id}x` }))).toBe(
      'APPROVAL_MISMATCH',
    );
    expect(await refusalType(decide(pending, 'second', 'yes' as 'approve'))).toBe('MALFORMED_DECISION');
    const historyBefore = (await handle.fetchHistory()).events ?? [];
    expect(historyBefore.some((e) => e.workflowExecutionUpdateAcceptedEventAttributes)).toBe(false);

    await decide(pending, 'operator', 'reject', { comment: 'not now' });
    expect(await handle.result()).toMatchObject({ outcome: 'rejected', reason: 'rejected by operator' });
    expect(powerCalls(await ledger(stack), 100, 'stop')).toHaveLength(0);
    expect((await approvals.get(pending.id))?.decisions).toEqual([
      expect.objectContaining({ by: 'operator', verdict: 'reject', comment: 'not now' }),
    ]);
  });

  it('needs two distinct operators for a RED action on an HA-managed guest', async () => {
    const handle = await startVmAction(stack, vmActionInput({ node: 'pve', vmid: 102, action: 'stop' }));
    const pending = await pendingApproval(handle);
    expect(pending.tier).toBe('RED');

    expect(await decide(pending, 'operator', 'approve')).toMatchObject({ status: 'pending' });
    expect(await refusalType(decide(pending, 'operator', 'approve'))).toBe('SAME_OPERATOR');
    expect(powerCalls(await ledger(stack), 102, 'stop')).toHaveLength(0);

    expect(await decide(pending, 'second', 'approve')).toMatchObject({ status: 'approved' });
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'done', tier: 'RED', finalStatus: 'stopped' });
    expect(result.upid).toContain(':hastop:');
  });

  it('lets a lone operator confirm RED only by typing the name', async () => {
    const handle = await startVmAction(stack, {
      ...vmActionInput({ node: 'pve', vmid: 102, action: 'stop' }),
      twoPersonRule: false,
    });
    const pending = await pendingApproval(handle);
    expect(await refusalType(decide(pending, 'operator', 'approve'))).toBe('TYPED_NAME_REQUIRED');
    expect(await refusalType(decide(pending, 'operator', 'approve', { typedName: 'DB-01' }))).toBe(
      'TYPED_NAME_REQUIRED',
    );
    expect(await decide(pending, 'operator', 'approve', { typedName: 'db-01' })).toMatchObject({
      status: 'approved',
    });
    expect(await handle.result()).toMatchObject({ outcome: 'done' });
  });

  it('escalates, then expires an undecided request and records why', async () => {
    const handle = await startVmAction(stack, {
      ...vmActionInput({ node: 'pve', vmid: 100, action: 'stop' }),
      approvalTtlMs: 1_500,
      escalateAfterMs: 500,
    });
    const pending = await pendingApproval(handle);
    expect(await handle.result()).toMatchObject({ outcome: 'expired' });
    expect((await approvals.get(pending.id))?.state).toBe('expired');
    // The run has closed: a late decision cannot reach it.
    await expect(decide(pending, 'second', 'approve')).rejects.toMatchObject({
      name: 'WorkflowNotFoundError',
    });
    const kinds = timelineFromHistory((await handle.fetchHistory()).events ?? []).map((s) => s.kind);
    expect(kinds).toEqual(['requested', 'tier', 'waiting', 'escalated', 'expired']);
    expect(powerCalls(await ledger(stack), 100, 'stop')).toHaveLength(0);
  });

  it("blocks any change to Jarvis's own VM as BLACK and records the refusal", async () => {
    const handle = await startVmAction(
      stack,
      vmActionInput({ node: 'agent1', vmid: 103, action: 'stop' }, { 'guest.stop': 'GREEN' }),
    );
    expect(await handle.result()).toMatchObject({ outcome: 'blocked', tier: 'BLACK' });
    const kinds = timelineFromHistory((await handle.fetchHistory()).events ?? []).map((s) => s.kind);
    expect(kinds).toEqual(['requested', 'tier', 'blocked']);
    expect((await ledger(stack)).filter((e) => e.vmid === 103)).toHaveLength(0);
  });

  it('reports a guest that is not on the node without calling Proxmox', async () => {
    const handle = await startVmAction(
      stack,
      vmActionInput({ node: 'home', vmid: 100, action: 'stop' }, { 'guest.stop': 'GREEN' }),
    );
    expect(await handle.result()).toMatchObject({ outcome: 'not-found' });
    expect(await ledger(stack)).toHaveLength(0);
  });

  it('records a Proxmox task that fails with its exit status and log', async () => {
    const handle = await startVmAction(
      stack,
      vmActionInput({ node: 'home', vmid: 105, action: 'start' }, { 'guest.start': 'GREEN' }),
    );
    const result = await handle.result();
    expect(result).toMatchObject({ outcome: 'failed', exitstatus: 'VM is locked (backup)' });
    const failed = timelineFromHistory((await handle.fetchHistory()).events ?? []).find(
      (s) => s.kind === 'task-failed',
    );
    expect(JSON.stringify(failed?.detail)).toContain('TASK ERROR');
  });

  it('ends as failed, with the reason recorded, when Proxmox refuses the call outright', async () => {
    const handle = await startVmAction(
      stack,
      vmActionInput({ node: 'home', vmid: 101, action: 'start' }, { 'guest.start': 'GREEN' }),
    );
    const result = await handle.result();
    expect(result.outcome).toBe('failed');
    expect(result.reason).toMatch(/^ALREADY_RUNNING: .*already running/);
    const kinds = timelineFromHistory((await handle.fetchHistory()).events ?? []).map((s) => s.kind);
    expect(kinds).toEqual(['requested', 'tier', 'failed']);
  });

  it('rides out its node dropping off the network while it follows the task', async () => {
    await simControl(stack, 'PUT', '/config', { taskMs: 2_000 });
    try {
      const handle = await startVmAction(
        stack,
        vmActionInput({ node: 'pve', vmid: 111, action: 'stop' }, { 'guest.stop': 'GREEN' }),
      );
      await eventually(async () => (powerCalls(await ledger(stack), 111, 'stop').length === 1 ? true : undefined));
      await simControl(stack, 'POST', '/faults', { kind: 'node-offline', node: 'pve' });
      await new Promise((r) => setTimeout(r, 2_500));
      await simControl(stack, 'POST', '/faults', { kind: 'node-online', node: 'pve' });
      expect(await handle.result()).toMatchObject({ outcome: 'done', finalStatus: 'stopped' });
      expect(powerCalls(await ledger(stack), 111, 'stop')).toHaveLength(1);
    } finally {
      await simControl(stack, 'PUT', '/config', { taskMs: 100 });
    }
  });

  it('archives the closed history to Postgres', async () => {
    const handle = await startVmAction(
      stack,
      vmActionInput({ node: 'pve', vmid: 107, action: 'start' }, { 'guest.start': 'GREEN' }),
    );
    await handle.result();
    const archive = new ArchiveRepository(stack.pool);
    const stored = await eventually(() => archive.history(handle.workflowId));
    expect(stored.summary).toMatchObject({
      kind: 'vmActionWorkflow',
      status: 'COMPLETED',
      outcome: 'done',
      node: 'pve',
      vmid: 107,
      action: 'start',
    });
    expect((stored.history as { events: unknown[] }).events.length).toBeGreaterThan(5);
  });
});
