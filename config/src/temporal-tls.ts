import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * TLS (and mTLS) from Jarvis to the Temporal frontend. The variables have the names the
 * `temporal` CLI reads, so one env file serves Jarvis and the admin tools alike:
 *
 * - `TEMPORAL_TLS_CERT`, `TEMPORAL_TLS_KEY`: Jarvis's client certificate and key (PEM files), both
 *   or neither; with them Temporal can require client certificates (`requireClientAuth`).
 * - `TEMPORAL_TLS_CA`: the CA that signed Temporal's server certificate (PEM file); unset, the
 *   system's roots are trusted.
 * - `TEMPORAL_TLS_SERVER_NAME`: the name to expect in the server certificate when it differs from
 *   the host in `TEMPORAL_ADDRESS`.
 * - `TEMPORAL_TLS=1` turns on TLS with none of the above (a server with a publicly trusted cert).
 *
 * Any of them turns TLS on. The config holds file paths only; `temporalConnectionOptions` reads
 * them when the worker or the API connects, so key material never sits in the config object
 * (which is logged, redacted).
 */
export interface TemporalTlsSettings {
  readonly certFile?: string;
  readonly keyFile?: string;
  readonly caFile?: string;
  readonly serverName?: string;
}

export interface TemporalSettings {
  readonly address: string;
  readonly namespace: string;
  readonly taskQueue: string;
  /** Absent: plaintext gRPC (the demo's dev server on loopback). */
  readonly tls?: TemporalTlsSettings;
}

type Env = Readonly<Record<string, string | undefined>>;

const SERVER_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The TEMPORAL_TLS_* variables, checked for consistency; problems are pushed for ConfigError. */
export function readTemporalTls(env: Env, problems: string[]): TemporalTlsSettings | undefined {
  const get = (name: string): string | undefined => env[name]?.trim() || undefined;
  const certFile = get('TEMPORAL_TLS_CERT');
  const keyFile = get('TEMPORAL_TLS_KEY');
  const caFile = get('TEMPORAL_TLS_CA');
  const serverName = get('TEMPORAL_TLS_SERVER_NAME');
  const flag = get('TEMPORAL_TLS')?.toLowerCase();
  if (flag !== undefined && !['1', 'true', 'yes', 'on', '0', 'false', 'no', 'off'].includes(flag))
    problems.push('TEMPORAL_TLS must be 1/true/yes/on or 0/false/no/off');
  const off = flag !== undefined && ['0', 'false', 'no', 'off'].includes(flag);
  const any = certFile !== undefined || keyFile !== undefined || caFile !== undefined || serverName !== undefined;
  if (off) {
    if (any) problems.push('TEMPORAL_TLS is off but TEMPORAL_TLS_CERT/KEY/CA/SERVER_NAME are set');
    return undefined;
  }
  if (!any && flag === undefined) return undefined;
  if (certFile !== undefined && keyFile === undefined)
    problems.push('TEMPORAL_TLS_CERT is set without TEMPORAL_TLS_KEY (a client certificate needs its key)');
  if (keyFile !== undefined && certFile === undefined)
    problems.push('TEMPORAL_TLS_KEY is set without TEMPORAL_TLS_CERT (a client key needs its certificate)');
  if (serverName !== undefined && !SERVER_NAME.test(serverName))
    problems.push('TEMPORAL_TLS_SERVER_NAME must be a DNS name');
  return {
    ...(certFile ? { certFile } : {}),
    ...(keyFile ? { keyFile } : {}),
    ...(caFile ? { caFile } : {}),
    ...(serverName ? { serverName } : {}),
  };
}

/** The `tls` option of `Connection.connect` / `NativeConnection.connect` (structurally the SDK's TLSConfig). */
export interface TemporalTlsOption {
  serverNameOverride?: string;
  serverRootCACertificate?: Buffer;
  clientCertPair?: { crt: Buffer; key: Buffer };
}

export interface TemporalConnectionOptions {
  address: string;
  tls?: TemporalTlsOption;
}

export class TemporalTlsError extends Error {
  override readonly name = 'TemporalTlsError';
}

/**
 * What the worker's and the API's Temporal connections are opened with: the address and, when
 * configured, the TLS material read from disk. Checked here so a wrong file stops start-up with a
 * message naming it rather than as an opaque handshake failure: each file must be readable PEM,
 * the key must be a private key, and the certificate must be the key's.
 */
export function temporalConnectionOptions(temporal: TemporalSettings): TemporalConnectionOptions {
  const tls = temporal.tls;
  if (!tls) return { address: temporal.address };
  const read = (name: string, file: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (err) {
      throw new TemporalTlsError(`${name}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const option: TemporalTlsOption = {};
  if (tls.certFile && tls.keyFile) {
    const crt = read('TEMPORAL_TLS_CERT', tls.certFile);
    const key = read('TEMPORAL_TLS_KEY', tls.keyFile);
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(crt);
    } catch {
      throw new TemporalTlsError(`TEMPORAL_TLS_CERT: ${tls.certFile} is not a PEM certificate`);
    }
    let privateKey;
    try {
      privateKey = createPrivateKey(key);
    } catch {
      throw new TemporalTlsError(`TEMPORAL_TLS_KEY: ${tls.keyFile} is not a PEM private key`);
    }
    if (!cert.checkPrivateKey(privateKey))
      throw new TemporalTlsError(`TEMPORAL_TLS_KEY: ${tls.keyFile} is not the key of the certificate ${tls.certFile}`);
    if (Date.parse(cert.validTo) < Date.now())
      throw new TemporalTlsError(`TEMPORAL_TLS_CERT: ${tls.certFile} expired on ${cert.validTo}`);
    option.clientCertPair = { crt, key };
  }
  if (tls.caFile) {
    const ca = read('TEMPORAL_TLS_CA', tls.caFile);
    try {
      const caCert = new X509Certificate(ca);
      if (!caCert.ca) throw new TemporalTlsError(`TEMPORAL_TLS_CA: ${tls.caFile} is not a CA certificate`);
    } catch (err) {
      if (err instanceof TemporalTlsError) throw err;
      throw new TemporalTlsError(`TEMPORAL_TLS_CA: ${tls.caFile} is not a PEM certificate`);
    }
    option.serverRootCACertificate = ca;
  }
  if (tls.serverName) option.serverNameOverride = tls.serverName;
  return { address: temporal.address, tls: option };
}
