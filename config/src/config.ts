import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { evaluateSshCommand, isServiceUnit, sshToolCommand } from '@jarvis/policies';
import { readTemporalTls, type TemporalSettings } from './temporal-tls';

/**
 * Jarvis's configuration, validated once at boot into a typed object (CONTRACT.md,
 * "Configuration"). A missing or malformed variable stops start-up with a message naming it.
 */
export interface OperatorAccount {
  readonly username: string;
  /** Plain password from the environment; the API hashes it at boot and drops this copy. */
  readonly password: string;
}

/** Where one node answers SSH. */
export interface SshNodeAddress {
  readonly host: string;
  readonly port: number;
}

/** SSH to the cluster nodes: file paths and addresses only; the key itself is read by the SSH layer. */
export interface SshSettings {
  /** Private key file (mounted read-only in production). */
  readonly keyFile: string;
  /** OpenSSH known_hosts file; a node whose key is not there is refused. */
  readonly knownHostsFile: string;
  readonly user: string;
  /** Proxmox node name → address. */
  readonly nodes: Readonly<Record<string, SshNodeAddress>>;
}

/**
 * The Proxmox API. Any node serves it: PVE_URL may list several endpoints (comma-separated), and
 * the client learns the other nodes' addresses from /cluster/status. Trust must cover every
 * endpoint: the cluster CA (PVE_CA_FILE) signs them all; pinned fingerprints (PVE_FINGERPRINT)
 * need one per endpoint.
 */
export interface PveSettings {
  /** The first of `urls` (where requests start). */
  readonly url: string;
  /** Every configured endpoint, in PVE_URL order. */
  readonly urls: readonly string[];
  readonly token: string;
  /** SHA-256 pins, `AA:BB:…`; a certificate matching any of them is trusted. */
  readonly fingerprints?: readonly string[];
  /** File path of the cluster CA (`/etc/pve/pve-root-ca.pem`); read by {@link pveClientSettings}. */
  readonly caFile?: string;
}

export interface JarvisConfig {
  readonly pve: PveSettings;
  readonly databaseUrl: string;
  readonly temporal: TemporalSettings;
  readonly operators: readonly OperatorAccount[];
  readonly jwtSecret: string;
  /** Access-token lifetime (JWT_TTL_SECONDS, default 15 min); the refresh cookie renews them. */
  readonly jwtTtlSeconds: number;
  readonly anthropic?: { readonly apiKey: string; readonly baseUrl?: string };
  readonly localLlm?: { readonly url: string; readonly model?: string };
  /** Chat: models, the price table, budget caps and the override passkey. */
  readonly chat: ChatConfig;
  readonly smtp?: { readonly url: string; readonly alertEmail?: string };
  readonly apiPort: number;
  readonly webPort: number;
  readonly bindAddress: string;
  /** Raw JSON; parsed and validated by the policies package. */
  readonly protectedJson: unknown;
  readonly approvalTtlMs: number;
  readonly approvalEscalateMs: number;
  readonly webDist?: string;
  /** Absent when SSH is not configured: temperatures show n/a and SSH tools are unavailable. */
  readonly ssh?: SshSettings;
  /** Autonomous monitoring and remediation (the monitor and guardian workflows). */
  readonly autonomy: AutonomyConfig;
}

export interface AutonomyConfig {
  /** Names this cluster's monitor (`monitor:<cluster>`) and guardian (`guardian:<cluster>`). */
  readonly cluster: string;
  /** Whether the worker starts the monitor and the guardian at boot. */
  readonly autostart: boolean;
  readonly intervals: {
    readonly criticalMs: number;
    readonly importantMs: number;
    readonly routineMs: number;
    readonly backgroundMs: number;
  };
  readonly stabilityWindowMs: number;
  readonly nodeBootTimeoutMs: number;
  readonly recheckMs: number;
  /** How soon a remediation step on a dead worker is noticed and retried elsewhere. */
  readonly heartbeatTimeoutMs: number;
  /** At most this many remediation attempts per incident per hour. */
  readonly maxAttempts: number;
  /**
   * REMEDIATION_SNAPSHOT_AFTER: from this restart attempt of a crashed VM on, snapshot it first and
   * roll back (after an approval: RED) when the restart fails verification. 0 (the default): never.
   */
  readonly snapshotBeforeRestartAfter?: number;
  /**
   * WATCHED_SERVICES: systemd units the monitor checks over SSH on its important interval, by
   * node name; `*` applies to every node. Default {@link DEFAULT_WATCHED_SERVICES}; `{}` watches
   * none. Without SSH configured nothing is checked. Each must be a unit the SSH allowlist may
   * restart (the service runbook's action), or the boot fails naming it.
   */
  readonly watchedServices?: Readonly<Record<string, readonly string[]>>;
}

/** The Proxmox daemons watched on every node unless WATCHED_SERVICES says otherwise (all restartable). */
export const DEFAULT_WATCHED_SERVICES: Readonly<Record<string, readonly string[]>> = Object.freeze({
  '*': Object.freeze(['pveproxy', 'pvedaemon', 'pvestatd']),
});

export interface ChatConfig {
  /** ANTHROPIC_MODEL, default claude-sonnet-5-5. */
  readonly anthropicModel: string;
  /** LOCAL_LLM_MODEL, default `local`. */
  readonly localModel: string;
  /** LLM_PRICES: JSON `{ "<model>": { "inputPerMTok": n, "outputPerMTok": n } }`, merged over the defaults. */
  readonly prices?: Readonly<Record<string, { readonly inputPerMTok: number; readonly outputPerMTok: number }>>;
  readonly budgetDailyUsd?: number;
  readonly budgetMonthlyUsd?: number;
  /** JARVIS_OVERRIDE_PASSKEY: the phrase said in chat; only its hash ever reaches a workflow. */
  readonly overridePasskey?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const USERNAME = /^[A-Za-z0-9_.@-]{1,64}$/;
const FINGERPRINT = /^([0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$/;
const PVE_TOKEN = /^[^@\s]+@[^!\s]+![^=\s]+=\S+$/;
/** PVE's node name format (pve-node in PVE::JSONSchema). */
const NODE_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const MAX_WATCHED_PER_NODE = 50;
const UNIX_USER = /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/;
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** `host`, `host:port` or `[v6]:port` (port 22 when left out), or `{host, port}`; undefined if malformed. */
export function parseSshAddress(value: unknown): SshNodeAddress | undefined {
  let host: unknown;
  let port: unknown = 22;
  if (typeof value === 'string') {
    const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(value);
    const plain = /^([^:[\]]+)(?::(\d{1,5}))?$/.exec(value);
    const m = bracketed ?? plain;
    if (!m) return undefined;
    host = m[1];
    if (m[2] !== undefined) port = Number(m[2]);
    if (bracketed && isIP(String(host)) !== 6) return undefined;
  } else if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const rec = value as Record<string, unknown>;
    host = rec['host'];
    port = rec['port'] ?? 22;
  } else return undefined;
  if (typeof host !== 'string' || !(isIP(host) !== 0 || HOSTNAME.test(host))) return undefined;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

export function loadConfig(env: Env = process.env): JarvisConfig {
  const problems: string[] = [];
  const str = (name: string, required: boolean): string | undefined => {
    const v = env[name]?.trim();
    if (!v) {
      if (required) problems.push(`${name} is required`);
      return undefined;
    }
    return v;
  };
  const url = (name: string, required: boolean, protocols: string[]): string | undefined => {
    const v = str(name, required);
    if (v === undefined) return undefined;
    try {
      const u = new URL(v);
      if (!protocols.includes(u.protocol)) problems.push(`${name} must use ${protocols.join(' or ')}`);
    } catch {
      problems.push(`${name} is not a valid URL`);
    }
    return v;
  };
  const int = (name: string, fallback: number, min: number, max: number): number => {
    const v = str(name, false);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      problems.push(`${name} must be an integer between ${min} and ${max}`);
      return fallback;
    }
    return n;
  };
  const json = (name: string): unknown => {
    const v = str(name, false);
    if (v === undefined) return undefined;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      problems.push(`${name} is not valid JSON`);
      return undefined;
    }
  };

  const pveUrls = pveEndpointList(str('PVE_URL', true), problems);
  const token = str('PVE_TOKEN', true);
  if (token !== undefined && !PVE_TOKEN.test(token))
    problems.push('PVE_TOKEN must look like USER@REALM!TOKENID=SECRET');
  const fingerprints = pveFingerprintList(str('PVE_FINGERPRINT', false), problems);
  const caFile = str('PVE_CA_FILE', false);

  const operators: OperatorAccount[] = [];
  const username = str('JARVIS_USERNAME', true);
  const password = str('JARVIS_PASSWORD', true);
  if (username && password) operators.push({ username, password });
  const extra = json('JARVIS_USERS');
  if (extra !== undefined) {
    if (!Array.isArray(extra)) problems.push('JARVIS_USERS must be a JSON array of {username, password}');
    else
      extra.forEach((u: unknown, i) => {
        const rec = (typeof u === 'object' && u !== null ? u : {}) as Record<string, unknown>;
        if (typeof rec['username'] !== 'string' || typeof rec['password'] !== 'string') {
          problems.push(`JARVIS_USERS[${i}] needs a string username and password`);
        } else operators.push({ username: rec['username'], password: rec['password'] });
      });
  }
  for (const op of operators) {
    if (!USERNAME.test(op.username))
      problems.push(`operator name "${op.username.slice(0, 64)}" has characters outside A-Z a-z 0-9 _ . @ -`);
    if (op.password.length < 8) problems.push(`the password of ${op.username} is shorter than 8 characters`);
  }
  if (new Set(operators.map((o) => o.username)).size !== operators.length)
    problems.push('operator names must be unique');

  const jwtSecret = str('JWT_SECRET', true);
  if (jwtSecret !== undefined && jwtSecret.length < 32) problems.push('JWT_SECRET must be at least 32 characters');

  const anthropicKey = str('ANTHROPIC_API_KEY', false);
  const anthropicBase = url('ANTHROPIC_BASE_URL', false, ['http:', 'https:']);
  const llmUrl = url('LOCAL_LLM_URL', false, ['http:', 'https:']);
  const usd = (name: string): number | undefined => {
    const v = str(name, false);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) {
      problems.push(`${name} must be a non-negative number of US dollars`);
      return undefined;
    }
    return n;
  };
  const pricesRaw = json('LLM_PRICES');
  let prices: ChatConfig['prices'];
  if (pricesRaw !== undefined) {
    const ok =
      typeof pricesRaw === 'object' &&
      pricesRaw !== null &&
      !Array.isArray(pricesRaw) &&
      Object.values(pricesRaw).every((p: unknown) => {
        const r = (typeof p === 'object' && p !== null ? p : {}) as Record<string, unknown>;
        return [r['inputPerMTok'], r['outputPerMTok']].every(
          (x) => typeof x === 'number' && Number.isFinite(x) && x >= 0,
        );
      });
    if (!ok) problems.push('LLM_PRICES must be JSON {"<model>": {"inputPerMTok": n, "outputPerMTok": n}}');
    else prices = pricesRaw as ChatConfig['prices'];
  }
  const passkey = str('JARVIS_OVERRIDE_PASSKEY', false);
  if (passkey !== undefined && passkey.length < 6)
    problems.push('JARVIS_OVERRIDE_PASSKEY must be at least 6 characters');
  const budgetDailyUsd = usd('LLM_BUDGET_DAILY_USD');
  const budgetMonthlyUsd = usd('LLM_BUDGET_MONTHLY_USD');
  const chat: ChatConfig = {
    anthropicModel: str('ANTHROPIC_MODEL', false) ?? 'claude-sonnet-5-5',
    localModel: str('LOCAL_LLM_MODEL', false) ?? 'local',
    ...(prices ? { prices } : {}),
    ...(budgetDailyUsd !== undefined ? { budgetDailyUsd } : {}),
    ...(budgetMonthlyUsd !== undefined ? { budgetMonthlyUsd } : {}),
    ...(passkey ? { overridePasskey: passkey } : {}),
  };
  const smtpUrl = url('SMTP_URL', false, ['smtp:', 'smtps:']);

  let ssh: SshSettings | undefined;
  const sshKeyFile = str('SSH_KEY_FILE', false);
  const knownHostsFile = str('SSH_KNOWN_HOSTS', false);
  const sshNodes = json('SSH_NODES');
  if (sshKeyFile !== undefined || knownHostsFile !== undefined || sshNodes !== undefined) {
    if (sshKeyFile === undefined) problems.push('SSH_KEY_FILE is required when SSH is configured');
    if (knownHostsFile === undefined)
      problems.push('SSH_KNOWN_HOSTS is required when SSH is configured (there is no trust on first use)');
    const user = str('SSH_USER', false) ?? 'root';
    if (!UNIX_USER.test(user)) problems.push('SSH_USER is not a valid user name');
    const nodes: Record<string, SshNodeAddress> = {};
    if (typeof sshNodes !== 'object' || sshNodes === null || Array.isArray(sshNodes))
      problems.push('SSH_NODES is required when SSH is configured: a JSON object of node name to "host:port"');
    else
      for (const [node, value] of Object.entries(sshNodes as Record<string, unknown>)) {
        if (!NODE_NAME.test(node)) problems.push(`SSH_NODES: "${node.slice(0, 64)}" is not a node name`);
        const address = parseSshAddress(value);
        if (!address) problems.push(`SSH_NODES.${node.slice(0, 64)} must be "host:port" or {"host", "port"}`);
        else nodes[node] = address;
      }
    if (sshKeyFile && knownHostsFile) ssh = { keyFile: sshKeyFile, knownHostsFile, user, nodes };
  }

  let watchedServices: Record<string, readonly string[]> | undefined;
  const watchedRaw = json('WATCHED_SERVICES');
  if (watchedRaw !== undefined) {
    if (typeof watchedRaw !== 'object' || watchedRaw === null || Array.isArray(watchedRaw)) {
      problems.push('WATCHED_SERVICES must be a JSON object of node name (or "*") to an array of unit names');
    } else {
      watchedServices = {};
      for (const [node, units] of Object.entries(watchedRaw as Record<string, unknown>)) {
        if (node !== '*' && !NODE_NAME.test(node)) {
          problems.push(`WATCHED_SERVICES: "${node.slice(0, 64)}" is not a node name or "*"`);
          continue;
        }
        const valid = Array.isArray(units) && units.length <= MAX_WATCHED_PER_NODE && units.every(isServiceUnit);
        if (!valid) {
          problems.push(
            `WATCHED_SERVICES.${node.slice(0, 64)} must be an array of at most ${MAX_WATCHED_PER_NODE} service names (lower-case letters, digits, _ and -)`,
          );
          continue;
        }
        // The service-down runbook restarts what it watches: a unit the allowlist refuses could only burn attempts.
        for (const unit of units) {
          const refused = evaluateSshCommand(sshToolCommand('service.restart', { service: unit }) ?? '');
          if (refused.kind === 'deny')
            problems.push(`WATCHED_SERVICES.${node.slice(0, 64)}: ${unit} cannot be watched: ${refused.reason}`);
        }
        watchedServices[node] = [...new Set(units)];
      }
    }
  }

  const temporalTls = readTemporalTls(env, problems);
  const config: JarvisConfig = {
    pve: {
      url: pveUrls[0] ?? '',
      urls: pveUrls,
      token: token ?? '',
      ...(fingerprints ? { fingerprints } : {}),
      ...(caFile ? { caFile } : {}),
    },
    databaseUrl: url('DATABASE_URL', true, ['postgres:', 'postgresql:']) ?? '',
    temporal: {
      address: str('TEMPORAL_ADDRESS', false) ?? '127.0.0.1:7233',
      namespace: str('TEMPORAL_NAMESPACE', false) ?? 'default',
      taskQueue: str('TEMPORAL_TASK_QUEUE', false) ?? 'jarvis',
      ...(temporalTls ? { tls: temporalTls } : {}),
    },
    operators,
    jwtSecret: jwtSecret ?? '',
    jwtTtlSeconds: int('JWT_TTL_SECONDS', 15 * 60, 5, 3600),
    ...(anthropicKey
      ? { anthropic: { apiKey: anthropicKey, ...(anthropicBase ? { baseUrl: anthropicBase } : {}) } }
      : {}),
    ...(llmUrl
      ? { localLlm: { url: llmUrl, ...(env['LOCAL_LLM_MODEL'] ? { model: env['LOCAL_LLM_MODEL'] } : {}) } }
      : {}),
    ...(smtpUrl ? { smtp: { url: smtpUrl, ...(env['ALERT_EMAIL'] ? { alertEmail: env['ALERT_EMAIL'] } : {}) } } : {}),
    chat,
    apiPort: int('API_PORT', 3000, 0, 65535),
    webPort: int('WEB_PORT', 5173, 0, 65535),
    bindAddress: str('BIND_ADDRESS', false) ?? '127.0.0.1',
    protectedJson: json('JARVIS_PROTECTED') ?? { jarvis: { vmid: 103, node: 'agent1' } },
    approvalTtlMs: int('APPROVAL_TTL_MS', 15 * 60_000, 1_000, 7 * 24 * 3600_000),
    approvalEscalateMs: int('APPROVAL_ESCALATE_MS', 5 * 60_000, 500, 7 * 24 * 3600_000),
    ...(env['WEB_DIST'] ? { webDist: env['WEB_DIST'] } : {}),
    ...(ssh ? { ssh } : {}),
    autonomy: {
      cluster: str('JARVIS_CLUSTER', false) ?? 'default',
      autostart: !['0', 'false', 'no', 'off'].includes((env['MONITOR_AUTOSTART'] ?? '').trim().toLowerCase()),
      intervals: {
        criticalMs: int('MONITOR_CRITICAL_MS', 10_000, 100, 3600_000),
        importantMs: int('MONITOR_IMPORTANT_MS', 30_000, 100, 24 * 3600_000),
        routineMs: int('MONITOR_ROUTINE_MS', 5 * 60_000, 100, 24 * 3600_000),
        backgroundMs: int('MONITOR_BACKGROUND_MS', 30 * 60_000, 100, 7 * 24 * 3600_000),
      },
      stabilityWindowMs: int('REMEDIATION_STABILITY_MS', 2 * 60_000, 0, 24 * 3600_000),
      nodeBootTimeoutMs: int('REMEDIATION_NODE_BOOT_MS', 5 * 60_000, 100, 24 * 3600_000),
      recheckMs: int('REMEDIATION_RECHECK_MS', 30_000, 50, 3600_000),
      heartbeatTimeoutMs: int('REMEDIATION_HEARTBEAT_MS', 30_000, 500, 3600_000),
      maxAttempts: int('GUARDRAIL_MAX_ATTEMPTS', 3, 1, 10_000),
      watchedServices: watchedServices ?? DEFAULT_WATCHED_SERVICES,
      snapshotBeforeRestartAfter: int('REMEDIATION_SNAPSHOT_AFTER', 0, 0, 10_000),
    },
  };
  if (!/^[A-Za-z0-9_.-]{1,60}$/.test(config.autonomy.cluster)) {
    problems.push('JARVIS_CLUSTER may contain only letters, digits and _.- (at most 60)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** PVE_URL: one https URL or a comma-separated list of them (one per node Jarvis may talk to). */
function pveEndpointList(raw: string | undefined, problems: string[]): string[] {
  if (raw === undefined) return [];
  const entries = raw.split(',').map((e) => e.trim());
  const several = entries.length > 1;
  const urls: string[] = [];
  entries.forEach((entry, i) => {
    const which = several ? `PVE_URL entry ${i + 1}` : 'PVE_URL';
    if (entry === '') {
      problems.push(`${which} is empty (PVE_URL is a comma-separated list of https URLs)`);
      return;
    }
    let u: URL;
    try {
      u = new URL(entry);
    } catch {
      problems.push(`${which} is not a valid URL`);
      return;
    }
    if (u.protocol !== 'https:') problems.push(`${which} must use https:`);
    else if (u.username !== '' || u.password !== '')
      problems.push(`${which} must not carry credentials (the token goes in PVE_TOKEN)`);
    else if (u.search !== '' || u.hash !== '') problems.push(`${which} must not have a query or fragment`);
    else if (urls.includes(entry)) problems.push(`${which} repeats an earlier entry`);
    else urls.push(entry);
  });
  return urls;
}

/** PVE_FINGERPRINT: one SHA-256 pin or a comma-separated list (one per endpoint). */
function pveFingerprintList(raw: string | undefined, problems: string[]): string[] | undefined {
  if (raw === undefined) return undefined;
  const entries = raw.split(',').map((e) => e.trim());
  const several = entries.length > 1;
  const out: string[] = [];
  entries.forEach((entry, i) => {
    if (!FINGERPRINT.test(entry)) {
      problems.push(
        `${several ? `PVE_FINGERPRINT entry ${i + 1}` : 'PVE_FINGERPRINT'} must be a SHA-256 fingerprint, 32 hex pairs separated by colons`,
      );
    } else if (!out.includes(entry.toUpperCase())) out.push(entry.toUpperCase());
  });
  return out.length > 0 ? out : undefined;
}

/** What the Proxmox client needs from the config, with the CA file read and checked. */
export interface PveClientSettings {
  readonly baseUrl: readonly string[];
  readonly token: string;
  readonly fingerprint?: readonly string[];
  readonly caPem?: string;
}

/**
 * The client settings of the worker and the API (one place): reads PVE_CA_FILE, so a missing or
 * malformed file stops start-up with the variable's name rather than an ENOENT.
 */
export function pveClientSettings(
  pve: PveSettings,
  read = (file: string) => readFileSync(file, 'utf8'),
): PveClientSettings {
  let caPem: string | undefined;
  if (pve.caFile !== undefined) {
    try {
      caPem = read(pve.caFile);
    } catch (err) {
      throw new ConfigError([
        `PVE_CA_FILE: cannot read ${pve.caFile} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      ]);
    }
    try {
      new X509Certificate(caPem);
    } catch {
      throw new ConfigError([`PVE_CA_FILE: ${pve.caFile} is not a PEM certificate`]);
    }
  }
  return {
    baseUrl: pve.urls.length > 0 ? pve.urls : [pve.url],
    token: pve.token,
    ...(pve.fingerprints ? { fingerprint: pve.fingerprints } : {}),
    ...(caPem === undefined ? {} : { caPem }),
  };
}

/** A copy safe to log: secrets replaced by their length. */
export function redactConfig(config: JarvisConfig): Record<string, unknown> {
  const hide = (s: string | undefined): string | undefined => (s === undefined ? undefined : `<${s.length} chars>`);
  return {
    ...config,
    pve: {
      ...config.pve,
      token: hide(config.pve.token.split('=')[1]) ? `${config.pve.token.split('=')[0]}=<redacted>` : '',
    },
    databaseUrl: config.databaseUrl.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:<redacted>@'),
    operators: config.operators.map((o) => ({ username: o.username, password: '<redacted>' })),
    jwtSecret: hide(config.jwtSecret),
    anthropic: config.anthropic ? { ...config.anthropic, apiKey: '<redacted>' } : undefined,
    chat: { ...config.chat, overridePasskey: config.chat.overridePasskey ? '<redacted>' : undefined },
  };
}
