import { type JarvisConfig } from '@jarvis/config';
import { parseProtected, type ProtectedResources } from '@jarvis/policies';
import { TrustedProxies } from './common/client-address';

/** DI token of the API's settings. */
export const API_CONFIG = Symbol('API_CONFIG');

/** Settings only the API reads (the terminal and the temperature poller), from the same environment. */
export interface ApiOnlySettings {
  /** How often `sensors -j` runs on the online nodes (TEMPERATURE_POLL_MS, default 30 s). */
  readonly temperaturePollMs: number;
  /** A terminal without input for this long is closed (TERMINAL_IDLE_MS, default 15 min). */
  readonly terminalIdleMs: number;
  /** Concurrent terminals per operator, across all their tabs (TERMINAL_MAX_PER_USER, default 3). */
  readonly terminalMaxPerUser: number;
  /**
   * The Ed25519 private key the API signs what it vouches for with (JARVIS_SIGNING_KEY: PKCS#8
   * PEM or its base64). Only the API reads it; unset, a key is generated for this process alone.
   */
  readonly signingKey?: string;
  /** Peers whose X-Forwarded-For / X-Forwarded-Proto are believed (TRUSTED_PROXIES, default none). */
  readonly trustedProxies: TrustedProxies;
  /** A login session ends this long after its last refresh (SESSION_IDLE_SECONDS, default 12 h). */
  readonly sessionIdleSeconds: number;
  /** ...and at the latest this long after the password login (SESSION_MAX_SECONDS, default 7 days). */
  readonly sessionMaxSeconds: number;
  /**
   * A terminal on Jarvis's own node (the node of the protected Jarvis VM) also needs the node's
   * name typed, whatever the two-person setting (TERMINAL_OWN_NODE_CONFIRM, default on).
   */
  readonly terminalOwnNodeConfirm: boolean;
  /**
   * A login younger than this opens a terminal without the password asked again
   * (TERMINAL_STEP_UP_MS, default 5 min; 0 asks every time).
   */
  readonly terminalStepUpMs: number;
  /** Per-session cap of a terminal recording, in bytes (TERMINAL_RECORDING_MAX_BYTES, default 4 MiB). */
  readonly terminalRecordingMaxBytes: number;
}

/**
 * What the API keeps of the validated configuration: everything but the operators' passwords
 * (hashed into the OperatorDirectory at boot), with the protected-resources JSON parsed once.
 */
export interface ApiConfig extends Omit<JarvisConfig, 'operators'>, ApiOnlySettings {
  readonly operatorNames: readonly string[];
  readonly protectedResources: ProtectedResources;
}

export class ApiConfigError extends Error {
  override readonly name = 'ApiConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The API-only settings, validated like the shared ones (a bad value names its variable and
 * stops start-up). Read here rather than in @jarvis/config because no other process uses them.
 */
export function readApiSettings(env: Env): { settings: ApiOnlySettings; problems: string[] } {
  const problems: string[] = [];
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const raw = env[name]?.trim();
    if (!raw) return fallback;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer between ${min} and ${max}`);
      return fallback;
    }
    return n;
  };
  const trusted = TrustedProxies.parse(env['TRUSTED_PROXIES']);
  problems.push(...trusted.problems);
  const flag = (name: string, fallback: boolean): boolean => {
    const raw = env[name]?.trim().toLowerCase();
    if (!raw) return fallback;
    if (['1', 'true', 'on', 'yes'].includes(raw)) return true;
    if (['0', 'false', 'off', 'no'].includes(raw)) return false;
    problems.push(`${name} must be on or off (1/0, true/false)`);
    return fallback;
  };
  return {
    settings: {
      trustedProxies: trusted.proxies,
      sessionIdleSeconds: int('SESSION_IDLE_SECONDS', 12 * 3600, 60, 30 * 24 * 3600),
      sessionMaxSeconds: int('SESSION_MAX_SECONDS', 7 * 24 * 3600, 60, 90 * 24 * 3600),
      temperaturePollMs: int('TEMPERATURE_POLL_MS', 30_000, 200, 3_600_000),
      terminalIdleMs: int('TERMINAL_IDLE_MS', 15 * 60_000, 100, 24 * 3_600_000),
      terminalMaxPerUser: int('TERMINAL_MAX_PER_USER', 3, 1, 50),
      ...(env['JARVIS_SIGNING_KEY']?.trim() ? { signingKey: env['JARVIS_SIGNING_KEY'].trim() } : {}),
      terminalOwnNodeConfirm: flag('TERMINAL_OWN_NODE_CONFIRM', true),
      terminalStepUpMs: int('TERMINAL_STEP_UP_MS', 5 * 60_000, 0, 60 * 60_000),
      terminalRecordingMaxBytes: int('TERMINAL_RECORDING_MAX_BYTES', 4 * 1024 * 1024, 4096, 256 * 1024 * 1024),
    },
    problems,
  };
}

export function toApiConfig(config: JarvisConfig, env: Env = process.env): ApiConfig {
  const { operators, ...rest } = config;
  const problems: string[] = [];
  let protectedResources: ProtectedResources | undefined;
  try {
    protectedResources = parseProtected(config.protectedJson);
  } catch (err) {
    // A malformed list must stop start-up: "nothing is protected" is never a safe default.
    problems.push(`JARVIS_PROTECTED: ${(err as Error).message}`);
  }
  const api = readApiSettings(env);
  problems.push(...api.problems);
  if (problems.length > 0 || !protectedResources)
    throw new ApiConfigError(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
  return { ...rest, ...api.settings, operatorNames: operators.map((o) => o.username), protectedResources };
}
