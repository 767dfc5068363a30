import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';

export interface SimCert {
  certPem: string;
  keyPem: string;
  /** SHA-256 of the DER, uppercase hex with colons, as PVE's ssl_fingerprint. */
  fingerprint: string;
}

/** What a node's certificate must name: its cluster IP and name, plus any extra addresses it answers on. */
export interface NodeCertSpec {
  name: string;
  ips: string[];
  dnsNames: string[];
}

/** The cluster CA (`/etc/pve/pve-root-ca.pem`) and each node's certificate (`pve-ssl.pem`), signed by it. */
export interface ClusterCerts {
  ca: SimCert;
  nodes: Map<string, SimCert>;
}

// As PVE: the root CA lives ten years, node certificates two.
const CA_DAYS = 3650;
const NODE_DAYS = 730;
const DAY_MS = 86_400_000;

/** The cluster CA's file name in a certDir, as /etc/pve/pve-root-ca.pem. */
export const CA_FILE = 'pve-root-ca.pem';
const CA_KEY_FILE = 'pve-root-ca.key';
// Before per-node endpoints the one certificate was a self-signed CA kept under these names.
const LEGACY_CERT_FILE = 'cert.pem';
const LEGACY_KEY_FILE = 'key.pem';

function describe(certPem: string, keyPem: string): SimCert {
  return { certPem, keyPem, fingerprint: new X509Certificate(certPem).fingerprint256 };
}

function expiresSoon(x509: X509Certificate): boolean {
  return new Date(x509.validTo).getTime() < Date.now() + 7 * DAY_MS;
}

function keyMatches(x509: X509Certificate, keyPem: string): boolean {
  try {
    return x509.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    return false;
  }
}

function usableCa(certPem: string, keyPem: string): boolean {
  try {
    const x509 = new X509Certificate(certPem);
    return x509.ca && !expiresSoon(x509) && keyMatches(x509, keyPem);
  } catch {
    return false;
  }
}

function usableNodeCert(certPem: string, keyPem: string, ca: X509Certificate, spec: NodeCertSpec): boolean {
  try {
    const x509 = new X509Certificate(certPem);
    return (
      !x509.ca &&
      !expiresSoon(x509) &&
      x509.checkIssued(ca) &&
      x509.verify(ca.publicKey) &&
      keyMatches(x509, keyPem) &&
      spec.ips.every((ip) => x509.checkIP(ip) !== undefined) &&
      [spec.name, ...spec.dnsNames].every((name) => x509.checkHost(name) !== undefined)
    );
  } catch {
    return false;
  }
}

function validity(days: number): { notBeforeDate: Date; notAfterDate: Date } {
  const now = Date.now();
  return { notBeforeDate: new Date(now - 60_000), notAfterDate: new Date(now + days * DAY_MS) };
}

async function createCa(): Promise<SimCert> {
  const pems = await generate(
    [
      { name: 'commonName', value: 'Proxmox Virtual Environment' },
      { name: 'organizationName', value: 'PVE Cluster Manager CA' },
      { shortName: 'OU', value: 'PVE Cluster Node' },
    ],
    {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      ...validity(CA_DAYS),
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
    },
  );
  return describe(pems.cert, pems.private);
}

async function createNodeCert(ca: SimCert, spec: NodeCertSpec): Promise<SimCert> {
  const pems = await generate(
    [
      { name: 'commonName', value: spec.name },
      { name: 'organizationName', value: 'PVE Cluster Node' },
      { shortName: 'OU', value: 'PVE Cluster Node' },
    ],
    {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      ...validity(NODE_DAYS),
      ca: { cert: ca.certPem, key: ca.keyPem },
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        { name: 'extKeyUsage', serverAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            ...spec.ips.map((ip) => ({ type: 7 as const, ip })),
            ...[spec.name, ...spec.dnsNames].map((value) => ({ type: 2 as const, value })),
          ],
        },
      ],
    },
  );
  return describe(pems.cert, pems.private);
}

async function readPair(certPath: string, keyPath: string): Promise<[string, string] | undefined> {
  try {
    return await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  } catch {
    return undefined;
  }
}

async function writePair(dir: string, certFile: string, keyFile: string, cert: SimCert): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, keyFile), cert.keyPem, { mode: 0o600 });
  await writeFile(join(dir, certFile), cert.certPem, { mode: 0o644 });
}

/** The kept CA; a directory from before per-node endpoints has its self-signed CA adopted, so a CA file pointing at it still trusts. */
async function loadOrCreateCa(certDir: string): Promise<{ ca: SimCert; fresh: boolean }> {
  const current = await readPair(join(certDir, CA_FILE), join(certDir, CA_KEY_FILE));
  if (current && usableCa(...current)) return { ca: describe(...current), fresh: false };
  const legacy = current ? undefined : await readPair(join(certDir, LEGACY_CERT_FILE), join(certDir, LEGACY_KEY_FILE));
  const ca = legacy && usableCa(...legacy) ? describe(...legacy) : await createCa();
  await writePair(certDir, CA_FILE, CA_KEY_FILE, ca);
  return { ca, fresh: true };
}

/**
 * The cluster CA and one certificate per node. With a certDir they are kept there
 * (`pve-root-ca.pem`/`.key`, `nodes/<node>/pve-ssl.pem`/`.key`, as under /etc/pve) and reused across
 * restarts, so pinned fingerprints and a CA file keep working; a node certificate that no longer
 * names the node's addresses, or was not signed by the kept CA, is replaced.
 */
export async function loadOrCreateClusterCerts(
  certDir: string | undefined,
  specs: readonly NodeCertSpec[],
): Promise<ClusterCerts> {
  if (certDir === undefined) {
    const ca = await createCa();
    const made = await Promise.all(specs.map((spec) => createNodeCert(ca, spec)));
    return { ca, nodes: new Map(specs.map((spec, i) => [spec.name, made[i] as SimCert])) };
  }
  const { ca, fresh } = await loadOrCreateCa(certDir);
  const caX509 = new X509Certificate(ca.certPem);
  const nodes = new Map<string, SimCert>();
  for (const spec of specs) {
    const dir = join(certDir, 'nodes', spec.name);
    const kept = fresh ? undefined : await readPair(join(dir, 'pve-ssl.pem'), join(dir, 'pve-ssl.key'));
    if (kept && usableNodeCert(...kept, caX509, spec)) {
      nodes.set(spec.name, describe(...kept));
      continue;
    }
    const cert = await createNodeCert(ca, spec);
    await writePair(dir, 'pve-ssl.pem', 'pve-ssl.key', cert);
    nodes.set(spec.name, cert);
  }
  return { ca, nodes };
}
