import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface SimCert {
  certPem: string;
  keyPem: string;
  /** SHA-256 of the DER, uppercase hex with colons, as PVE's ssl_fingerprint. */
  fingerprint: string;
}

const VALID_DAYS = 730;

function describe(certPem: string, keyPem: string): SimCert {
  return { certPem, keyPem, fingerprint: new X509Certificate(certPem).fingerprint256 };
}

function usable(certPem: string): boolean {
  try {
    const x509 = new X509Certificate(certPem);
    const expiresSoon = new Date(x509.validTo).getTime() < Date.now() + 7 * 86_400_000;
    return !expiresSoon && x509.checkIP('127.0.0.1') !== undefined && x509.checkHost('localhost') !== undefined;
  } catch {
    return false;
  }
}

async function create(): Promise<SimCert> {
  const now = new Date();
  // CA:TRUE so the same PEM works as the trust anchor clients pin, like a node's pve-root-ca.pem.
  const pems = await generate(
    [
      { name: 'commonName', value: '127.0.0.1' },
      { name: 'organizationName', value: 'PVE Cluster Node' },
      { shortName: 'OU', value: 'PVE Cluster Node' },
    ],
    {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: new Date(now.getTime() - 60_000),
      notAfterDate: new Date(now.getTime() + VALID_DAYS * 86_400_000),
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 7, ip: '127.0.0.1' },
            { type: 2, value: 'localhost' },
          ],
        },
      ],
    },
  );
  return describe(pems.cert, pems.private);
}

/** With a certDir the pair is reused across restarts, so a pinned fingerprint keeps working. */
export async function loadOrCreateCert(certDir: string | undefined): Promise<SimCert> {
  if (certDir === undefined) return create();
  const certPath = join(certDir, 'cert.pem');
  const keyPath = join(certDir, 'key.pem');
  try {
    const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    if (usable(certPem)) return describe(certPem, keyPem);
  } catch {
    // Missing or unreadable: make a new pair below.
  }
  const cert = await create();
  await mkdir(certDir, { recursive: true });
  await writeFile(keyPath, cert.keyPem, { mode: 0o600 });
  await writeFile(certPath, cert.certPem, { mode: 0o644 });
  return cert;
}
