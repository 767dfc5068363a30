import {
  DEFAULT_PROTECTED,
  dependencyEdges,
  findProtected,
  parseProtected,
  protectedClosure,
  type ProtectedResources,
} from '@jarvis/policies';

const chain: ProtectedResources = {
  jarvis: { vmid: 300, node: 'core' },
  guests: [
    { vmid: 150, reason: 'the router' },
    { vmid: 160, node: 'db1', reason: 'the database VM' },
  ],
  nodes: [{ node: 'storage1', reason: 'holds the backups' }],
  services: [
    { name: 'docker', vmid: 300, reason: 'the container daemon' },
    { name: 'postgres', vmid: 170, reason: "Jarvis's database" },
  ],
};

describe('dependencyEdges', () => {
  it('links Jarvis to its node, services to their guests, and guests to their nodes', () => {
    expect(dependencyEdges(chain)).toEqual([
      ['guest:300', 'node:core'],
      ['service:docker', 'guest:300'],
      ['service:postgres', 'guest:170'],
      ['guest:160', 'node:db1'],
    ]);
  });

  it('a guest without a node adds no edge', () => {
    const edges = dependencyEdges({ jarvis: { vmid: 103, node: 'agent1' }, guests: [{ vmid: 150, reason: 'router' }] });
    expect(edges).toEqual([['guest:103', 'node:agent1']]);
  });

  it('the defaults: Jarvis on agent1, docker on Jarvis', () => {
    expect(dependencyEdges(DEFAULT_PROTECTED)).toEqual([
      ['guest:103', 'node:agent1'],
      ['service:docker', 'guest:103'],
    ]);
  });
});

describe('protectedClosure / findProtected', () => {
  const closure = protectedClosure(DEFAULT_PROTECTED);

  it.each([
    ['guest:103', true],
    ['node:agent1', true],
    ['service:docker', true],
    ['guest:104', false],
    ['guest:1030', false],
    ['guest:10', false],
    ['node:agent2', false],
    ['node:Agent1', false],
    ['node:agent1 ', false],
    ['service:Docker', false],
    ['service:sshd', false],
  ] as const)('by default %s protected: %s', (id, isProtected) => {
    expect(closure.has(id)).toBe(isProtected);
    const hit = findProtected(DEFAULT_PROTECTED, id);
    if (isProtected) {
      expect(hit).toEqual({ resource: id, reason: closure.get(id) });
      expect(hit?.reason.length).toBeGreaterThan(0);
    } else {
      expect(hit).toBeUndefined();
    }
  });

  it("Jarvis's node is protected because Jarvis's VM depends on it", () => {
    expect(closure.get('guest:103')).toBe("Jarvis's own VM");
    expect(closure.get('node:agent1')).toBe("Jarvis's own VM depends on it");
  });

  const full = protectedClosure(chain);
  it.each([
    ['guest:300', "Jarvis's own VM"],
    ['node:core', "Jarvis's own VM depends on it"],
    ['guest:150', 'the router'],
    ['guest:160', 'the database VM'],
    ['node:db1', 'the database VM depends on it'],
    ['node:storage1', 'holds the backups'],
    ['service:docker', 'the container daemon'],
    ['service:postgres', "Jarvis's database"],
    ['guest:170', "Jarvis's database depends on it"],
  ] as const)('custom: %s is protected because %s', (id, reason) => {
    expect(full.get(id)).toBe(reason);
    expect(findProtected(chain, id)).toEqual({ resource: id, reason });
  });

  it('custom: exactly the roots and their dependencies are protected', () => {
    expect([...full.keys()].sort()).toEqual(
      [
        'guest:150',
        'guest:160',
        'guest:170',
        'guest:300',
        'node:core',
        'node:db1',
        'node:storage1',
        'service:docker',
        'service:postgres',
      ].sort(),
    );
  });

  it('service → guest → node: a service on a listed guest protects that guest and its node', () => {
    const p: ProtectedResources = {
      jarvis: { vmid: 103, node: 'agent1' },
      guests: [{ vmid: 180, node: 'pve3', reason: 'hosts the MQTT broker' }],
      services: [{ name: 'mqtt', vmid: 180, reason: 'the message broker' }],
    };
    const c = protectedClosure(p);
    expect(c.get('service:mqtt')).toBe('the message broker');
    expect(c.has('guest:180')).toBe(true);
    expect(c.has('node:pve3')).toBe(true);
    expect(c.has('node:agent1')).toBe(true);
    expect(c.has('guest:103')).toBe(true);
  });

  it('a service whose guest is only reachable through the service still protects the node through that guest', () => {
    const p: ProtectedResources = {
      jarvis: { vmid: 103, node: 'agent1' },
      guests: [{ vmid: 181, node: 'pve4', reason: 'listed' }],
      services: [{ name: 'vault', vmid: 181, reason: 'secrets' }],
    };
    // Order of roots must not matter: the node is reached whichever root is seen first.
    expect(protectedClosure(p).has('node:pve4')).toBe(true);
    expect(protectedClosure({ ...p, guests: [...(p.guests ?? [])].reverse() }).has('node:pve4')).toBe(true);
  });

  it('terminates on a cycle', () => {
    const p: ProtectedResources = {
      jarvis: { vmid: 103, node: 'agent1' },
      guests: [{ vmid: 103, node: 'agent1', reason: 'again' }],
      services: [{ name: 'a', vmid: 103, reason: 'x' }],
    };
    const c = protectedClosure(p);
    expect([...c.keys()].sort()).toEqual(['guest:103', 'node:agent1', 'service:a']);
  });

  it('does not mutate its input', () => {
    const copy = JSON.parse(JSON.stringify(chain)) as ProtectedResources;
    protectedClosure(chain);
    dependencyEdges(chain);
    findProtected(chain, 'guest:1');
    expect(chain).toEqual(copy);
  });
});

describe('parseProtected', () => {
  it.each([
    ['the full form', { jarvis: { vmid: 103, node: 'agent1' } }],
    ['the short form', { vmid: 103, node: 'agent1' }],
    ['the short form with other fields', { vmid: 103, node: 'agent1', nodes: [] }],
  ])('accepts %s', (_label, raw) => {
    const parsed = parseProtected(raw);
    expect(parsed.jarvis).toEqual({ vmid: 103, node: 'agent1' });
    expect(protectedClosure(parsed).has('node:agent1')).toBe(true);
    expect(protectedClosure(parsed).has('service:docker')).toBe(true);
  });

  it('accepts and keeps guests, nodes and services', () => {
    const raw = JSON.parse(JSON.stringify(chain));
    expect(parseProtected(raw)).toEqual(chain);
  });

  it('accepts a JSON string parsed by the caller, not the string itself', () => {
    const text = '{"jarvis":{"vmid":103,"node":"agent1"}}';
    expect(parseProtected(JSON.parse(text)).jarvis.vmid).toBe(103);
    expect(() => parseProtected(text)).toThrow();
  });

  it("the container daemon defaults to Jarvis's own VM, wherever that is", () => {
    const parsed = parseProtected({ jarvis: { vmid: 250, node: 'pve2' } });
    expect(parsed.services).toEqual([{ name: 'docker', vmid: 250, reason: expect.any(String) }]);
    const closure = protectedClosure(parsed);
    expect(closure.has('service:docker')).toBe(true);
    expect(closure.has('guest:250')).toBe(true);
    expect(closure.has('node:pve2')).toBe(true);
    expect(closure.has('guest:103')).toBe(false);
  });

  it('an explicit empty services list is kept as empty', () => {
    expect(parseProtected({ vmid: 103, node: 'agent1', services: [] }).services).toEqual([]);
  });

  const malformed: Array<[string, unknown]> = [
    ['undefined', undefined],
    ['null', null],
    ['a string', 'agent1:103'],
    ['a JSON string', '{"vmid":103,"node":"agent1"}'],
    ['a number', 103],
    ['a boolean', true],
    ['an empty object', {}],
    ['an empty array', []],
    ['an array of the fields', [103, 'agent1']],
    ['missing node', { vmid: 103 }],
    ['missing node (full form)', { jarvis: { vmid: 103 } }],
    ['missing vmid (full form)', { jarvis: { node: 'agent1' } }],
    ['missing vmid (short form)', { node: 'agent1' }],
    ['jarvis as a string', { jarvis: 'agent1:103' }],
    ['jarvis as a number', { jarvis: 103 }],
    ['an empty node', { vmid: 103, node: '' }],
    ['a node with a space', { vmid: 103, node: 'agent 1' }],
    ['a node with surrounding whitespace', { vmid: 103, node: ' agent1 ' }],
    ['a node with a shell metacharacter', { vmid: 103, node: 'agent1;reboot' }],
    ['a node with a Cyrillic look-alike', { vmid: 103, node: '\u0430gent1' }],
    ['a node as a number', { vmid: 103, node: 1 }],
    ['vmid as a string', { vmid: '103', node: 'agent1' }],
    ['vmid as a float', { vmid: 103.5, node: 'agent1' }],
    ['vmid NaN', { vmid: Number.NaN, node: 'agent1' }],
    ['vmid Infinity', { vmid: Number.POSITIVE_INFINITY, node: 'agent1' }],
    ['vmid negative', { vmid: -103, node: 'agent1' }],
    ['vmid below PVE range', { vmid: 99, node: 'agent1' }],
    ['vmid above PVE range', { vmid: 1_000_000_000, node: 'agent1' }],
    ['vmid null', { vmid: null, node: 'agent1' }],
    ['guests not a list', { vmid: 103, node: 'agent1', guests: { vmid: 150, reason: 'x' } }],
    ['guests as a string', { vmid: 103, node: 'agent1', guests: '150' }],
    ['a guest without a reason', { vmid: 103, node: 'agent1', guests: [{ vmid: 150 }] }],
    ['a guest with a string vmid', { vmid: 103, node: 'agent1', guests: [{ vmid: '150', reason: 'x' }] }],
    ['a guest with a float vmid', { vmid: 103, node: 'agent1', guests: [{ vmid: 150.5, reason: 'x' }] }],
    ['a guest with an out-of-range vmid', { vmid: 103, node: 'agent1', guests: [{ vmid: 5, reason: 'x' }] }],
    ['a guest with a numeric node', { vmid: 103, node: 'agent1', guests: [{ vmid: 150, node: 7, reason: 'x' }] }],
    ['a guest with an empty node', { vmid: 103, node: 'agent1', guests: [{ vmid: 150, node: '', reason: 'x' }] }],
    ['a guest with a bad node', { vmid: 103, node: 'agent1', guests: [{ vmid: 150, node: '../pve', reason: 'x' }] }],
    ['a null guest entry', { vmid: 103, node: 'agent1', guests: [null] }],
    ['a string guest entry', { vmid: 103, node: 'agent1', guests: ['150'] }],
    ['a number guest entry', { vmid: 103, node: 'agent1', guests: [150] }],
    [
      'one bad guest among good ones',
      {
        vmid: 103,
        node: 'agent1',
        guests: [
          { vmid: 150, reason: 'x' },
          { vmid: 'x', reason: 'y' },
        ],
      },
    ],
    ['nodes not a list', { vmid: 103, node: 'agent1', nodes: 'storage1' }],
    ['a node entry without a reason', { vmid: 103, node: 'agent1', nodes: [{ node: 'storage1' }] }],
    ['a node entry with a numeric node', { vmid: 103, node: 'agent1', nodes: [{ node: 1, reason: 'x' }] }],
    ['a node entry with a bad name', { vmid: 103, node: 'agent1', nodes: [{ node: 'storage 1', reason: 'x' }] }],
    ['a node entry as a string', { vmid: 103, node: 'agent1', nodes: ['storage1'] }],
    ['services not a list', { vmid: 103, node: 'agent1', services: { name: 'docker', vmid: 103, reason: 'x' } }],
    ['a service without a name', { vmid: 103, node: 'agent1', services: [{ vmid: 103, reason: 'x' }] }],
    ['a service with an empty name', { vmid: 103, node: 'agent1', services: [{ name: '', vmid: 103, reason: 'x' }] }],
    [
      'a service with a string vmid',
      { vmid: 103, node: 'agent1', services: [{ name: 'docker', vmid: '103', reason: 'x' }] },
    ],
    ['a service without a reason', { vmid: 103, node: 'agent1', services: [{ name: 'docker', vmid: 103 }] }],
    ['a service entry as a string', { vmid: 103, node: 'agent1', services: ['docker'] }],
    ['services null', { vmid: 103, node: 'agent1', services: null }],
    ['guests null', { vmid: 103, node: 'agent1', guests: null }],
  ];

  it.each(malformed)('rejects %s', (_label, raw) => {
    expect(() => parseProtected(raw)).toThrow(/protected resources/);
  });
});
