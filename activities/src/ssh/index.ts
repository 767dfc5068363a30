/** Public surface of the SSH group: the pool, host-key checking, sensors parsing and the activities. */
export type { SshTarget, SshExecOptions, SshExecResult, SshShellOptions, SshRunner, SshErrorCode } from './types';
export { SshError, isSshError } from './ssh.errors';
export {
  KnownHosts,
  sshFingerprint,
  keyTypeOf,
  knownHostName,
  type KnownHostKey,
  type HostKeyCheck,
} from './known-hosts';
export {
  SshPool,
  TRUNCATION_MARKER,
  REMOTE_KILL_WRAPPER,
  REMOTE_WRAPPER_NAME,
  shellQuote,
  wireCommand,
  type SshPoolOptions,
} from './ssh-pool';
export { parseSensorsJson, readNodeTemperatures, type ReadTemperaturesOptions } from './sensors';
export { createSshPoolFromConfig, loadSshFiles, sshTargetsFromConfig, type SshPoolExtras } from './ssh-config';
export {
  createSshActivities,
  sshFailure,
  type SshActivities,
  type SshActivityDeps,
  type RunSshCommandInput,
  type ReadTemperaturesInput,
} from './ssh.activities';
