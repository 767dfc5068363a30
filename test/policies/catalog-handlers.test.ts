import { ProxmoxClient } from '@jarvis/activities';
import { createPool } from '@jarvis/db';
import { TOOL_CATALOG } from '@jarvis/policies';
import { createJarvisActivities } from '@jarvis/worker';

/**
 * The catalog names a handler for every tool; the worker registers the activities. If the two
 * drift apart, a tool could be offered that nothing carries out, or an activity that changes the
 * cluster could run without a catalog entry (and so without a tier). Either way this fails.
 */
describe('the tool catalog and the worker activities agree', () => {
  // Built only to read the activity names: nothing here connects.
  const pve = new ProxmoxClient({ baseUrl: 'https://127.0.0.1:1/api2/json', token: 'root@pam!t=x' });
  const pool = createPool('postgres://postgres@127.0.0.1:1/none');
  const activities = createJarvisActivities({ pve, pool });
  afterAll(async () => {
    await pve.close();
    await pool.end();
  });

  /** Activities the workflows use internally: the steps of a tool, never offered as a tool themselves. */
  const INTERNAL = new Set([
    'waitForTask',
    'verifyGuestState',
    'followPowerTask',
    'recordSteps',
    'upsertApproval',
    'replayArchivedHistory',
    // The chat turn's own steps: context, the LLM calls and the reply.
    'loadChatContext',
    'saveChatReply',
    'publishChatEvent',
    'llmBudget',
    'callClaude',
    'callLocalModel',
    // Monitoring and remediation (the runbooks' tools are node.wake and service.restart).
    'readGuestStatus',
    'watchGuestStability',
    'waitNodeOnline',
    'observeCluster',
    'upsertIncident',
    'checkService',
    // The monitor's watched-service check, and the VM runbook's snapshot and its (approved) rollback.
    'checkWatchedServices',
    'issueSnapshot',
    'issueRollback',
    'sendEscalation',
    'requestPermit',
    'reportOutcome',
    'checkGate',
    'startRemediation',
  ]);

  it.each(TOOL_CATALOG.map((t) => [t.name, t.handler]))(
    '%s is carried out by the registered activity %s',
    (_name, handler) => {
      expect(Object.keys(activities)).toContain(handler);
      expect(typeof (activities as Record<string, unknown>)[handler]).toBe('function');
    },
  );

  it('every activity that is not an internal step is the handler of some tool', () => {
    const handlers = new Set(TOOL_CATALOG.map((t) => t.handler));
    const orphans = Object.keys(activities).filter((name) => !INTERNAL.has(name) && !handlers.has(name));
    expect(orphans).toEqual([]);
  });

  it('internal steps are registered activities (the list above is not stale)', () => {
    for (const name of INTERNAL) expect(Object.keys(activities)).toContain(name);
  });
});
