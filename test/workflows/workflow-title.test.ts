import { clockTime, firstWords, workflowTitle } from '@jarvis/workflows/api';

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
