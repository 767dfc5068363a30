/** Building the pool from Jarvis's validated configuration (config/src/config.ts, `ssh`). */
import { readFileSync } from 'node:fs';
import { type JarvisConfig } from '@jarvis/config';
import { KnownHosts } from './known-hosts';
import { SshPool, type SshPoolOptions } from './ssh-pool';
import { type SshTarget } from './types';

export type SshPoolExtras = Partial<
  Pick<SshPoolOptions, 'keepaliveIntervalMs' | 'readyTimeoutMs' | 'reconnect' | 'log' | 'policy'>
>;

/** The targets in SSH_NODES, for SSH_USER. */
export function sshTargetsFromConfig(ssh: NonNullable<JarvisConfig['ssh']>): SshTarget[] {
  return Object.entries(ssh.nodes).map(([node, address]) => ({
    node,
    host: address.host,
    port: address.port,
    username: ssh.user,
  }));
}

/**
 * Reads the private key and known_hosts named in the config. A missing or unreadable file stops
 * start-up with the path named; the key's contents never reach a message.
 */
export function loadSshFiles(ssh: NonNullable<JarvisConfig['ssh']>): { privateKey: Buffer; knownHosts: KnownHosts } {
  const read = (what: string, path: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`cannot read the SSH ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`, {
        cause: err,
      });
    }
  };
  const privateKey = read('private key (SSH_KEY_FILE)', ssh.keyFile);
  const knownHosts = KnownHosts.parse(read('known_hosts file (SSH_KNOWN_HOSTS)', ssh.knownHostsFile).toString('utf8'));
  return { privateKey, knownHosts };
}

/** The pool for a loaded config, or undefined when SSH is not configured (SSH_* unset). */
export function createSshPoolFromConfig(
  config: Pick<JarvisConfig, 'ssh'>,
  extras: SshPoolExtras = {},
): SshPool | undefined {
  if (!config.ssh) return undefined;
  const { privateKey, knownHosts } = loadSshFiles(config.ssh);
  return new SshPool({ ...extras, targets: sshTargetsFromConfig(config.ssh), privateKey, knownHosts });
}
