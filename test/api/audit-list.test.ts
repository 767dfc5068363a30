import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ArchiveRepository, AuditRepository, ChatRepository } from '@jarvis/db';
import { chatTurnWorkflowId, clockTime } from '@jarvis/workflows/api';
import { OPERATOR } from '../support/stack';
import { startApi, type ApiHarness } from './api-harness';

interface Row {
  readonly workflowId: string;
  readonly runId: string;
  readonly kind: string;
  readonly title: string;
  readonly outcome?: string;
  readonly startedAt?: string;
  readonly closedAt?: string;
}

const FIXTURE = join(__dirname, '..', 'fixtures', 'histories', 'remediation-vm-crashed-resolved.json');

/**
 * GET /api/audit over the real Postgres: a workflow ID that ran twice (the crashed-VM runbook's
 * incident key recurs) lists both runs, newest first, each with a human title; chat turns stay
 * out of the list unless the kind filter asks for them.
 */
describe('the audit list', () => {
  let api: ApiHarness;
  let token: string;
  let archive: ArchiveRepository;
  // A guest and a session no other suite in this run uses.
  const vmid = 9000 + (randomBytes(2).readUInt16BE() % 900);
  const session = `s${randomBytes(6).toString('hex')}`;
  const incidentKey = `remediate:vm-crashed:${vmid}`;
  const get = async (query: string): Promise<Row[]> => {
    const res = await api.call<{ items: Row[]; total: number }>('GET', `/api/audit?${query}`, { token });
    expect(res.status).toBe(200);
    return res.json.items;
  };
  const remediationRun = (runId: string, startedAt: string, closedAt: string) => ({
    workflowId: incidentKey,
    runId,
    kind: 'remediationWorkflow',
    status: 'COMPLETED',
    outcome: 'resolved',
    node: 'pve',
    vmid,
    action: 'start',
    requestedBy: 'runbook:vm-crashed',
    startedAt,
    closedAt,
    summary: {
      node: 'pve',
      vmid,
      incidentKey,
      incidentClass: 'vm-crashed',
      outcome: 'resolved',
      attempts: 1,
      action: 'start',
      requestedBy: 'runbook:vm-crashed',
    },
    history: { events: [] },
  });

  beforeAll(async () => {
    api = await startApi({ worker: false });
    token = await api.login(OPERATOR.username, OPERATOR.password);
    archive = new ArchiveRepository(api.stack.pool);
    // The later run is archived first: the list's order must come from time, not from insertion.
    await archive.store(remediationRun('run-2', '2026-03-01T14:10:00.000Z', '2026-03-01T14:12:00.000Z'));
    await archive.store(remediationRun('run-1', '2026-03-01T14:02:00.000Z', '2026-03-01T14:04:00.000Z'));
    await archive.store({
      workflowId: `vm-action:pve:${vmid}:stop:01JTEST`,
      runId: 'run-stop',
      kind: 'vmActionWorkflow',
      status: 'COMPLETED',
      outcome: 'done',
      node: 'pve',
      vmid,
      action: 'stop',
      requestedBy: 'operator',
      startedAt: '2026-03-01T14:06:00.000Z',
      closedAt: '2026-03-01T14:06:30.000Z',
      summary: { node: 'pve', vmid, action: 'stop', outcome: 'done', requestedBy: 'operator' },
      history: { events: [] },
    });
    const chat = new ChatRepository(api.stack.pool);
    await chat.createSession(session, OPERATOR.username);
    for (const text of [`start vm ${vmid}`, `status of vm ${vmid} please, and tell me everything you know`]) {
      const turn = await chat.addUserMessage(session, text, (t) => chatTurnWorkflowId(session, t));
      await archive.store({
        workflowId: chatTurnWorkflowId(session, turn),
        runId: `run-chat-${turn}`,
        kind: 'chatTurnWorkflow',
        status: 'COMPLETED',
        startedAt: `2026-03-01T14:0${turn}:30.000Z`,
        closedAt: `2026-03-01T14:0${turn}:40.000Z`,
        summary: { sessionId: session, turn, provider: 'offline', requestedBy: 'operator', outcome: 'answered' },
        history: { events: [] },
      });
    }
  });
  afterAll(async () => {
    await api?.close();
  });

  it('lists every run of a workflow ID as its own row, newest first, each titled by what it was and when', async () => {
    const rows = await get(`guest=${vmid}`);
    const time = (iso: string): string => clockTime(iso)!;
    expect(rows.map((r) => [r.workflowId, r.runId, r.title])).toEqual([
      [incidentKey, 'run-2', `Remediation: guest ${vmid} crashed · ${time('2026-03-01T14:10:00.000Z')}`],
      [
        `vm-action:pve:${vmid}:stop:01JTEST`,
        'run-stop',
        `Stop guest ${vmid} on pve · ${time('2026-03-01T14:06:00.000Z')}`,
      ],
      [incidentKey, 'run-1', `Remediation: guest ${vmid} crashed · ${time('2026-03-01T14:02:00.000Z')}`],
    ]);
    // No two rows share a key, so a list keyed by run never folds two runs into one.
    expect(new Set(rows.map((r) => `${r.workflowId}/${r.runId}`)).size).toBe(rows.length);
  });

  it('leaves chat turns out by default, and brings them back with the kind filter, named by their first words', async () => {
    const all = await get('limit=500');
    expect(all.some((r) => r.kind === 'chatTurnWorkflow')).toBe(false);
    expect(all.some((r) => r.workflowId === incidentKey)).toBe(true);

    const chats = (await get('kind=chatTurnWorkflow&limit=500')).filter((r) => r.workflowId.includes(session));
    expect(chats.map((r) => r.title)).toEqual([
      `Chat: 'status of vm ${vmid} please, and…' · ${clockTime('2026-03-01T14:02:30.000Z')}`,
      `Chat: 'start vm ${vmid}' · ${clockTime('2026-03-01T14:01:30.000Z')}`,
    ]);
    expect(chats.every((r) => !r.title.includes(session))).toBe(true);

    const everything = await get('kind=all&limit=500');
    expect(everything.filter((r) => r.workflowId.includes(session))).toHaveLength(2);
    expect(everything.some((r) => r.workflowId === incidentKey)).toBe(true);
  });

  it('names the workflow of each feed step by what it was, a chat turn by its message', async () => {
    const workflowId = chatTurnWorkflowId(session, 1);
    await new AuditRepository(api.stack.pool).record({
      workflowId,
      activityId: 'step-1',
      kind: 'stage:received',
      title: 'Message received',
      at: new Date().toISOString(),
    });
    const res = await api.call<{ items: { workflowId: string; subject: string }[] }>('GET', '/api/feed?source=chat', {
      token,
    });
    expect(res.status).toBe(200);
    expect(res.json.items.find((i) => i.workflowId === workflowId)?.subject).toBe(`Chat: 'start vm ${vmid}'`);
  });

  it('titles an archived timeline by what it was, not by its workflow ID', async () => {
    const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as { events: { eventTime: string }[] };
    const workflowId = `remediate:vm-crashed:${vmid + 1}`;
    await archive.store({
      ...remediationRun('run-fixture', '2026-03-01T15:00:00.000Z', '2026-03-01T15:01:00.000Z'),
      workflowId,
      history: fixture,
    });
    const res = await api.call<{ title: string; steps: { title: string }[] }>(
      'GET',
      `/api/workflows/${workflowId}/timeline`,
      { token },
    );
    expect(res.status).toBe(200);
    // The fixture's incident: guest 110 on agent1, started at the fixture's first event.
    expect(res.json.title).toBe(`Remediation: guest 110 crashed · ${clockTime(fixture.events[0]!.eventTime)}`);
    expect(res.json.steps.length).toBeGreaterThan(0);
  });
});
