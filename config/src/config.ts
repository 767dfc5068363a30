/**
 * Jarvis's configuration, validated once at boot into a typed object (CONTRACT.md,
 * "Configuration"). A missing or malformed variable stops start-up with a message naming it.
 */
export interface OperatorAccount {
  readonly username: string;
  /** Plain password from the environment; the API hashes it at boot and drops this copy. */
  readonly password: string;
}

export interface JarvisConfig {
  readonly pve: {
    readonly url: string;
    readonly token: string;
    readonly fingerprint?: string;
    readonly caFile?: string;
  };
  readonly databaseUrl: string;
  readonly temporal: { readonly address: string; readonly namespace: string; readonly taskQueue: string };
  readonly operators: readonly OperatorAccount[];
  readonly jwtSecret: string;
  readonly jwtTtlSeconds: number;
  readonly anthropic?: { readonly apiKey: string; readonly baseUrl?: string };
  readonly localLlm?: { readonly url: string; readonly model?: string };
  readonly smtp?: { readonly url: string; readonly alertEmail?: string };
  readonly apiPort: number;
  readonly webPort: number;
  readonly bindAddress: string;
  /** Raw JSON; parsed and validated by the policies package. */
  readonly protectedJson: unknown;
  readonly approvalTtlMs: number;
  readonly approvalEscalateMs: number;
  readonly webDist?: string;
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

  const pveUrl = url('PVE_URL', true, ['https:']);
  const token = str('PVE_TOKEN', true);
  if (token !== undefined && !PVE_TOKEN.test(token))
    problems.push('PVE_TOKEN must look like USER@REALM!TOKENID=SECRET');
  const fingerprint = str('PVE_FINGERPRINT', false);
  if (fingerprint !== undefined && !FINGERPRINT.test(fingerprint)) {
    problems.push('PVE_FINGERPRINT must be a SHA-256 fingerprint, 32 hex pairs separated by colons');
  }
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
  const smtpUrl = url('SMTP_URL', false, ['smtp:', 'smtps:']);

  const config: JarvisConfig = {
    pve: {
      url: pveUrl ?? '',
      token: token ?? '',
      ...(fingerprint ? { fingerprint } : {}),
      ...(caFile ? { caFile } : {}),
    },
    databaseUrl: url('DATABASE_URL', true, ['postgres:', 'postgresql:']) ?? '',
    temporal: {
      address: str('TEMPORAL_ADDRESS', false) ?? '127.0.0.1:7233',
      namespace: str('TEMPORAL_NAMESPACE', false) ?? 'default',
      taskQueue: str('TEMPORAL_TASK_QUEUE', false) ?? 'jarvis',
    },
    operators,
    jwtSecret: jwtSecret ?? '',
    jwtTtlSeconds: int('JWT_TTL_SECONDS', 8 * 3600, 60, 30 * 24 * 3600),
    ...(anthropicKey
      ? { anthropic: { apiKey: anthropicKey, ...(anthropicBase ? { baseUrl: anthropicBase } : {}) } }
      : {}),
    ...(llmUrl
      ? { localLlm: { url: llmUrl, ...(env['LOCAL_LLM_MODEL'] ? { model: env['LOCAL_LLM_MODEL'] } : {}) } }
      : {}),
    ...(smtpUrl ? { smtp: { url: smtpUrl, ...(env['ALERT_EMAIL'] ? { alertEmail: env['ALERT_EMAIL'] } : {}) } } : {}),
    apiPort: int('API_PORT', 3000, 0, 65535),
    webPort: int('WEB_PORT', 5173, 0, 65535),
    bindAddress: str('BIND_ADDRESS', false) ?? '127.0.0.1',
    protectedJson: json('JARVIS_PROTECTED') ?? { jarvis: { vmid: 103, node: 'agent1' } },
    approvalTtlMs: int('APPROVAL_TTL_MS', 15 * 60_000, 1_000, 7 * 24 * 3600_000),
    approvalEscalateMs: int('APPROVAL_ESCALATE_MS', 5 * 60_000, 500, 7 * 24 * 3600_000),
    ...(env['WEB_DIST'] ? { webDist: env['WEB_DIST'] } : {}),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
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
  };
}
