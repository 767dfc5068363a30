import {
  DEFAULT_GUARDRAIL_LIMITS,
  DEFAULT_PROTECTED,
  DEFAULT_RUNBOOKS,
  defaultTierTable,
  evaluateAction,
  evaluateGuardrails,
  findTool,
  type Incident,
} from '@jarvis/policies';

const policy = { tiers: defaultTierTable(), protected: DEFAULT_PROTECTED };

/** The runbooks' tools are in the catalog, so the guardrails no longer rate them BLACK as unknown. */
describe('node.wake and service.restart', () => {
  it.each([
    ['node.wake', { node: 'pve' }, 'YELLOW'],
    ['node.wake', { node: 'pve', reason: 'node down' }, 'YELLOW'],
    ['node.wake', { node: 'agent1' }, 'BLACK'], // Jarvis's own node is protected
    ['node.wake', { node: 'pve; reboot' }, 'BLACK'],
    ['node.wake', { node: '../pve' }, 'BLACK'],
    ['node.wake', {}, 'BLACK'],
    ['node.wake', { node: 'pve', extra: 1 }, 'BLACK'],
    ['service.restart', { node: 'pve', service: 'pveproxy' }, 'YELLOW'],
    ['service.restart', { node: 'pve', service: 'pveproxy.service' }, 'YELLOW'],
    ['service.restart', { node: 'pve', service: 'getty@tty1' }, 'BLACK'], // not a plain service name
    ['service.restart', { node: 'pve', service: 'nginx' }, 'BLACK'], // off the restart allowlist
    ['service.restart', { node: 'pve', service: 'pveproxy && rm -rf /' }, 'BLACK'],
    ['service.restart', { node: 'pve', service: '$(reboot)' }, 'BLACK'],
    ['service.restart', { node: 'pve', service: '`id`' }, 'BLACK'],
    ['service.restart', { node: 'pve', service: 'a|b' }, 'BLACK'],
    ['service.restart', { node: 'pve', service: 'x>y' }, 'BLACK'],
    ['service.restart', { node: 'pve', service: 'ѕshd' }, 'BLACK'], // Cyrillic look-alike
    ['service.restart', { node: 'pve' }, 'BLACK'],
    ['service.restart', { node: 'agent1', service: 'pveproxy' }, 'BLACK'],
  ] as const)('%s %j is %s', (tool, args, tier) => {
    expect(evaluateAction({ tool, args }, {}, policy).tier).toBe(tier);
  });

  it('are declared as node-targeted changes of their kind', () => {
    expect(findTool('node.wake')).toMatchObject({
      tier: 'YELLOW',
      kind: 'node-wake',
      effect: 'change',
      target: 'node',
    });
    expect(findTool('service.restart')).toMatchObject({
      tier: 'YELLOW',
      kind: 'service',
      effect: 'change',
      target: 'node',
    });
  });

  const nodeDown: Incident = {
    key: 'remediate:node-down:pve',
    class: 'node-down',
    severity: 'critical',
    subject: { node: 'pve' },
    evidence: {},
  };
  it.each([
    ['L3', 'allow'],
    ['L4', 'allow'],
    ['L2', 'ask'],
    ['L1', 'deny'],
  ] as const)('the node-down runbook at %s with the catalog tier: %s', (autonomy, kind) => {
    const tier = evaluateAction({ tool: 'node.wake', args: { node: 'pve' } }, {}, policy).tier;
    const d = evaluateGuardrails({
      incident: nodeDown,
      runbook: { ...DEFAULT_RUNBOOKS['node-down'], autonomy },
      now: 1_000_000,
      killSwitch: { engaged: false },
      attempts: [],
      inFlight: [],
      tier,
      protectedResources: DEFAULT_PROTECTED,
      limits: DEFAULT_GUARDRAIL_LIMITS,
    });
    expect(d.kind).toBe(kind);
  });
});
