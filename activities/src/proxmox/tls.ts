import { type TLSSocket } from 'node:tls';
import { buildConnector } from 'undici';

/**
 * How the PVE certificate is trusted. Every PVE cluster has its own self-signed CA, so the two
 * useful modes are "this CA" and "this exact certificate" (the `ssl_fingerprint` shown by /nodes).
 */
export interface TlsTrust {
  /** PEM of the cluster CA (`/etc/pve/pve-root-ca.pem`) or of the node certificate itself. */
  caPem?: string;
  /**
   * SHA-256 of the node certificate; case-insensitive, colons optional. Several endpoints: one
   * per endpoint, and a connection is trusted when its certificate matches any of them.
   */
  fingerprint?: string | readonly string[];
}

export class TlsPinMismatchError extends Error {
  override readonly name = 'TlsPinMismatchError';
  readonly code = 'ERR_TLS_PIN_MISMATCH';
  constructor(
    readonly expected: readonly string[],
    readonly actual: string | undefined,
  ) {
    const wanted =
      expected.length === 1 ? formatFingerprint(expected[0] ?? '') : `one of ${expected.length} pinned fingerprints`;
    super(
      actual
        ? `TLS certificate fingerprint mismatch: expected ${wanted}, got ${formatFingerprint(actual)}`
        : 'TLS certificate fingerprint mismatch: the server presented no certificate',
    );
  }
}

/** Canonical form: 64 upper-case hex digits, no separators. Throws on anything that is not a SHA-256. */
export function normalizeFingerprint(fingerprint: string): string {
  const hex = fingerprint
    .trim()
    .replace(/^sha-?256[:=\s]*/i, '')
    .replace(/[:\s-]/g, '')
    .toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) {
    throw new Error('TLS fingerprint must be a SHA-256 digest: 64 hex digits, colons optional');
  }
  return hex;
}

export function formatFingerprint(hex: string): string {
  return (hex.replace(/:/g, '').toUpperCase().match(/.{2}/g) ?? []).join(':');
}

export interface ConnectorOptions extends TlsTrust {
  connectTimeoutMs: number;
}

type Connector = buildConnector.connector;

/**
 * Errors raised while a connection was being set up (TCP connect, TLS handshake, trust check):
 * no request byte was written on that connection, so the request may go to another endpoint, a
 * POST included. Kept by identity, not by a property on the error (undici hands the same object on).
 */
const connectPhaseErrors = new WeakSet<object>();

/** Whether `err` (or its cause) was raised before the connection carried any request byte. */
export function isConnectPhaseError(err: unknown): boolean {
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    if (connectPhaseErrors.has(current)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/** The pinned digests, canonical and de-duplicated; throws on any that is not a SHA-256. */
export function normalizeFingerprints(fingerprint: string | readonly string[]): string[] {
  const list = typeof fingerprint === 'string' ? fingerprint.split(',') : fingerprint;
  const pins = [
    ...new Set(
      list
        .map((f) => f.trim())
        .filter((f) => f !== '')
        .map(normalizeFingerprint),
    ),
  ];
  if (pins.length === 0) throw new Error('TLS fingerprint list is empty');
  return pins;
}

/**
 * The `connect` option for an undici Agent (one per endpoint).
 *
 * Pinning cannot use `checkServerIdentity`: for a self-signed certificate Node's chain check fails
 * first and the identity callback is never called. So the chain check is switched off *for this
 * connector only* and replaced by an exact comparison with the pinned digests (any one of them
 * matches: one per endpoint of the cluster), done on `secureConnect`, before undici is handed the
 * socket and so before any request byte is written. TLS session resumption is off in pinned mode
 * so every connection presents its certificate.
 *
 * Every error raised here is recorded as a connect-phase error (see {@link isConnectPhaseError}).
 */
export function buildTlsConnect(options: ConnectorOptions): Connector {
  const base = { timeout: options.connectTimeoutMs, keepAlive: true };
  const pins = options.fingerprint === undefined ? undefined : new Set(normalizeFingerprints(options.fingerprint));
  const inner = buildConnector(
    pins === undefined
      ? // CA given: verify the chain and hostname (or IP) against it; neither: the system's trust store.
        options.caPem === undefined
        ? base
        : { ...base, ca: options.caPem, rejectUnauthorized: true }
      : {
          ...base,
          maxCachedSessions: 0,
          // With a CA as well, both must hold: the chain verifies and the certificate is a pinned one.
          ...(options.caPem === undefined
            ? { rejectUnauthorized: false }
            : { ca: options.caPem, rejectUnauthorized: true }),
        },
  );

  return (connectOptions, callback) => {
    inner(connectOptions, (err, socket) => {
      if (err !== null) {
        if (typeof err === 'object') connectPhaseErrors.add(err);
        callback(err, null);
        return;
      }
      if (pins !== undefined) {
        const actual = peerFingerprint(socket as TLSSocket);
        if (actual === undefined || !pins.has(actual)) {
          const mismatch = new TlsPinMismatchError([...pins], actual);
          connectPhaseErrors.add(mismatch);
          socket.destroy();
          callback(mismatch, null);
          return;
        }
      }
      callback(null, socket);
    });
  };
}

function peerFingerprint(socket: TLSSocket): string | undefined {
  if (typeof socket.getPeerCertificate !== 'function') return undefined;
  const cert = socket.getPeerCertificate();
  const raw = cert?.fingerprint256;
  return typeof raw === 'string' && raw.length > 0 ? raw.replace(/:/g, '').toUpperCase() : undefined;
}

// Node reports chain and hostname failures with OpenSSL-derived codes; they all mean "not trusted".
const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_PIN_MISMATCH/;

export function isTlsError(err: unknown): boolean {
  // Walks the cause chain without `instanceof Error`: errors raised by Node's TLS layer can come
  // from another realm (jest, vm contexts) where that check is false.
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    if (current instanceof TlsPinMismatchError) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && TLS_CODE.test(code)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
