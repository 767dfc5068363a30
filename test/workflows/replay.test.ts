import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { ArchiveRepository, ApprovalsRepository } from '@jarvis/db';
import { WORKFLOW_BUNDLE_PATH } from '@jarvis/worker';
import { approvalIdFor, decideUpdate } from '@jarvis/workflows/api';
import { startStack, type TestStack } from '../support/stack';
import { eventually, simControl, startVmAction, vmActionInput } from '../support/vm-action.fixtures';
import { signedDecision } from '../support/vouch';

const FIXTURES = join(__dirname, '..', 'fixtures', 'histories');
const bundle = { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } };

/**
 * Replay re-runs the current workflow code against a recorded history. The committed fixtures
 * are histories recorded by earlier versions: a change that would break a running workflow
 * fails here. Set RECORD_HISTORIES=1 to record a fresh fixture from this run.
 */
describe('replay of archived histories', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it.each(readdirSync(FIXTURES).filter((f) => f.endsWith('.json')))(
    'the current code reproduces the recorded history %s',
    async (file) => {
      const history = historyFromJSON(JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')));
      await expect(Worker.runReplayHistory(bundle, history, `fixture-${file}`)).resolves.toBeUndefined();
    },
  );

  it('replays an approval flow archived to Postgres, and detects a tampered history', async () => {
    await simControl(stack, 'POST', '/reset', {});
    const handle = await startVmAction(
      stack,
      vmActionInput({ node: 'pve', vmid: 100, action: 'shutdown', reason: 'replay test' }),
    );
    const approvals = new ApprovalsRepository(stack.pool);
    const pending = await eventually(async () => {
      const a = await approvals.get(approvalIdFor(handle.workflowId, handle.firstExecutionRunId, 1));
      return a?.state === 'pending' ? a : undefined;
    });
    await handle.executeUpdate(decideUpdate, {
      args: [
        signedDecision(stack, {
          approvalId: pending.id,
          fingerprint: pending.fingerprint,
          by: 'second',
          byIsOperator: true,
          verdict: 'approve',
        }),
      ],
    });
    await handle.result();

    const archived = await eventually(() => new ArchiveRepository(stack.pool).history(handle.workflowId));
    if (process.env['RECORD_HISTORIES'] === '1') {
      writeFileSync(join(FIXTURES, 'vm-action-yellow-approved.json'), JSON.stringify(archived.history, null, 1));
    }
    await expect(
      Worker.runReplayHistory(bundle, historyFromJSON(archived.history), handle.workflowId),
    ).resolves.toBeUndefined();

    // Negative control: the same history with the Proxmox call renamed no longer matches the code.
    const tampered = JSON.parse(
      JSON.stringify(archived.history).replace(/"issuePowerAction"/g, '"somethingElse"'),
    ) as unknown;
    await expect(Worker.runReplayHistory(bundle, historyFromJSON(tampered), handle.workflowId)).rejects.toMatchObject({
      name: 'DeterminismViolationError',
    });
  });
});
