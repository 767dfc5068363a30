import {
  DEFAULT_PROTECTED,
  TOOL_CATALOG,
  defaultTierTable,
  evaluateAction,
  findTool,
  type DecisionKind,
  type PolicyData,
  type PolicyDecision,
  type ProtectedResources,
  type Tier,
} from '@jarvis/policies';

const KIND_FOR: Record<Tier, DecisionKind> = { GREEN: 'allow', YELLOW: 'ask', RED: 'ask', BLACK: 'deny' };

const defaults = (): PolicyData => ({ tiers: defaultTierTable(), protected: DEFAULT_PROTECTED });
const withTiers = (tiers: Record<string, unknown>, p: ProtectedResources = DEFAULT_PROTECTED): PolicyData => ({
  tiers,
  protected: p,
});
const ok = { node: 'pve1', vmid: 200 };
/** A guest tool's arguments: the snapshot tools also name their snapshot. */
const guestCall = (tool: string, target: { node: string; vmid: number }): Record<string, unknown> => ({
  ...target,
  ...(tool === 'guest.snapshot' ? { name: 'before_upgrade' } : {}),
  ...(tool === 'guest.rollback' ? { snapshot: 'before_upgrade' } : {}),
});

/** Every decision must be internally consistent, whatever the rule that produced it. */
function expectTier(decision: PolicyDecision, tier: Tier, ruleId?: PolicyDecision['ruleId']): void {
  expect(decision.tier).toBe(tier);
  expect(decision.kind).toBe(KIND_FOR[tier]);
  expect(typeof decision.reason).toBe('string');
  expect(decision.reason.length).toBeGreaterThan(0);
  if (ruleId) expect(decision.ruleId).toBe(ruleId);
  else expect(decision.ruleId).toEqual(expect.any(String));
}

describe('evaluateAction: every catalog tool at its default tier', () => {
  // Written out rather than read from the catalog, so a catalog change that moves a tier fails here.
  const expected: Array<[string, Tier]> = [
    ['guest.describe', 'GREEN'],
    ['guest.start', 'YELLOW'],
    ['guest.stop', 'YELLOW'],
    ['guest.shutdown', 'YELLOW'],
    ['guest.reboot', 'YELLOW'],
    ['guest.suspend', 'YELLOW'],
    ['guest.resume', 'YELLOW'],
    ['cluster.status', 'GREEN'],
    ['node.status', 'GREEN'],
    ['guest.list', 'GREEN'],
    ['storage.list', 'GREEN'],
    ['task.recent', 'GREEN'],
    ['metrics.history', 'GREEN'],
    ['approval.list', 'GREEN'],
    ['ssh.run', 'GREEN'],
    ['service.status', 'GREEN'],
    ['node.reboot', 'RED'],
    ['node.shutdown', 'RED'],
    ['node.wake', 'YELLOW'],
    ['service.restart', 'YELLOW'],
    ['guest.snapshot', 'YELLOW'],
    ['guest.rollback', 'RED'],
  ];
  /** Valid arguments for each tool's own schema: guest tools take a guest, node tools a node, cluster reads nothing. */
  const argsFor = (tool: string, vmid = 200): Record<string, unknown> => {
    const spec = TOOL_CATALOG.find((t) => t.name === tool)!;
    const props = spec.schema.properties;
    return {
      ...('node' in props ? { node: 'pve1' } : {}),
      ...('vmid' in props ? { vmid } : {}),
      ...('command' in props ? { command: 'uptime' } : {}),
      ...('service' in props ? { service: 'pveproxy' } : {}),
      ...('name' in props ? { name: 'before_upgrade' } : {}),
      ...('snapshot' in props ? { snapshot: 'before_upgrade' } : {}),
    };
  };

  it('the expected table lists the whole catalog', () => {
    expect(expected.map(([name]) => name).sort()).toEqual(TOOL_CATALOG.map((t) => t.name).sort());
  });

  it.each(expected)('%s is %s', (tool, tier) => {
    expectTier(evaluateAction({ tool, args: argsFor(tool) }, {}, defaults()), tier, 'tier-table');
  });

  it.each(TOOL_CATALOG.map((t) => [t.name, t.tier] as const))('%s follows its catalog tier %s', (tool, tier) => {
    expectTier(evaluateAction({ tool, args: argsFor(tool, 4242) }, {}, defaults()), tier, 'tier-table');
  });

  it.each([
    ['guest.stop', { node: 'pve1', vmid: 200, kind: 'qemu' }],
    ['guest.stop', { node: 'pve1', vmid: 200, kind: 'lxc', reason: 'maintenance window' }],
    ['guest.start', { node: 'a', vmid: 100 }],
    ['guest.start', { node: 'A-1', vmid: 999_999_999 }],
    ['guest.reboot', { node: 'n'.repeat(63), vmid: 101 }],
    ['guest.suspend', { node: 'pve1', vmid: 200, reason: 'r'.repeat(500) }],
    ['guest.resume', { node: 'pve1', vmid: 200, reason: undefined }],
  ])('%s accepts valid arguments %j', (tool, args) => {
    expectTier(evaluateAction({ tool, args }, {}, defaults()), 'YELLOW', 'tier-table');
  });
});

describe('evaluateAction: unknown tools are BLACK', () => {
  const unknownNames: Array<[string, unknown]> = [
    ['empty', ''],
    ['whitespace', '   '],
    ['trailing space', 'guest.stop '],
    ['leading space', ' guest.stop'],
    ['trailing newline', 'guest.stop\n'],
    ['trailing NUL', 'guest.stop\u0000'],
    ['zero-width space', 'guest.\u200bstop'],
    ['upper case', 'GUEST.STOP'],
    ['mixed case', 'Guest.Stop'],
    ['Cyrillic е look-alike', 'gu\u0435st.stop'],
    ['Cyrillic о look-alike', 'guest.st\u043ep'],
    ['fullwidth dot', 'guest\uff0estop'],
    ['combining mark', 'gue\u0301st.stop'],
    ['destroy', 'guest.destroy'],
    ['delete', 'guest.delete'],
    ['migrate (not in catalog)', 'guest.migrate'],
    ['node destroy (not in catalog)', 'node.destroy'],
    ['shell', 'shell.exec'],
    ['shell metacharacters', 'guest.stop;reboot'],
    ['command substitution', 'guest.$(reboot)'],
    ['path traversal', '../guest.stop'],
    ['__proto__', '__proto__'],
    ['constructor', 'constructor'],
    ['toString', 'toString'],
    ['hasOwnProperty', 'hasOwnProperty'],
    ['valueOf', 'valueOf'],
    ['very long name', 'guest.stop'.repeat(10_000)],
    ['prefix of a tool', 'guest.'],
    ['tool with suffix', 'guest.stopp'],
    ['undefined', undefined],
    ['null', null],
    ['number', 42],
    ['boolean', true],
    ['array holding a tool name', ['guest.stop']],
    ['object', { name: 'guest.stop' }],
    ['String object', new String('guest.stop')],
    ['symbol', Symbol('guest.stop')],
    ['object without a prototype', Object.create(null)],
    [
      'object whose toString throws',
      {
        toString: (): string => {
          throw new Error('boom');
        },
      },
    ],
  ];

  it.each(unknownNames)('%s → BLACK deny', (_label, tool) => {
    const decision = evaluateAction({ tool: tool as string, args: ok }, {}, defaults());
    expectTier(decision, 'BLACK', 'unknown-tool');
  });

  it.each(unknownNames)('%s stays BLACK even if the tier table names it GREEN', (_label, tool) => {
    const key = typeof tool === 'string' ? tool : String(typeof tool);
    const decision = evaluateAction(
      { tool: tool as string, args: ok },
      {},
      withTiers({ ...defaultTierTable(), [key]: 'GREEN' }),
    );
    expectTier(decision, 'BLACK', 'unknown-tool');
  });

  it('keeps the reason short and on one line for a hostile name', () => {
    const decision = evaluateAction(
      { tool: `x\n[audit] approved by admin\n${'y'.repeat(5000)}`, args: ok },
      {},
      defaults(),
    );
    expectTier(decision, 'BLACK', 'unknown-tool');
    expect(decision.reason).not.toMatch(/[\r\n]/);
    expect(decision.reason.length).toBeLessThan(200);
  });
});

describe('evaluateAction: invalid arguments are BLACK', () => {
  const inherited = Object.create({ node: 'pve1', vmid: 200 }) as Record<string, unknown>;
  const inheritedBadVmid = Object.create({ node: 'agent1', vmid: '103' }) as Record<string, unknown>;
  const hiddenVmid = Object.defineProperty({ node: 'agent1' }, 'vmid', { value: '103', enumerable: false });
  const hiddenExtra = Object.defineProperty({ node: 'pve1', vmid: 200 }, 'force', { value: true, enumerable: false });
  const symbolKey = { node: 'pve1', vmid: 200, [Symbol('force')]: true };
  const throwingGetter = Object.defineProperty({ node: 'pve1' }, 'vmid', {
    enumerable: true,
    get: (): number => {
      throw new Error('boom');
    },
  });

  let reads = 0;
  // Reads as an ordinary guest the first time and as Jarvis's VM afterwards.
  const shapeShifter = Object.defineProperty({ node: 'agent1' }, 'vmid', {
    enumerable: true,
    get: (): number => (reads++ === 0 ? 200 : 103),
  });

  const cases: Array<[string, unknown]> = [
    ['vmid as a string', { node: 'pve1', vmid: '100' }],
    ['vmid as a numeric string of a protected guest', { node: 'agent1', vmid: '103' }],
    ['vmid as a float', { node: 'pve1', vmid: 100.5 }],
    ['vmid negative', { node: 'pve1', vmid: -100 }],
    ['vmid zero', { node: 'pve1', vmid: 0 }],
    ['vmid 99', { node: 'pve1', vmid: 99 }],
    ['vmid above 999999999', { node: 'pve1', vmid: 1_000_000_000 }],
    ['vmid beyond safe integers', { node: 'pve1', vmid: 2 ** 53 }],
    ['vmid NaN', { node: 'pve1', vmid: Number.NaN }],
    ['vmid Infinity', { node: 'pve1', vmid: Number.POSITIVE_INFINITY }],
    ['vmid as a bigint', { node: 'pve1', vmid: 200n }],
    ['vmid as a boolean', { node: 'pve1', vmid: true }],
    ['vmid as an array', { node: 'pve1', vmid: [200] }],
    ['vmid as an object', { node: 'pve1', vmid: { valueOf: () => 200 } }],
    ['vmid null', { node: 'pve1', vmid: null }],
    ['node with ;', { node: 'pve1;reboot', vmid: 200 }],
    ['node with &&', { node: 'pve1&&reboot', vmid: 200 }],
    ['node with |', { node: 'pve1|sh', vmid: 200 }],
    ['node with $()', { node: '$(reboot)', vmid: 200 }],
    ['node with backticks', { node: '`reboot`', vmid: 200 }],
    ['node with a redirect', { node: 'pve1>/etc/passwd', vmid: 200 }],
    ['node with ../', { node: '../pve1', vmid: 200 }],
    ['node with a slash', { node: 'pve1/qemu', vmid: 200 }],
    ['node with a space', { node: 'pve 1', vmid: 200 }],
    ['node with a trailing space', { node: 'pve1 ', vmid: 200 }],
    ['node with a trailing newline', { node: 'pve1\n', vmid: 200 }],
    ['node with an inner newline', { node: 'pve1\nreboot', vmid: 200 }],
    ['node with a NUL', { node: 'pve1\u0000', vmid: 200 }],
    ['node with a Cyrillic look-alike', { node: 'p\u0432e1', vmid: 200 }],
    ['node with a Cyrillic а', { node: '\u0430gent1', vmid: 200 }],
    ['node with a fullwidth digit', { node: 'pve\uff11', vmid: 200 }],
    ['node with a leading hyphen', { node: '-pve1', vmid: 200 }],
    ['node with a trailing hyphen', { node: 'pve1-', vmid: 200 }],
    ['node with a dot', { node: 'pve1.lan', vmid: 200 }],
    ['node empty', { node: '', vmid: 200 }],
    ['node 64 characters', { node: 'n'.repeat(64), vmid: 200 }],
    ['node as a number', { node: 1, vmid: 200 }],
    ['node null', { node: null, vmid: 200 }],
    ['kind outside the enum', { node: 'pve1', vmid: 200, kind: 'docker' }],
    ['kind in the wrong case', { node: 'pve1', vmid: 200, kind: 'QEMU' }],
    ['reason too long', { node: 'pve1', vmid: 200, reason: 'r'.repeat(501) }],
    ['reason not a string', { node: 'pve1', vmid: 200, reason: 7 }],
    ['an extra property', { node: 'pve1', vmid: 200, force: true }],
    ['an extra property set to undefined', { node: 'pve1', vmid: 200, force: undefined }],
    ['an own __proto__ key (from JSON)', JSON.parse('{"node":"pve1","vmid":200,"__proto__":{"force":true}}')],
    ['a constructor key', { node: 'pve1', vmid: 200, constructor: 'x' }],
    ['a toString key', { node: 'pve1', vmid: 200, toString: 'x' }],
    ['fields only on the prototype', inherited],
    ['a bad vmid only on the prototype', inheritedBadVmid],
    ['fields set through a __proto__ literal', { __proto__: { node: 'agent1', vmid: '103' } }],
    ['a non-enumerable bad vmid', hiddenVmid],
    ['a non-enumerable extra property', hiddenExtra],
    ['a symbol-keyed extra property', symbolKey],
    ['a getter that throws', throwingGetter],
    ['a getter that changes between reads', shapeShifter],
    ['missing vmid', { node: 'pve1' }],
    ['missing node', { vmid: 200 }],
    ['vmid undefined', { node: 'pve1', vmid: undefined }],
    ['no fields', {}],
    ['null', null],
    ['undefined', undefined],
    ['an array', [{ node: 'pve1', vmid: 200 }]],
    ['an empty array', []],
    ['a string', '{"node":"pve1","vmid":200}'],
    ['a number', 200],
    ['a boolean', true],
  ];

  it.each(cases)('guest.stop with %s → BLACK', (_label, args) => {
    expectTier(evaluateAction({ tool: 'guest.stop', args }, {}, defaults()), 'BLACK', 'invalid-args');
  });

  it.each(cases)('guest.describe with %s → BLACK as well', (_label, args) => {
    expectTier(evaluateAction({ tool: 'guest.describe', args }, {}, defaults()), 'BLACK', 'invalid-args');
  });

  it.each(cases)('an operator table of all GREEN does not admit %s', (_label, args) => {
    const allGreen = Object.fromEntries(TOOL_CATALOG.map((t) => [t.name, 'GREEN']));
    expectTier(evaluateAction({ tool: 'guest.start', args }, {}, withTiers(allGreen)), 'BLACK', 'invalid-args');
  });

  it('guest.describe takes no extra fields a power action takes', () => {
    const args = { node: 'pve1', vmid: 200, kind: 'qemu' };
    expectTier(evaluateAction({ tool: 'guest.describe', args }, {}, defaults()), 'BLACK', 'invalid-args');
    expectTier(evaluateAction({ tool: 'guest.stop', args }, {}, defaults()), 'YELLOW', 'tier-table');
  });
});

describe('evaluateAction: protected resources', () => {
  // Guest-shaped arguments ({ node, vmid }) fit the guest tools; node tools are checked on the node below.
  const changes = TOOL_CATALOG.filter((t) => t.effect !== 'read' && t.target === 'guest').map((t) => t.name);
  const reads = TOOL_CATALOG.filter((t) => t.effect === 'read' && t.target === 'guest').map((t) => t.name);
  const nodeChanges = TOOL_CATALOG.filter((t) => t.effect !== 'read' && t.target === 'node').map((t) => t.name);

  it.each(nodeChanges)("%s on agent1, the node that hosts Jarvis's VM → BLACK", (tool) => {
    const args = { node: 'agent1', ...(tool.startsWith('service.') ? { service: 'pveproxy' } : {}) };
    const decision = evaluateAction({ tool, args }, {}, defaults());
    expectTier(decision, 'BLACK', 'protected-resource');
    expect(decision.reason).toContain("node:agent1 is protected: Jarvis's own VM depends on it");
  });

  it('the catalog has both changing and reading tools to check', () => {
    expect(changes.length).toBeGreaterThan(0);
    expect(reads).toContain('guest.describe');
  });

  it.each(changes)("%s on Jarvis's VM 103 → BLACK", (tool) => {
    const decision = evaluateAction({ tool, args: guestCall(tool, { node: 'agent1', vmid: 103 }) }, {}, defaults());
    expectTier(decision, 'BLACK', 'protected-resource');
    expect(decision.reason).toContain('guest:103');
  });

  it.each(changes)('%s on VM 103 → BLACK whatever node the request names', (tool) => {
    expectTier(
      evaluateAction({ tool, args: guestCall(tool, { node: 'pve9', vmid: 103 }) }, {}, defaults()),
      'BLACK',
      'protected-resource',
    );
  });

  it.each(changes)('%s on VM 103 → BLACK even with an all-GREEN tier table', (tool) => {
    const allGreen = Object.fromEntries(TOOL_CATALOG.map((t) => [t.name, 'GREEN']));
    expectTier(
      evaluateAction({ tool, args: guestCall(tool, { node: 'agent1', vmid: 103 }) }, {}, withTiers(allGreen)),
      'BLACK',
      'protected-resource',
    );
  });

  it.each(changes)('%s on VM 103 → BLACK even when HA-managed', (tool) => {
    const decision = evaluateAction(
      { tool, args: guestCall(tool, { node: 'agent1', vmid: 103 }) },
      { haManaged: true },
      defaults(),
    );
    expectTier(decision, 'BLACK', 'protected-resource');
  });

  it.each(reads)("%s on Jarvis's VM 103 is still GREEN", (tool) => {
    expectTier(
      evaluateAction({ tool, args: guestCall(tool, { node: 'agent1', vmid: 103 }) }, {}, defaults()),
      'GREEN',
      'tier-table',
    );
  });

  it.each(changes)('%s on another guest of the protected node is not blocked by the node', (tool) => {
    const decision = evaluateAction({ tool, args: guestCall(tool, { node: 'agent1', vmid: 104 }) }, {}, defaults());
    expectTier(decision, findTool(tool)!.tier, 'tier-table');
  });

  const custom: ProtectedResources = {
    jarvis: { vmid: 300, node: 'core' },
    guests: [
      { vmid: 150, reason: 'the router' },
      { vmid: 151, node: 'edge', reason: 'the DNS server' },
    ],
    nodes: [{ node: 'storage1', reason: 'holds the backups' }],
    services: [
      { name: 'docker', vmid: 300, reason: 'the container daemon' },
      { name: 'postgres', vmid: 160, reason: "Jarvis's database" },
    ],
  };

  it.each([
    ['Jarvis at a custom VMID', 300, 'BLACK'],
    ['an operator-protected guest', 150, 'BLACK'],
    ['an operator-protected guest with a node', 151, 'BLACK'],
    ['the guest hosting a protected service', 160, 'BLACK'],
    ['the default VM 103, not protected here', 103, 'YELLOW'],
    ['an ordinary guest', 200, 'YELLOW'],
  ] as const)('custom protection: guest.stop on %s (%i) → %s', (_label, vmid, tier) => {
    const decision = evaluateAction(
      { tool: 'guest.stop', args: { node: 'pve1', vmid } },
      {},
      withTiers(defaultTierTable(), custom),
    );
    expectTier(decision, tier, tier === 'BLACK' ? 'protected-resource' : 'tier-table');
  });

  it.each([150, 151, 160, 300])('custom protection: guest.describe on protected %i stays GREEN', (vmid) => {
    const decision = evaluateAction(
      { tool: 'guest.describe', args: { node: 'pve1', vmid } },
      {},
      withTiers(defaultTierTable(), custom),
    );
    expectTier(decision, 'GREEN', 'tier-table');
  });
});

describe('evaluateAction: the operator tier table', () => {
  it.each([
    ['GREEN', 'GREEN'],
    ['YELLOW', 'YELLOW'],
    ['RED', 'RED'],
    ['BLACK', 'BLACK'],
  ] as const)('guest.stop configured %s → %s', (configured, tier) => {
    const decision = evaluateAction({ tool: 'guest.stop', args: ok }, {}, withTiers({ 'guest.stop': configured }));
    expectTier(decision, tier, 'tier-table');
  });

  it('an operator may raise a read', () => {
    expectTier(
      evaluateAction({ tool: 'guest.describe', args: ok }, {}, withTiers({ 'guest.describe': 'RED' })),
      'RED',
      'tier-table',
    );
  });

  const invalidTiers: Array<[string, unknown]> = [
    ['lower-case green', 'green'],
    ['PURPLE', 'PURPLE'],
    ['empty', ''],
    ['padded', ' GREEN '],
    ['Cyrillic look-alike', 'GR\u0415EN'],
    ['null', null],
    ['undefined', undefined],
    ['number 0', 0],
    ['number 1', 1],
    ['boolean', true],
    ['array', ['GREEN']],
    ['object', { tier: 'GREEN' }],
    ['String object', new String('GREEN')],
  ];

  it.each(invalidTiers)('a table entry with an invalid tier (%s) → BLACK', (_label, value) => {
    const decision = evaluateAction(
      { tool: 'guest.stop', args: ok },
      {},
      withTiers({ ...defaultTierTable(), 'guest.stop': value }),
    );
    expectTier(decision, 'BLACK', 'tier-missing');
  });

  it.each(invalidTiers)('an invalid tier (%s) on a read → BLACK too', (_label, value) => {
    const decision = evaluateAction({ tool: 'guest.describe', args: ok }, {}, withTiers({ 'guest.describe': value }));
    expectTier(decision, 'BLACK', 'tier-missing');
  });

  const notOwn: Array<[string, Record<string, unknown>]> = [
    ['an empty table', {}],
    ['a table missing the tool', { 'guest.start': 'GREEN' }],
    ['the entry inherited through a __proto__ literal', { __proto__: { 'guest.stop': 'GREEN' } }],
    ['the entry inherited through Object.create', Object.create({ 'guest.stop': 'GREEN' }) as Record<string, unknown>],
    ['an own __proto__ key holding the entry', JSON.parse('{"__proto__":{"guest.stop":"GREEN"}}')],
    ['a table without a prototype', Object.create(null) as Record<string, unknown>],
    ['the name in another case', { 'GUEST.STOP': 'GREEN' }],
    ['the name with a trailing space', { 'guest.stop ': 'GREEN' }],
  ];

  it.each(notOwn)('%s does not count → BLACK', (_label, tiers) => {
    expectTier(evaluateAction({ tool: 'guest.stop', args: ok }, {}, withTiers(tiers)), 'BLACK', 'tier-missing');
  });

  it('an entry set as own property on a prototype-less table counts', () => {
    const tiers = Object.create(null) as Record<string, unknown>;
    tiers['guest.stop'] = 'RED';
    expectTier(evaluateAction({ tool: 'guest.stop', args: ok }, {}, withTiers(tiers)), 'RED', 'tier-table');
  });

  it('a table that defines hasOwnProperty itself cannot fake an entry', () => {
    const tiers = { hasOwnProperty: () => true } as Record<string, unknown>;
    expectTier(evaluateAction({ tool: 'guest.stop', args: ok }, {}, withTiers(tiers)), 'BLACK', 'tier-missing');
  });
});

describe('evaluateAction: HA-managed guests', () => {
  const changes = TOOL_CATALOG.filter((t) => t.effect !== 'read' && t.target === 'guest').map((t) => t.name);

  it.each(changes)('%s on an HA-managed guest: YELLOW → RED', (tool) => {
    expectTier(
      evaluateAction({ tool, args: guestCall(tool, ok) }, { haManaged: true }, defaults()),
      'RED',
      'ha-managed',
    );
  });

  it.each([
    ['GREEN', 'RED'],
    ['YELLOW', 'RED'],
    ['RED', 'RED'],
    ['BLACK', 'BLACK'],
  ] as const)('configured %s on an HA-managed guest → %s', (configured, tier) => {
    const decision = evaluateAction(
      { tool: 'guest.stop', args: ok },
      { haManaged: true },
      withTiers({ 'guest.stop': configured }),
    );
    expect(decision.tier).toBe(tier);
    expect(decision.kind).toBe(KIND_FOR[tier]);
  });

  it.each([
    ['haManaged false', { haManaged: false }],
    ['haManaged absent', {}],
  ])('%s leaves the tier as configured', (_label, facts) => {
    expectTier(evaluateAction({ tool: 'guest.stop', args: ok }, facts, defaults()), 'YELLOW', 'tier-table');
  });

  it('reading an HA-managed guest stays GREEN', () => {
    expectTier(
      evaluateAction({ tool: 'guest.describe', args: ok }, { haManaged: true }, defaults()),
      'GREEN',
      'tier-table',
    );
  });

  it('HA never turns an invalid tier entry into RED', () => {
    const decision = evaluateAction(
      { tool: 'guest.stop', args: ok },
      { haManaged: true },
      withTiers({ 'guest.stop': 'green' }),
    );
    expectTier(decision, 'BLACK', 'tier-missing');
  });

  it('HA never turns invalid arguments into RED', () => {
    const decision = evaluateAction(
      { tool: 'guest.stop', args: { node: 'pve1', vmid: '200' } },
      { haManaged: true },
      defaults(),
    );
    expectTier(decision, 'BLACK', 'invalid-args');
  });
});

describe('evaluateAction is pure', () => {
  it('does not mutate its inputs and gives the same answer twice', () => {
    const args = { node: 'pve1', vmid: 200, kind: 'qemu' };
    const tiers = defaultTierTable();
    const policy = withTiers(tiers);
    const before = JSON.stringify({ args, tiers, p: DEFAULT_PROTECTED });
    const first = evaluateAction({ tool: 'guest.stop', args }, { haManaged: true }, policy);
    const second = evaluateAction({ tool: 'guest.stop', args }, { haManaged: true }, policy);
    expect(second).toEqual(first);
    expect(JSON.stringify({ args, tiers, p: DEFAULT_PROTECTED })).toBe(before);
  });
});
