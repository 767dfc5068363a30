import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApprovalsRepository, ArchiveRepository, type ApprovalView } from '@jarvis/db';
import { decideUpdate, guardianIdFor, monitorIdFor, monitorStatusQuery } from '@jarvis/workflows/api';
import { startStack, type TestStack } from '../support/stack';
import { eventually, ledger, powerCalls, simControl } from '../support/vm-action.fixtures';
import {
  fastAutonomy,
  monitorHasLooked,
  phaseOf,
  remediationResult,
  stepsOf,
  terminateStack,
} from '../support/remediation.fixtures';
import { setAutonomy, signedDecision } from '../support/vouch';

const FIXTURES = join(__dirname, '..', 'fixtures', 'histories');

/**
 * Verified remediation with rollback, on the real dev server and the simulator: a VM restart
 * preceded by a snapshot fails its verification (the guest crashes again within the stability
 * window); the rollback to the snapshot is RED, so it waits for an operator's approval through the
 * same `decide` update, runs as a Proxmox task, and the remediation escalates.
 */
describe('a restart that fails verification', () => {
  let stack: TestStack;
  const VMID = 113; // qemu on agent; used by no other remediation suite
  const workflowId = `remediate:vm-crashed:${VMID}`;

  beforeAll(async () => {
    const cluster = `rollback-${Date.now().toString(36)}`;
    stack = await startStack({ autonomy: fastAutonomy(cluster, {}, { snapshotBeforeRestartAfter: 1 }) });
    await eventually(() => stack.client.workflow.getHandle(guardianIdFor(stack.cluster)).describe());
    await eventually(() => stack.client.workflow.getHandle(monitorIdFor(stack.cluster)).describe());
    await monitorHasLooked(stack);
  });
  afterAll(async () => {
    if (stack) await terminateStack(stack);
    await stack?.close();
  });

  /**
   * 113 running and seen running by the monitor (two more polls), so that a crash is a transition
   * it can see. Returns the start's UPID when it had to start it.
   */
  const runningAndSeen = async (): Promise<string | undefined> => {
    await simControl(stack, 'DELETE', '/faults');
    const guest = (await stack.pve.clusterResources('vm')).guests.find((g) => g.vmid === VMID);
    const upid = guest?.status === 'running' ? undefined : await stack.pve.powerAction('agent', VMID, 'qemu', 'start');
    await eventually(async () =>
      (await stack.pve.clusterResources('vm')).guests.find((g) => g.vmid === VMID)?.status === 'running'
        ? true
        : undefined,
    );
    const monitor = stack.client.workflow.getHandle(monitorIdFor(stack.cluster));
    const polls = (await monitor.query(monitorStatusQuery)).polls;
    await eventually(async () => ((await monitor.query(monitorStatusQuery)).polls >= polls + 2 ? true : undefined));
    return upid;
  };

  it('is rolled back to its snapshot after an approval, then escalated', async () => {
    // 113 is stopped in the scenario: start it, let the monitor see it running, then make it flap.
    expect(await runningAndSeen()).toMatch(/^UPID:agent:/);
    const since = Date.now();
    await simControl(stack, 'POST', '/faults', { kind: 'flapping-guest', vmid: VMID });

    // The restart is preceded by a snapshot, fails verification, and the rollback waits for a RED approval.
    await eventually(
      async () => ((await phaseOf(stack, workflowId, since)) === 'awaiting-approval' ? true : undefined),
      30_000,
    );
    const approval = await eventually(async () => {
      const all = await new ApprovalsRepository(stack.pool).forWorkflow(workflowId);
      return all.find(
        (a) => a.action === 'rollback' && a.state === 'pending' && Date.parse(a.requestedAt) >= since - 50,
      );
    });
    expect(approval).toMatchObject({ tier: 'RED', action: 'rollback', requestedBy: { kind: 'runbook' } });
    const snapshotCalls = (await ledger(stack)).filter(
      (e) => e.vmid === VMID && e.action === 'snapshot' && e.atMs >= since - 50,
    );
    expect(snapshotCalls).toHaveLength(1);
    expect(powerCalls(await ledger(stack), VMID, 'start').filter((e) => e.atMs >= since - 50)).toHaveLength(1);
    // Nothing is rolled back before the operator says so.
    expect((await ledger(stack)).filter((e) => e.vmid === VMID && e.action === 'rollback')).toEqual([]);

    await stack.client.workflow.getHandle(workflowId).executeUpdate(decideUpdate, {
      args: [
        signedDecision(stack, {
          approvalId: approval.id,
          fingerprint: approval.fingerprint,
          by: 'operator',
          byIsOperator: true,
          verdict: 'approve',
          typedName: approval.resourceName,
        }),
      ],
    });

    const result = await remediationResult(stack, workflowId, since, 30_000);
    expect(result).toMatchObject({ outcome: 'escalated', attempts: 1 });
    expect(result.reason).toMatch(/rolled back to snapshot jarvis_/);

    const rollbacks = (await ledger(stack)).filter((e) => e.vmid === VMID && e.action === 'rollback');
    expect(rollbacks).toHaveLength(1);
    expect(rollbacks[0]?.path).toContain(`/snapshot/jarvis_`);
    expect(rollbacks[0]?.upid).toMatch(/^UPID:agent:.*:qmrollback:/);
    // Restarted once only: a failed verification with an undo escalates instead of trying again.
    expect(powerCalls(await ledger(stack), VMID, 'start').filter((e) => e.atMs >= since - 50)).toHaveLength(1);

    const kinds = (await stepsOf(stack, workflowId, since)).map((s) => s.kind);
    const order = [
      'detected',
      'permitted',
      'snapshotting',
      'snapshot',
      'restarting',
      'unstable',
      'attempt-failed',
      'rollback-requested',
      'approval-requested',
      'approved',
      'rolled-back',
      'escalated',
    ];
    const positions = order.map((k) => kinds.indexOf(k));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });
  /** A decision as the dashboard sends it, for `approval` (its ID and fingerprint); resolves to the refusal's type, if refused. */
  const decide = (approval: ApprovalView, extra: Record<string, unknown> = {}): Promise<string | undefined> =>
    stack.client.workflow
      .getHandle(approval.workflowId)
      .executeUpdate(decideUpdate, {
        args: [
          signedDecision(stack, {
            approvalId: approval.id,
            fingerprint: approval.fingerprint,
            by: 'operator',
            byIsOperator: true,
            verdict: 'approve',
            ...extra,
          }),
        ],
      })
      .then(
        () => undefined,
        (err: unknown) => {
          expect((err as Error).name).toBe(WorkflowUpdateFailedError.name);
          return (err as { cause?: { type?: string } }).cause?.type ?? 'unknown';
        },
      );
  const pendingSince = (since: number, action: string, not?: string): Promise<ApprovalView> =>
    eventually(async () => {
      const all = await new ApprovalsRepository(stack.pool).forWorkflow(workflowId);
      return all.find(
        (a) => a.action === action && a.state === 'pending' && a.id !== not && Date.parse(a.requestedAt) >= since - 50,
      );
    }, 30_000);
  it('at L2, a decision for the restart approval cannot decide the rollback, nor the next run of the same incident', async () => {
    await setAutonomy(stack, 'vm-crashed', 'L2');
    await runningAndSeen();

    // Run 1: the restart asks (L2), then its failed verification asks for the RED rollback.
    const since = Date.now();
    await simControl(stack, 'POST', '/faults', { kind: 'flapping-guest', vmid: VMID });
    const restart = await pendingSince(since, 'start');
    expect(restart).toMatchObject({ tier: 'YELLOW', requestedBy: { kind: 'runbook' } });
    expect(restart.id).toMatch(/^remediate:vm-crashed:113:[A-Za-z0-9]{12}:approval:1$/);
    expect(await decide(restart)).toBeUndefined();
    const rollback = await pendingSince(since, 'rollback');
    expect(rollback.id).not.toBe(restart.id);
    expect(rollback.id.startsWith(restart.id.replace(/1$/, ''))).toBe(true);

    // The operator's second click on the restart card names the restart: refused, the rollback still waits.
    expect(await decide(restart, { typedName: rollback.resourceName })).toBe('APPROVAL_MISMATCH');
    expect(await decide({ ...rollback, fingerprint: restart.fingerprint }, { typedName: rollback.resourceName })).toBe(
      'FINGERPRINT_MISMATCH',
    );
    expect(await decide(rollback, { fingerprint: undefined, typedName: rollback.resourceName })).toBe(
      'FINGERPRINT_REQUIRED',
    );
    expect((await new ApprovalsRepository(stack.pool).get(rollback.id))?.state).toBe('pending');
    expect(
      (await ledger(stack)).filter((e) => e.vmid === VMID && e.action === 'rollback' && e.atMs >= since - 50),
    ).toEqual([]);
    expect(await decide(rollback, { verdict: 'reject' })).toBeUndefined();
    expect(await remediationResult(stack, workflowId, since, 30_000)).toMatchObject({ outcome: 'escalated' });
    if (process.env['RECORD_HISTORIES'] === '1') {
      // Records this run (two approvals through the gate, the second one RED) for the replay corpus.
      const { runId } = await stack.client.workflow.getHandle(workflowId).describe();
      const archived = await eventually(() => new ArchiveRepository(stack.pool).history(workflowId, runId), 15_000);
      writeFileSync(
        join(FIXTURES, 'remediation-vm-crashed-l2-rollback-rejected.json'),
        JSON.stringify(archived.history, null, 1),
      );
    }
    expect(
      (await ledger(stack)).filter((e) => e.vmid === VMID && e.action === 'rollback' && e.atMs >= since - 50),
    ).toEqual([]);

    // Run 2 of the same workflow ID asks for the same restart (same fingerprint) under a new approval ID.
    await runningAndSeen();
    await simControl(stack, 'POST', '/faults', { kind: 'crash-guest', vmid: VMID });
    const again = await pendingSince(since, 'start', restart.id);
    expect(again.workflowId).toBe(restart.workflowId);
    expect(again.fingerprint).toBe(restart.fingerprint);
    expect(again.id).not.toBe(restart.id);
    const startsBefore = powerCalls(await ledger(stack), VMID, 'start').length;

    // A decision left over from run 1 (its card, its ID) is refused by run 2, which keeps waiting.
    expect(await decide(restart)).toBe('APPROVAL_MISMATCH');
    expect((await new ApprovalsRepository(stack.pool).get(again.id))?.state).toBe('pending');
    expect(powerCalls(await ledger(stack), VMID, 'start')).toHaveLength(startsBefore);
    expect(await decide(again, { verdict: 'reject' })).toBeUndefined();
    expect(await remediationResult(stack, workflowId, since, 30_000)).toMatchObject({ outcome: 'rejected' });
    expect(powerCalls(await ledger(stack), VMID, 'start')).toHaveLength(startsBefore);
  });
});
