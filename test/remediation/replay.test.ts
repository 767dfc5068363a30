import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { ArchiveRepository } from '@jarvis/db';
import { WORKFLOW_BUNDLE_PATH } from '@jarvis/worker';
import { guardianIdFor, REPLAY_WORKFLOW, type ReplayInput, type ReplayResult } from '@jarvis/workflows/api';
import { startStack, type TestStack } from '../support/stack';
import { eventually, simControl } from '../support/vm-action.fixtures';
import { fastAutonomy, remediationResult, terminateStack, monitorHasLooked } from '../support/remediation.fixtures';

const FIXTURES = join(__dirname, '..', 'fixtures', 'histories');
const bundle = { workflowBundle: { codePath: WORKFLOW_BUNDLE_PATH } };

/**
 * Remediations are archived on completion and replay against the current code. The committed
 * corpus (test/fixtures/histories/remediation-*.json) holds recorded remediations: a change that
 * would decide differently fails here. RECORD_HISTORIES=1 records the corpus afresh from this run.
 */
describe('replay of remediation histories', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startStack({ autonomy: fastAutonomy(`replay-${Date.now().toString(36)}`) });
    await eventually(() => stack.client.workflow.getHandle(guardianIdFor(stack.cluster)).describe());
    await monitorHasLooked(stack);
  });
  afterAll(async () => {
    if (stack) await terminateStack(stack);
    await stack?.close();
  });

  it.each(readdirSync(FIXTURES).filter((f) => f.startsWith('remediation-') && f.endsWith('.json')))(
    'the current code reproduces the recorded remediation %s',
    async (file) => {
      const history = historyFromJSON(JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')));
      await expect(Worker.runReplayHistory(bundle, history, `fixture-${file}`)).resolves.toBeUndefined();
    },
  );

  it.each([
    ['resolved', 110, 'crash-guest', 'remediation-vm-crashed-resolved.json'],
    ['escalated', 111, 'flapping-guest', 'remediation-vm-crashed-escalated.json'],
  ] as const)(
    'a %s remediation is archived and replays through the replay workflow',
    async (outcome, vmid, kind, file) => {
      const since = Date.now();
      await simControl(stack, 'POST', '/faults', { kind, vmid });
      const workflowId = `remediate:vm-crashed:${vmid}`;
      expect((await remediationResult(stack, workflowId, since, 45_000)).outcome).toBe(outcome);
      await simControl(stack, 'DELETE', '/faults');

      // This run's archive, not an earlier run of the same incident key (the database is shared by the suites).
      const archived = await eventually(async () => {
        const a = await new ArchiveRepository(stack.pool).history(workflowId);
        return a && Date.parse(a.summary.startedAt ?? '') >= since - 50 ? a : undefined;
      }, 15_000);
      expect(archived.summary).toMatchObject({
        kind: 'remediationWorkflow',
        outcome,
        vmid,
        node: vmid === 110 ? 'agent1' : 'pve',
      });
      if (process.env['RECORD_HISTORIES'] === '1') {
        writeFileSync(join(FIXTURES, file), JSON.stringify(archived.history, null, 1));
      }
      const replay = await stack.client.workflow.execute<(i: ReplayInput) => Promise<ReplayResult>>(REPLAY_WORKFLOW, {
        taskQueue: stack.taskQueue,
        workflowId: `replay:${workflowId}:${Date.now()}`,
        args: [{ workflowId }],
      });
      expect(replay).toMatchObject({ found: true, reproduced: true });

      // Negative control: a history whose restart became another call no longer matches the code.
      const tampered = JSON.parse(
        JSON.stringify(archived.history).replace(/"issuePowerAction"/g, '"somethingElse"'),
      ) as unknown;
      await expect(Worker.runReplayHistory(bundle, historyFromJSON(tampered), workflowId)).rejects.toMatchObject({
        name: 'DeterminismViolationError',
      });
    },
  );
});
