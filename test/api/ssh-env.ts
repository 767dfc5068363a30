import { type startSshHosts } from '../support/sshd';

/** The simulator's nodes, each with its own sshd test host. */
export const SSH_NODES = ['home', 'pve', 'agent1', 'agent'] as const;
/** The test host started without a `sensors` on its PATH. */
export const SENSORLESS_NODE = 'agent1';

/** The API's SSH_* settings for running test hosts (CONTRACT-style env, as an operator would set it). */
export function sshEnv(hosts: Awaited<ReturnType<typeof startSshHosts>>): Record<string, string> {
  return {
    SSH_KEY_FILE: hosts.privateKeyPath,
    SSH_KNOWN_HOSTS: hosts.knownHostsPath,
    SSH_USER: hosts.targets[0]!.username,
    SSH_NODES: JSON.stringify(Object.fromEntries(hosts.targets.map((t) => [t.node, `${t.host}:${t.port}`]))),
  };
}
