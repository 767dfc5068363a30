import { EXAMPLE_CLUSTER, needsTools, parseIntent, type IntentCluster } from '@jarvis/policies';

const cluster: IntentCluster = EXAMPLE_CLUSTER;

describe('parseIntent', () => {
  it.each<[string, string, { tool: string; args: Record<string, unknown> }[]]>([
    ['status', 'status', [{ tool: 'cluster.status', args: {} }]],
    ["How's the cluster?", 'status', [{ tool: 'cluster.status', args: {} }]],
    ['status of node pve', 'status', [{ tool: 'node.status', args: { node: 'pve' } }]],
    ['status of vm 101', 'guest-status', [{ tool: 'guest.describe', args: { node: 'home', vmid: 101 } }]],
    ['list guests', 'list', [{ tool: 'guest.list', args: {} }]],
    ['show me the running VMs', 'list', [{ tool: 'guest.list', args: { status: 'running' } }]],
    ['Start VM 101', 'action', [{ tool: 'guest.start', args: { node: 'home', vmid: 101, kind: 'lxc' } }]],
    ['please stop web-01', 'action', [{ tool: 'guest.stop', args: { node: 'pve', vmid: 100, kind: 'qemu' } }]],
    ['restart 107', 'action', [{ tool: 'guest.reboot', args: { node: 'pve', vmid: 107, kind: 'qemu' } }]],
    ['shut down dns', 'action', [{ tool: 'guest.shutdown', args: { node: 'home', vmid: 101, kind: 'lxc' } }]],
    ['resume ct 101', 'action', [{ tool: 'guest.resume', args: { node: 'home', vmid: 101, kind: 'lxc' } }]],
    ['Reboot agent1', 'action', [{ tool: 'node.reboot', args: { node: 'agent1' } }]],
    ['wake agent', 'action', [{ tool: 'node.wake', args: { node: 'agent' } }]],
    [
      "what's wrong?",
      'whats-wrong',
      [
        { tool: 'cluster.status', args: {} },
        { tool: 'task.recent', args: { errorsOnly: true, limit: 10 } },
      ],
    ],
    ['any pending approvals?', 'approvals', [{ tool: 'approval.list', args: {} }]],
    ['STOP  VM\u200b100', 'action', [{ tool: 'guest.stop', args: { node: 'pve', vmid: 100, kind: 'qemu' } }]],
  ])('%j → %s', (text, kind, calls) => {
    const parsed = parseIntent(text, cluster);
    expect(parsed.kind).toBe(kind);
    expect(parsed.calls).toEqual(calls);
  });

  it.each([
    ['start vm 999', /no guest/i],
    ['stop the vm', /which guest/i],
  ])('%j is an action it cannot resolve, and says so', (text, hint) => {
    const parsed = parseIntent(text, cluster);
    expect(parsed.kind).toBe('unresolved');
    expect(parsed.calls).toEqual([]);
    expect((parsed as { hint: string }).hint).toMatch(hint);
  });

  it.each(['tell me a joke', '', '; rm -rf /', '$(reboot)'])('%j calls no tool', (text) => {
    expect(parseIntent(text, cluster).calls).toEqual([]);
  });

  it('tells conversation from tool work', () => {
    expect(needsTools('thanks, that is all', cluster)).toBe(false);
    expect(needsTools('tell me a joke', cluster)).toBe(false);
    expect(needsTools("how's the cluster?", cluster)).toBe(true);
    expect(needsTools('is storage on pve filling up?', cluster)).toBe(true);
    expect(needsTools('start 107', cluster)).toBe(true);
  });
});
