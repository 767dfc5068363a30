import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { clockTime, firstWords, titleFactsFromHistory, workflowTitle } from '@jarvis/workflows/api';

const UTC = { timeZone: 'UTC' };
const at = '2026-03-01T14:02:31.000Z';

describe('workflow titles, as an operator reads them', () => {
  it.each([
    [
      { workflowId: 'chat:s01M8QZ3:14', kind: 'chatTurnWorkflow', chatText: 'start vm 107', startedAt: at },
      "Chat: 'start vm 107' · 14:02",
    ],
    [
      { workflowId: 'vm-action:pve:107:stop:01JD8X3Q4Z', kind: 'vmActionWorkflow', startedAt: at },
      'Stop guest 107 on pve · 14:02',
    ],
    [
      { workflowId: 'vm-action:pve:107:stop:01JD8X3Q4Z', action: 'shutdown', node: 'pve2', vmid: 108, startedAt: at },
      'Shutdown guest 108 on pve2 · 14:02',
    ],
    [
      { workflowId: 'remediate:vm-crashed:107', kind: 'remediationWorkflow', startedAt: at },
      'Remediation: guest 107 crashed · 14:02',
    ],
    [
      {
        workflowId: 'remediate:service-down:pve:nginx.service',
        incidentClass: 'service-down',
        node: 'pve',
        service: 'nginx.service',
      },
      'Remediation: service nginx.service on pve down',
    ],
    [
      { workflowId: 'remediate:node-down:pve3', incidentClass: 'node-down', node: 'pve3' },
      'Remediation: node pve3 down',
    ],
    [{ workflowId: 'monitor:homelab' }, 'Monitor of homelab'],
    [{ workflowId: 'guardian:homelab' }, 'Guardrails of homelab'],
    [{ workflowId: 'replay:vm-action:pve:1:stop:01J:01K' }, 'Replay of vm-action:pve:1:stop:01J'],
  ])('%j → %s', (facts, title) => {
    expect(workflowTitle(facts, UTC)).toBe(title);
  });

  it('never shows a chat turn by its raw ID', () => {
    const title = workflowTitle({ workflowId: 'chat:s01M8QZ3ABCDEF:14', kind: 'chatTurnWorkflow', startedAt: at }, UTC);
    expect(title).toBe('Chat turn 14 · 14:02');
    expect(title).not.toContain('s01M8QZ3ABCDEF');
  });

  it('names a chat turn by its first words, cut at a word', () => {
    expect(firstWords('  please   restart\nthe web server on pve and tell me when it is up  ')).toBe(
      'please restart the web server on…',
    );
    expect(firstWords('status of vm 101')).toBe('status of vm 101');
    expect(firstWords('x'.repeat(80))).toBe(`${'x'.repeat(48)}…`);
    expect(
      workflowTitle(
        { workflowId: 'chat:s:1', chatText: 'please restart the web server on pve now', startedAt: at },
        UTC,
      ),
    ).toBe("Chat: 'please restart the web server on…' · 14:02");
  });

  it('reads the clock in the given zone, and leaves out a time it cannot read', () => {
    expect(clockTime(at, 'Europe/Berlin')).toBe('15:02');
    expect(clockTime('not a time', 'UTC')).toBeUndefined();
    expect(workflowTitle({ workflowId: 'remediate:vm-crashed:107', startedAt: 'garbage' }, UTC)).toBe(
      'Remediation: guest 107 crashed',
    );
  });
});

describe("a timeline's title, from the run's history", () => {
  const started = (input: unknown) =>
    historyFromJSON({
      events: [
        {
          eventId: '1',
          eventTime: at,
          eventType: 'EVENT_TYPE_WORKFLOW_EXECUTION_STARTED',
          workflowExecutionStartedEventAttributes: {
            workflowType: { name: 'chatTurnWorkflow' },
            input: {
              payloads: [
                {
                  metadata: { encoding: Buffer.from('json/plain').toString('base64') },
                  data: Buffer.from(JSON.stringify(input)).toString('base64'),
                },
              ],
            },
          },
        },
      ],
    }).events ?? [];

  it('names a chat turn by its message, never by its session and turn ID', () => {
    const id = 'chat:s01M8QZ3ABCDEF:14';
    const facts = titleFactsFromHistory(
      id,
      'chatTurnWorkflow',
      started({ sessionId: 's01M8QZ3ABCDEF', turn: 14, text: 'start vm 107' }),
    );
    expect(workflowTitle(facts, UTC)).toBe("Chat: 'start vm 107' · 14:02");
  });

  it('names a remediation by its incident, and a VM action by its target', () => {
    const incident = { key: 'remediate:vm-crashed:107', class: 'vm-crashed', subject: { node: 'pve', vmid: 107 } };
    expect(
      workflowTitle(
        titleFactsFromHistory('remediate:vm-crashed:107', 'remediationWorkflow', started({ incident })),
        UTC,
      ),
    ).toBe('Remediation: guest 107 crashed · 14:02');
    expect(
      workflowTitle(
        titleFactsFromHistory(
          'vm-action:pve:107:stop:01J',
          'vmActionWorkflow',
          started({ node: 'pve', vmid: 107, action: 'stop' }),
        ),
        UTC,
      ),
    ).toBe('Stop guest 107 on pve · 14:02');
  });

  it('falls back to the workflow ID when the input cannot be read', () => {
    expect(workflowTitle(titleFactsFromHistory('remediate:node-down:pve3', 'remediationWorkflow', []), UTC)).toBe(
      'Remediation: node pve3 down',
    );
  });
});

describe('a remediation titled from its incident key alone', () => {
  it.each([
    ['remediate:vm-crashed:107', 'Remediation: guest 107 crashed'],
    ['remediate:node-down:pve3', 'Remediation: node pve3 down'],
    ['remediate:ram-high:pve3', 'Remediation: node pve3 short of memory'],
    ['remediate:service-down:pve:nginx.service', 'Remediation: service nginx.service on pve down'],
    ['remediate:service-down:pve:105:nginx.service', 'Remediation: service nginx.service on pve down'],
    ['remediate:disk-high:pve:local-lvm', 'Remediation: storage local-lvm on pve filling up'],
    ['remediate:disk-critical:cephfs', 'Remediation: storage cephfs nearly full'],
    ['remediate:quorum-at-risk:cluster', 'Remediation: cluster quorum at risk'],
  ])('%s → %s', (workflowId, title) => {
    expect(workflowTitle({ workflowId })).toBe(title);
  });
});
