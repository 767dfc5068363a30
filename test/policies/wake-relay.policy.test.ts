import { chooseWakeRelay, type WakeRelayInput } from '@jarvis/policies';

const members = (...spec: [string, boolean][]) => spec.map(([name, online]) => ({ name, online }));
const cluster: WakeRelayInput = {
  target: 'home',
  quorate: true,
  members: members(['pve', true], ['home', false], ['agent1', true], ['agent', true]),
};

describe('chooseWakeRelay: which node sends the wake-on-LAN packet', () => {
  it('picks an online member other than the target, first by name, whatever the input order', () => {
    expect(chooseWakeRelay(cluster)).toMatchObject({ kind: 'relay', node: 'agent', ruleId: 'relay-chosen' });
    const shuffled = { ...cluster, members: [...cluster.members].reverse() };
    expect(chooseWakeRelay(shuffled)).toMatchObject({ kind: 'relay', node: 'agent' });
  });

  it('skips the relays already tried, in the same order, until none is left', () => {
    expect(chooseWakeRelay({ ...cluster, tried: ['agent'] })).toMatchObject({ node: 'agent1' });
    expect(chooseWakeRelay({ ...cluster, tried: ['agent', 'agent1'] })).toMatchObject({ node: 'pve' });
    const spent = chooseWakeRelay({ ...cluster, tried: ['agent', 'agent1', 'pve'] });
    expect(spent).toMatchObject({ kind: 'none', ruleId: 'every-relay-tried' });
    expect(spent.reason).toContain('agent, agent1, pve');
  });

  it('asks nodes whose own endpoint Jarvis cannot reach last, still by name, and unknown reachability as reachable', () => {
    const reach = (name: string, reachable: boolean | undefined) => ({
      name,
      online: true,
      ...(reachable === undefined ? {} : { reachable }),
    });
    const mixed = {
      ...cluster,
      members: [reach('agent', false), reach('agent1', false), reach('pve', true), reach('home', false)],
    };
    expect(chooseWakeRelay(mixed)).toMatchObject({ node: 'pve' });
    expect(chooseWakeRelay({ ...mixed, tried: ['pve'] })).toMatchObject({ node: 'agent' });
    const unknown = { ...cluster, members: [reach('pve', undefined), reach('agent', false)] };
    expect(chooseWakeRelay(unknown)).toMatchObject({ node: 'pve' });
    expect(chooseWakeRelay({ ...unknown, tried: ['pve'] })).toMatchObject({ node: 'agent' });
  });

  it.each([
    ['never the target itself, even when it is listed online', { members: members(['home', true]) }],
    ['never an offline node', { members: members(['home', false], ['pve', false]) }],
    ['nobody in an empty cluster', { members: [] }],
  ])('%s: says no other node is online', (_name, over) => {
    const choice = chooseWakeRelay({ ...cluster, ...over });
    expect(choice).toMatchObject({ kind: 'none', ruleId: 'no-other-node-online' });
    expect(choice.reason).toBe('no node other than home is online to wake it');
  });

  it('still chooses without quorum (two of four down), and says so: waking a node is how quorum comes back', () => {
    const choice = chooseWakeRelay({ ...cluster, quorate: false });
    expect(choice).toMatchObject({ kind: 'relay', node: 'agent' });
    expect(choice.reason).toContain('no quorum');
  });

  it.each([
    ['a target that is no node name', { target: 'home;reboot' }],
    ['a target that is not a string', { target: 7 }],
    ['no member list', { members: 'pve' }],
    ['a quorum that is not a boolean', { quorate: 'yes' }],
  ])('chooses nobody for malformed input: %s', (_name, over) => {
    const choice = chooseWakeRelay({ ...cluster, ...over } as unknown as WakeRelayInput);
    expect(choice.kind).toBe('none');
  });

  it('ignores members with malformed names or online flags, and a throwing getter', () => {
    const odd = [
      { name: '../pve', online: true },
      { name: 'pve', online: 'yes' },
      { name: 'ágent', online: true },
      null,
      { name: 'dns', online: true },
    ];
    expect(chooseWakeRelay({ ...cluster, members: odd } as unknown as WakeRelayInput)).toMatchObject({ node: 'dns' });
    const hostile = {
      ...cluster,
      get members(): never {
        throw new Error('boom');
      },
    };
    expect(chooseWakeRelay(hostile)).toMatchObject({ kind: 'none', ruleId: 'invalid-input' });
  });
});
