import {
  DEFAULT_PROTECTED,
  POWER_ACTIONS,
  TIERS,
  TOOL_CATALOG,
  defaultTierTable,
  findTool,
  isTier,
  kindForTier,
  maxTier,
  validateJson,
  type JsonSchema,
  type Tier,
} from '@jarvis/policies';

describe('TOOL_CATALOG', () => {
  it('is not empty and its names are unique', () => {
    const names = TOOL_CATALOG.map((t) => t.name);
    expect(names.length).toBeGreaterThan(0);
    expect(new Set(names).size).toBe(names.length);
  });

  it('has a power tool for every power action', () => {
    for (const action of POWER_ACTIONS) expect(findTool(`guest.${action}`)).toBeDefined();
  });

  it.each(TOOL_CATALOG.map((t) => [t.name, t] as const))('%s is well-formed', (name, tool) => {
    expect(name).toMatch(/^[a-z]+\.[a-z]+$/);
    expect(tool.schema.type).toBe('object');
    expect(tool.schema.additionalProperties).toBe(false);
    expect(isTier(tool.tier)).toBe(true);
    expect(tool.description.trim().length).toBeGreaterThan(0);
    expect(['read', 'ssh-read', 'guest-power', 'node-power', 'node-wake', 'service', 'snapshot', 'rollback']).toContain(
      tool.kind,
    );
    expect(['read', 'change', 'destroy']).toContain(tool.effect);
    expect(['cluster', 'node', 'guest']).toContain(tool.target);
    for (const key of tool.schema.required ?? []) expect(Object.keys(tool.schema.properties)).toContain(key);
    if (tool.target === 'guest') expect(tool.schema.required).toEqual(expect.arrayContaining(['node', 'vmid']));
  });

  it.each(TOOL_CATALOG.map((t) => [t.name, t] as const))(
    '%s: every nested object schema is closed too',
    (_name, tool) => {
      const walk = (schema: JsonSchema): void => {
        if (schema.type !== 'object') return;
        expect(schema.additionalProperties).toBe(false);
        Object.values(schema.properties).forEach(walk);
      };
      walk(tool.schema);
    },
  );

  it.each(TOOL_CATALOG.map((t) => [t.name, t] as const))(
    '%s: a read is GREEN, a change is not, a destroy is BLACK',
    (_name, tool) => {
      if (tool.effect === 'read') expect(tool.tier).toBe('GREEN');
      if (tool.effect === 'change') expect(tool.tier).not.toBe('GREEN');
      if (tool.effect === 'destroy') expect(tool.tier).toBe('BLACK');
    },
  );

  it.each(TOOL_CATALOG.map((t) => [t.name, t] as const))(
    '%s: its schema accepts a minimal valid call and rejects an extra field',
    (_name, tool) => {
      // The required fields, each with a valid value: a guest, a node, a command or a service.
      const sample: Record<string, unknown> = {
        node: 'pve1',
        vmid: 200,
        command: 'uptime',
        service: 'pveproxy',
        name: 'before_upgrade',
        snapshot: 'before_upgrade',
      };
      const minimal = Object.fromEntries((tool.schema.required ?? []).map((k) => [k, sample[k]]));
      expect(validateJson(tool.schema, minimal)).toEqual({ ok: true });
      expect(validateJson(tool.schema, { ...minimal, extra: 1 }).ok).toBe(false);
    },
  );

  it('is frozen all the way down, so no consumer can lower a tier or loosen a schema', () => {
    expect(Object.isFrozen(TOOL_CATALOG)).toBe(true);
    for (const tool of TOOL_CATALOG) {
      expect(Object.isFrozen(tool)).toBe(true);
      expect(Object.isFrozen(tool.schema)).toBe(true);
      expect(Object.isFrozen(tool.schema.properties)).toBe(true);
      for (const prop of Object.values(tool.schema.properties)) expect(Object.isFrozen(prop)).toBe(true);
    }
    const stop = findTool('guest.stop')!;
    expect(() => {
      (stop as { tier: Tier }).tier = 'GREEN';
    }).toThrow(TypeError);
    expect(findTool('guest.stop')!.tier).toBe('YELLOW');
  });

  it('DEFAULT_PROTECTED cannot be changed at run time', () => {
    expect(Object.isFrozen(DEFAULT_PROTECTED)).toBe(true);
    expect(Object.isFrozen(DEFAULT_PROTECTED.jarvis)).toBe(true);
    expect(Object.isFrozen(DEFAULT_PROTECTED.services)).toBe(true);
  });
});

describe('findTool', () => {
  it.each(TOOL_CATALOG.map((t) => t.name))('finds %s', (name) => {
    expect(findTool(name)?.name).toBe(name);
  });

  it.each(['', 'GUEST.STOP', 'guest.stop ', '__proto__', 'constructor', 'gu\u0435st.stop'])(
    'does not find %j',
    (name) => {
      expect(findTool(name)).toBeUndefined();
    },
  );
});

describe('defaultTierTable', () => {
  it('matches the catalog exactly', () => {
    const table = defaultTierTable();
    expect(Object.keys(table).sort()).toEqual(TOOL_CATALOG.map((t) => t.name).sort());
    for (const tool of TOOL_CATALOG) expect(table[tool.name]).toBe(tool.tier);
  });

  it('is a fresh copy each time: editing it does not change the defaults', () => {
    const table = defaultTierTable();
    table['guest.stop'] = 'GREEN';
    expect(defaultTierTable()['guest.stop']).toBe('YELLOW');
    expect(findTool('guest.stop')!.tier).toBe('YELLOW');
  });

  it('holds only own, valid tiers', () => {
    const table = defaultTierTable();
    for (const [name, tier] of Object.entries(table)) {
      expect(Object.prototype.hasOwnProperty.call(table, name)).toBe(true);
      expect(isTier(tier)).toBe(true);
    }
  });
});

describe('tiers', () => {
  it('are ordered GREEN < YELLOW < RED < BLACK', () => {
    expect(TIERS).toEqual(['GREEN', 'YELLOW', 'RED', 'BLACK']);
  });

  it.each(TIERS.flatMap((a) => TIERS.map((b) => [a, b] as const)))('maxTier(%s, %s) is the stricter', (a, b) => {
    const expected = TIERS.indexOf(a) >= TIERS.indexOf(b) ? a : b;
    expect(maxTier(a, b)).toBe(expected);
    expect(maxTier(b, a)).toBe(expected);
  });

  it.each([
    ['GREEN', 'allow'],
    ['YELLOW', 'ask'],
    ['RED', 'ask'],
    ['BLACK', 'deny'],
  ] as const)('%s → %s', (tier, kind) => {
    expect(kindForTier(tier)).toBe(kind);
  });

  it.each([['green'], ['PURPLE'], [''], [null], [undefined], [0], [['GREEN']], [new String('GREEN')], ['constructor']])(
    'isTier(%p) is false',
    (value) => {
      expect(isTier(value)).toBe(false);
    },
  );
});
