import { ConfigError, loadConfig, parseSshAddress } from '@jarvis/config';
import { sshTargetsFromConfig } from '@jarvis/activities';

const BASE = {
  PVE_URL: 'https://127.0.0.1:8006/api2/json',
  PVE_TOKEN: 'root@pam!jarvis=secret',
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/jarvis',
  JARVIS_USERNAME: 'operator',
  JARVIS_PASSWORD: 'long enough password',
  JWT_SECRET: 'x'.repeat(40),
};

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...BASE, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

describe('SSH configuration', () => {
  test('unset: no ssh section', () => {
    expect(loadConfig(BASE).ssh).toBeUndefined();
  });

  test('SSH_NODES with strings and objects, SSH_USER defaulting to root', () => {
    const config = loadConfig({
      ...BASE,
      SSH_KEY_FILE: '/run/secrets/jarvis_ssh_key',
      SSH_KNOWN_HOSTS: '/etc/jarvis/known_hosts',
      SSH_NODES: JSON.stringify({ home: '127.0.0.1:2201', pve: { host: '127.0.0.1', port: 2202 }, agent: 'pve3.lan' }),
    });
    expect(config.ssh).toEqual({
      keyFile: '/run/secrets/jarvis_ssh_key',
      knownHostsFile: '/etc/jarvis/known_hosts',
      user: 'root',
      nodes: {
        home: { host: '127.0.0.1', port: 2201 },
        pve: { host: '127.0.0.1', port: 2202 },
        agent: { host: 'pve3.lan', port: 22 },
      },
    });
    expect(sshTargetsFromConfig(config.ssh!)).toContainEqual({
      node: 'pve',
      host: '127.0.0.1',
      port: 2202,
      username: 'root',
    });
  });

  test.each([
    [{ SSH_NODES: '{"pve":"127.0.0.1:22"}' }, /SSH_KEY_FILE is required/],
    [{ SSH_KEY_FILE: '/k', SSH_NODES: '{"pve":"127.0.0.1:22"}' }, /SSH_KNOWN_HOSTS is required/],
    [{ SSH_KEY_FILE: '/k', SSH_KNOWN_HOSTS: '/kh' }, /SSH_NODES is required/],
    [{ SSH_KEY_FILE: '/k', SSH_KNOWN_HOSTS: '/kh', SSH_NODES: '["pve"]' }, /SSH_NODES is required/],
    [{ SSH_KEY_FILE: '/k', SSH_KNOWN_HOSTS: '/kh', SSH_NODES: '{"pve":"127.0.0.1:99999"}' }, /SSH_NODES\.pve/],
    [{ SSH_KEY_FILE: '/k', SSH_KNOWN_HOSTS: '/kh', SSH_NODES: '{"pve":"a b:22"}' }, /SSH_NODES\.pve/],
    [{ SSH_KEY_FILE: '/k', SSH_KNOWN_HOSTS: '/kh', SSH_NODES: '{"bad name":"127.0.0.1"}' }, /not a node name/],
    [{ SSH_KEY_FILE: '/k', SSH_KNOWN_HOSTS: '/kh', SSH_NODES: '{}', SSH_USER: 'root;id' }, /SSH_USER/],
  ])('%j is refused', (env, message) => {
    expect(problems(env).join('\n')).toMatch(message);
  });

  test.each([
    ['127.0.0.1', { host: '127.0.0.1', port: 22 }],
    ['127.0.0.1:2222', { host: '127.0.0.1', port: 2222 }],
    ['[::1]:2222', { host: '::1', port: 2222 }],
    ['pve.example.org', { host: 'pve.example.org', port: 22 }],
    ['::1', undefined],
    ['[pve]:22', undefined],
    ['host:0', undefined],
    ['host;rm:22', undefined],
    [42, undefined],
  ])('parseSshAddress(%j)', (value, expected) => {
    expect(parseSshAddress(value)).toEqual(expected);
  });
});
