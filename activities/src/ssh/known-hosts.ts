/**
 * OpenSSH known_hosts, read-only: plain, `[host]:port`, comma-separated, wildcard and negated
 * patterns, hashed `|1|salt|hash` names, `@revoked` lines. `@cert-authority` lines are skipped
 * (host certificates are not supported), as are lines that do not parse. There is no
 * trust-on-first-use: a host with no entry is refused.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface KnownHostKey {
  /** e.g. `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`. */
  readonly type: string;
  /** The public key blob in SSH wire format (what the server presents). */
  readonly blob: Buffer;
}

interface Entry extends KnownHostKey {
  readonly revoked: boolean;
  readonly patterns: readonly string[];
}

export type HostKeyCheck =
  | { readonly ok: true; readonly fingerprint: string }
  | {
      readonly ok: false;
      readonly code: 'HOST_KEY_UNKNOWN' | 'HOST_KEY_MISMATCH';
      readonly fingerprint: string;
      readonly message: string;
    };

const KEY_TYPES: ReadonlySet<string> = new Set([
  'ssh-ed25519',
  'ssh-rsa',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
]);

/** The server host key algorithms that present a key of each type. */
const ALGORITHMS_FOR_TYPE: Readonly<Record<string, readonly string[]>> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/** `SHA256:<base64 without padding>`, as `ssh-keygen -l` prints it. */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type named inside an SSH wire-format key blob, or undefined if the blob is malformed. */
export function keyTypeOf(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const length = blob.readUInt32BE(0);
  if (length === 0 || length > 64 || 4 + length > blob.length) return undefined;
  return blob.subarray(4, 4 + length).toString('latin1');
}

/** How OpenSSH writes a host in known_hosts: bare on port 22, `[host]:port` otherwise. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host.toLowerCase() : `[${host.toLowerCase()}]:${port}`;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

function hashedMatches(pattern: string, name: string): boolean {
  const [, magic, salt, hash] = pattern.split('|');
  if (magic !== '1' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** OpenSSH semantics: any negated pattern that matches vetoes the line; otherwise one positive match is needed. */
function patternsMatch(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const raw of patterns) {
    if (raw.startsWith('|')) {
      if (hashedMatches(raw, name)) matched = true;
      continue;
    }
    const negated = raw.startsWith('!');
    const pattern = (negated ? raw.slice(1) : raw).toLowerCase();
    if (!globToRegExp(pattern).test(name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function parseLine(line: string): Entry | undefined {
  const fields = line.trim().split(/\s+/);
  let revoked = false;
  if (fields[0]?.startsWith('@')) {
    if (fields[0] !== '@revoked') return undefined;
    revoked = true;
    fields.shift();
  }
  const [hosts, type, base64] = fields;
  if (hosts === undefined || type === undefined || base64 === undefined || !KEY_TYPES.has(type)) return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return undefined;
  const blob = Buffer.from(base64, 'base64');
  if (keyTypeOf(blob) !== type) return undefined;
  return { revoked, type, blob, patterns: hosts.split(',').filter((p) => p.length > 0) };
}

export class KnownHosts {
  private constructor(
    private readonly entries: readonly Entry[],
    /** Lines that were neither blank, comments nor usable entries. */
    readonly skipped: number,
  ) {}

  static parse(text: string): KnownHosts {
    const entries: Entry[] = [];
    let skipped = 0;
    for (const line of text.split(/\r?\n/)) {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#')) continue;
      const entry = parseLine(trimmed);
      if (entry) entries.push(entry);
      else skipped += 1;
    }
    return new KnownHosts(entries, skipped);
  }

  static load(path: string): KnownHosts {
    return KnownHosts.parse(readFileSync(path, 'utf8'));
  }

  get size(): number {
    return this.entries.length;
  }

  /** The trusted (not revoked) keys for a host. */
  keysFor(host: string, port: number): KnownHostKey[] {
    const name = knownHostName(host, port);
    return this.entries
      .filter((e) => !e.revoked && patternsMatch(e.patterns, name))
      .map(({ type, blob }) => ({ type, blob }));
  }

  /**
   * The host key algorithms to offer, the known key types first and alone, so that a server with
   * several host keys presents the one we can check (what OpenSSH's client does). Undefined when
   * the host is unknown: then the server's preferred key is fetched only to name it in the error.
   */
  algorithmsFor(host: string, port: number): string[] | undefined {
    const types = [...new Set(this.keysFor(host, port).map((k) => k.type))];
    if (types.length === 0) return undefined;
    return types.flatMap((type) => ALGORITHMS_FOR_TYPE[type] ?? []);
  }

  verify(host: string, port: number, presented: Buffer): HostKeyCheck {
    const name = knownHostName(host, port);
    const fingerprint = sshFingerprint(presented);
    const type = keyTypeOf(presented) ?? 'unknown';
    const where = `${host}:${port}`;
    const applicable = this.entries.filter((e) => patternsMatch(e.patterns, name));
    if (applicable.some((e) => e.revoked && e.blob.equals(presented)))
      return {
        ok: false,
        code: 'HOST_KEY_MISMATCH',
        fingerprint,
        message: `host key ${type} ${fingerprint} of ${where} is marked @revoked in known_hosts; refusing to connect`,
      };
    const trusted = applicable.filter((e) => !e.revoked);
    if (trusted.some((e) => e.blob.equals(presented))) return { ok: true, fingerprint };
    if (trusted.length === 0)
      return {
        ok: false,
        code: 'HOST_KEY_UNKNOWN',
        fingerprint,
        message:
          `host ${where} is not in known_hosts (it presented ${type} ${fingerprint}); ` +
          `after checking that fingerprint on the node's console, add its key to the known_hosts file`,
      };
    return {
      ok: false,
      code: 'HOST_KEY_MISMATCH',
      fingerprint,
      message:
        `HOST KEY MISMATCH for ${where}: it presented ${type} ${fingerprint}, which is not the key in known_hosts ` +
        `(${trusted.map((e) => `${e.type} ${sshFingerprint(e.blob)}`).join(', ')}); refusing to connect`,
    };
  }
}
