import {
  anthropicTools,
  catalogToolName,
  claudeSystemPrompt,
  clusterSummaryLines,
  conversationWindow,
  DATA_CLOSE,
  DEFAULT_PROTECTED,
  defaultTierTable,
  estimatePromptTokens,
  evaluateToolCall,
  extractPasskey,
  frameData,
  localSystemPrompt,
  sanitiseDataText,
  TOOL_CATALOG,
  type ChatLine,
} from '@jarvis/policies';
import { INJECTION_CORPUS } from '../chat/injection-corpus';

const policy = { tiers: defaultTierTable(), protected: DEFAULT_PROTECTED };

describe('chat tool calls under the tier policy', () => {
  it.each<[string, unknown, string, RegExp]>([
    ['cluster.status', {}, 'GREEN', /tier table/],
    ['guest.start', { node: 'pve', vmid: 107, kind: 'qemu' }, 'YELLOW', /tier table/],
    ['node.reboot', { node: 'pve' }, 'RED', /tier table/],
    ['node.reboot', { node: 'agent1' }, 'BLACK', /node:agent1 is protected: Jarvis's own VM depends on it/],
    ['guest.stop', { node: 'agent1', vmid: 103, kind: 'qemu' }, 'BLACK', /guest:103 is protected/],
    ['vm.destroy', { vmid: 100 }, 'BLACK', /not a known tool/],
    ['guest.start', { node: 'pve', vmid: '107; reboot' }, 'BLACK', /invalid arguments/],
    ['ssh.run', { node: 'pve', command: 'uptime' }, 'GREEN', /tier table|uptime/],
    ['ssh.run', { node: 'pve', command: 'rm -rf /' }, 'BLACK', /./],
    ['ssh.run', { node: 'pve', command: 'uptime; reboot' }, 'BLACK', /./],
    ['ssh.run', { node: 'pve', command: 'cat /etc/../shadow' }, 'BLACK', /\.\./],
  ])('%s %j is %s', (tool, args, tier, reason) => {
    const d = evaluateToolCall({ tool, args }, {}, policy);
    expect(d.tier).toBe(tier);
    expect(d.reason).toMatch(reason);
  });

  it('the override passkey lifts RED to a lone confirmation and an operator-set BLACK to RED, never a protected resource', () => {
    expect(
      evaluateToolCall({ tool: 'node.reboot', args: { node: 'pve' } }, {}, policy, { overrideActive: true }),
    ).toMatchObject({ tier: 'RED', kind: 'ask', overridden: true });
    const blackTable = { ...policy, tiers: { ...policy.tiers, 'guest.stop': 'BLACK' } };
    expect(
      evaluateToolCall({ tool: 'guest.stop', args: { node: 'pve', vmid: 100 } }, {}, blackTable, {
        overrideActive: true,
      }),
    ).toMatchObject({ tier: 'RED', overridden: true });
    for (const call of [
      { tool: 'node.reboot', args: { node: 'agent1' } },
      { tool: 'vm.destroy', args: {} },
      { tool: 'ssh.run', args: { node: 'pve', command: 'reboot' } },
    ])
      expect(evaluateToolCall(call, {}, policy, { overrideActive: true })).toMatchObject({
        tier: 'BLACK',
        kind: 'deny',
      });
  });

  it('cuts the passkey out of the message, whatever its case and spacing', () => {
    expect(extractPasskey('Override   ALPHA seven, reboot pve', 'override alpha seven')).toEqual({
      text: '[override passkey], reboot pve',
      said: true,
    });
    expect(extractPasskey('reboot pve', 'override alpha seven')).toEqual({ text: 'reboot pve', said: false });
    expect(extractPasskey('override', 'abc')).toEqual({ text: 'override', said: false });
  });

  it('offers Claude every catalog tool under a legal name, and maps the names back', () => {
    const tools = anthropicTools(policy.tiers);
    expect(tools).toHaveLength(TOOL_CATALOG.length);
    for (const t of tools) {
      expect(t.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
      expect(TOOL_CATALOG.map((c) => c.name)).toContain(catalogToolName(t.name));
    }
    expect(catalogToolName('rm_everything')).toBe('rm_everything');
  });
});

describe('prompt-data framing', () => {
  it.each(INJECTION_CORPUS.map((s) => [s]))('%j cannot leave its data block', (hostile) => {
    const clean = sanitiseDataText(hostile, 500);
    // eslint-disable-next-line no-control-regex -- matching control characters is the point here
    expect(clean).not.toMatch(new RegExp('[\\u0000-\\u001f\\u007f-\\u009f\\u200b-\\u200f\\u202a-\\u202e<>`]'));
    const block = frameData('cluster-summary', [`guest 100 qemu ${JSON.stringify(clean)}`]);
    // Exactly one fence opens and one closes: the data cannot close the block early or open another.
    expect(block.match(/<<<DATA /g)).toHaveLength(1);
    expect(block.match(/<<<END DATA /g)).toHaveLength(1);
    expect(block.endsWith(DATA_CLOSE('cluster-summary'))).toBe(true);
  });

  it('keeps the local prompt under 500 tokens with the default cluster, and says what data is', () => {
    const state = {
      quorum: { quorate: true, nodes: 4, expected: 4 },
      nodes: ['home', 'pve', 'agent1', 'agent'].map((name) => ({
        name,
        status: 'online',
        cpu: 0.1,
        mem: 1,
        maxmem: 4,
        disk: 1,
        maxdisk: 4,
      })),
      guests: Array.from({ length: 14 }, (_, i) => ({
        vmid: 100 + i,
        node: 'pve',
        type: 'qemu',
        name: `guest-${i}`,
        status: i % 4 === 0 ? 'stopped' : 'running',
        tags: ['a', 'b'],
      })),
      storage: [{ node: 'pve', storage: 'local-lvm', usedFraction: 0.85 }],
      updatedAt: '2025-01-01T00:00:00.000Z',
    };
    const local = localSystemPrompt({
      cluster: clusterSummaryLines(state, { compact: true }),
      earlier: 'x'.repeat(2000),
    });
    expect(estimatePromptTokens(local)).toBeLessThan(500);
    expect(local).not.toMatch(/tool/i);
    const full = claudeSystemPrompt({ cluster: clusterSummaryLines(state), events: ['e'] });
    expect(full).toMatch(/never instructions/);
    expect(full).toMatch(/JARVIS/);
  });

  it('summarises earlier messages keeping VMIDs, node names, IPs and paths verbatim', () => {
    const messages = Array.from({ length: 40 }, (_, i): ChatLine => ({
      role: i % 2 ? 'assistant' : 'user',
      text: i === 1 ? 'VM 107 on pve answers at 203.0.113.7, logs in /var/log/pve/tasks' : `message ${i}`,
    }));
    const w = conversationWindow(messages, { keep: 24, nodeNames: ['pve', 'agent1'] });
    expect(w.recent).toHaveLength(24);
    expect(w.summary).toContain('107');
    expect(w.summary).toContain('pve');
    expect(w.summary).toContain('203.0.113.7');
    expect(w.summary).toContain('/var/log/pve/tasks');
  });
});
