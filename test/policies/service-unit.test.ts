import { ConfigError, loadConfig } from '@jarvis/config';
import {
  DEFAULT_PROTECTED,
  SERVICE_UNIT_PATTERN,
  defaultTierTable,
  evaluateAction,
  evaluateSshCommand,
  evaluateToolCall,
  findTool,
  isServiceUnit,
  serviceUnitName,
  sshToolCommand,
  type Tier,
} from '@jarvis/policies';

const policy = { tiers: defaultTierTable(), protected: DEFAULT_PROTECTED };

/** Names a unit slot could be handed by a model, an operator's config or a crafted incident. */
const ADVERSARIAL: readonly [string, string][] = [
  ['command separator', 'pveproxy;reboot'],
  ['and-list', 'pveproxy && rm -rf /'],
  ['pipe', 'a|b'],
  ['command substitution', '$(reboot)'],
  ['backticks', '`id`'],
  ['redirect', 'x>y'],
  ['path traversal', '../../bin/sh'],
  ['double dot', 'pve..proxy'],
  ['slash', 'pve/proxy'],
  ['space', 'pve proxy'],
  ['newline', 'pveproxy\nreboot'],
  ['option', '--now'],
  ['leading dash', '-pveproxy'],
  ['template unit', 'getty@tty1'],
  ['target', 'reboot.target'],
  ['socket', 'ssh.socket'],
  ['double suffix', 'pveproxy.service.service'],
  ['upper case', 'PVEPROXY'],
  ['Cyrillic look-alike', 'ѕshd'],
  ['fullwidth', 'ｐｖｅｐｒｏｘｙ'],
  ['zero-width space', 'pve\u200bproxy'],
  ['trailing dash', 'pveproxy-'],
  ['empty', ''],
  ['too long', 'a'.repeat(65)],
];

describe('the one service-unit grammar', () => {
  it.each([['pveproxy'], ['pve-ha-lrm'], ['systemd-timesyncd'], ['zfs-zed'], ['pveproxy.service'], ['a'], ['nginx']])(
    'accepts %j',
    (unit) => {
      expect(isServiceUnit(unit)).toBe(true);
    },
  );

  it.each(ADVERSARIAL)('refuses %s (%j)', (_what, unit) => {
    expect(isServiceUnit(unit)).toBe(false);
  });

  it.each([[1], [null], [undefined], [['pveproxy']], [{ toString: () => 'pveproxy' }]])('refuses a %p', (value) => {
    expect(isServiceUnit(value)).toBe(false);
  });

  it('drops the .service suffix only', () => {
    expect(serviceUnitName('pveproxy.service')).toBe('pveproxy');
    expect(serviceUnitName('pveproxy')).toBe('pveproxy');
  });

  it('is the pattern the catalog schemas declare', () => {
    for (const tool of ['service.restart', 'service.status'])
      expect(findTool(tool)!.schema.properties['service']).toMatchObject({ pattern: SERVICE_UNIT_PATTERN });
  });

  it.each(ADVERSARIAL)('the SSH allowlist refuses the same %s', (_what, unit) => {
    expect(evaluateSshCommand(`systemctl restart ${unit}`).kind).toBe('deny');
  });
});

/**
 * An SSH-backed tool is judged by the SSH allowlist at request time: what the allowlist would
 * refuse is BLACK, with its reason, before any operator is asked to approve it.
 */
describe('the action policy composes the SSH allowlist', () => {
  it.each([
    // tool, args, tier, ruleId
    ['service.restart', { node: 'pve', service: 'pveproxy' }, 'YELLOW', 'tier-table'],
    ['service.restart', { node: 'pve', service: 'pveproxy.service' }, 'YELLOW', 'tier-table'],
    ['service.restart', { node: 'pve', service: 'nginx' }, 'BLACK', 'ssh-allowlist'],
    ['service.restart', { node: 'pve', service: 'pve-firewall' }, 'BLACK', 'ssh-allowlist'], // observable only
    ['service.restart', { node: 'pve', service: 'pve-guests' }, 'BLACK', 'ssh-allowlist'], // never restarted
    ['service.restart', { node: 'pve', service: 'watchdog-mux' }, 'BLACK', 'ssh-allowlist'],
    ['service.restart', { node: 'pve', service: 'networking' }, 'BLACK', 'ssh-allowlist'],
    ['service.status', { node: 'pve', service: 'pveproxy' }, 'GREEN', 'tier-table'],
    ['service.status', { node: 'pve', service: 'pve-firewall' }, 'GREEN', 'tier-table'],
    ['service.status', { node: 'pve', service: 'nginx' }, 'BLACK', 'ssh-allowlist'],
    ['ssh.run', { node: 'pve', command: 'uptime' }, 'GREEN', 'tier-table'],
    ['ssh.run', { node: 'pve', command: 'systemctl restart pveproxy' }, 'YELLOW', 'ssh-yellow-shape'],
    ['ssh.run', { node: 'pve', command: 'systemctl restart nginx' }, 'BLACK', 'ssh-allowlist'],
    ['ssh.run', { node: 'pve', command: 'uptime; reboot' }, 'BLACK', 'ssh-allowlist'],
    ['ssh.run', { node: 'pve', command: 'qm stop 100' }, 'BLACK', 'ssh-allowlist'],
    ['ssh.run', { node: 'pve', command: 'cat /etc/shadow' }, 'BLACK', 'ssh-allowlist'],
    ['ssh.run', { node: 'pve', command: 'rm -rf /' }, 'BLACK', 'ssh-allowlist'],
  ] as const)('%s %j is %s (%s)', (tool, args, tier: Tier, ruleId) => {
    const decision = evaluateAction({ tool, args }, {}, policy);
    expect(decision).toMatchObject({ tier, ruleId });
    if (tier === 'BLACK') expect(decision.reason).toBe(evaluateSshCommand(sshToolCommand(tool, args)!).reason);
  });

  it.each(ADVERSARIAL)('service.restart of %s is BLACK at request time', (_what, service) => {
    expect(evaluateAction({ tool: 'service.restart', args: { node: 'pve', service } }, {}, policy).tier).toBe('BLACK');
  });

  it('an operator-allowed unit is restartable: the allowlist options reach the policy', () => {
    const widened = { ...policy, ssh: { extraRestartableUnits: ['nginx'] } };
    expect(evaluateAction({ tool: 'service.restart', args: { node: 'pve', service: 'nginx' } }, {}, widened).tier).toBe(
      'YELLOW',
    );
  });

  it('the allowlist is never lifted by the override passkey', () => {
    const decision = evaluateToolCall(
      { tool: 'service.restart', args: { node: 'pve', service: 'nginx' } },
      {},
      policy,
      { overrideActive: true },
    );
    expect(decision).toMatchObject({ kind: 'deny', tier: 'BLACK', ruleId: 'ssh-allowlist' });
    expect(decision.overridden).toBeUndefined();
  });

  it('a protected node stays BLACK for its own reason, before the allowlist', () => {
    expect(
      evaluateAction({ tool: 'service.restart', args: { node: 'agent1', service: 'nginx' } }, {}, policy),
    ).toMatchObject({ tier: 'BLACK', ruleId: 'protected-resource' });
  });
});

describe('WATCHED_SERVICES at boot', () => {
  const BASE = {
    PVE_URL: 'https://127.0.0.1:8006/api2/json',
    PVE_TOKEN: 'root@pam!jarvis=secret',
    DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/jarvis',
    JARVIS_USERNAME: 'operator',
    JARVIS_PASSWORD: 'long enough password',
    JWT_SECRET: 'x'.repeat(40),
  };
  const problems = (watched: unknown): string[] => {
    try {
      loadConfig({ ...BASE, WATCHED_SERVICES: JSON.stringify(watched) });
    } catch (err) {
      if (err instanceof ConfigError) return [...err.problems];
      throw err;
    }
    return [];
  };

  it('accepts allowlisted services', () => {
    expect(problems({ '*': ['pveproxy', 'pvedaemon.service'], pve: ['corosync'] })).toEqual([]);
  });

  it.each([
    [{ '*': ['nginx'] }, 'WATCHED_SERVICES.*: nginx cannot be watched: nginx is not on the restart allowlist'],
    [
      { pve: ['pveproxy', 'pve-guests'] },
      'WATCHED_SERVICES.pve: pve-guests cannot be watched: pve-guests is never restarted over SSH',
    ],
    [{ home: ['pve-firewall'] }, 'WATCHED_SERVICES.home: pve-firewall cannot be watched'],
  ])('refuses %j, naming the service', (watched, message) => {
    const found = problems(watched);
    expect(found).toHaveLength(1);
    expect(found[0]).toContain(message);
  });

  it.each(ADVERSARIAL)('refuses a %s as a service name', (_what, unit) => {
    expect(problems({ '*': [unit] })).toEqual([
      expect.stringContaining('WATCHED_SERVICES.* must be an array of at most 50 service names'),
    ]);
  });
});
