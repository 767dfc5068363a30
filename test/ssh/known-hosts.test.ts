import { createHmac, generateKeyPairSync } from 'node:crypto';
import { KnownHosts, keyTypeOf, knownHostName, sshFingerprint } from '@jarvis/activities';
import { utils } from 'ssh2';

/** A fresh ed25519 public key as a known_hosts key field and its wire blob. */
function hostKey(): { line: string; blob: Buffer } {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x ?? '', 'base64url');
  const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  // RFC 8709: string "ssh-ed25519", string key.
  const blob = Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]);
  return { line: `ssh-ed25519 ${blob.toString('base64')}`, blob };
}

function hashed(name: string): string {
  const salt = Buffer.from('0123456789abcdef0123');
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('KnownHosts', () => {
  const a = hostKey();
  const b = hostKey();

  test('names a host as OpenSSH writes it', () => {
    expect(knownHostName('PVE.example', 22)).toBe('pve.example');
    expect(knownHostName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  test.each([
    ['plain host, port 22', `pve ${a.line}`, 'pve', 22],
    ['[host]:port', `[127.0.0.1]:2201 ${a.line} root@pve`, '127.0.0.1', 2201],
    ['comma list', `other,[127.0.0.1]:2202,pve.lan ${a.line}`, 'pve.lan', 22],
    ['wildcard', `*.lan ${a.line}`, 'pve.lan', 22],
    ['hashed name', `${hashed('[127.0.0.1]:2203')} ${a.line}`, '127.0.0.1', 2203],
    ['after comments and junk', `# a comment\n\nnot a line\n[127.0.0.1]:2204 ${a.line}`, '127.0.0.1', 2204],
  ])('%s matches', (_name, text, host, port) => {
    const known = KnownHosts.parse(text);
    expect(known.verify(host, port, a.blob)).toMatchObject({ ok: true, fingerprint: sshFingerprint(a.blob) });
    expect(known.verify(host, port, b.blob)).toMatchObject({ ok: false, code: 'HOST_KEY_MISMATCH' });
    expect(known.algorithmsFor(host, port)).toEqual(['ssh-ed25519']);
  });

  test.each([
    ['another port', `[127.0.0.1]:2201 ${a.line}`, '127.0.0.1', 2202],
    ['the bare host does not cover other ports', `127.0.0.1 ${a.line}`, '127.0.0.1', 2201],
    ['a negated pattern vetoes', `*.lan,!pve.lan ${a.line}`, 'pve.lan', 22],
    ['a hashed name for another host', `${hashed('[127.0.0.1]:9')} ${a.line}`, '127.0.0.1', 2203],
    ['a @cert-authority line is not a host key', `@cert-authority * ${a.line}`, 'pve', 22],
    ['a key whose blob says another type', `pve ssh-rsa ${a.blob.toString('base64')}`, 'pve', 22],
  ])('%s: unknown, with the fingerprint and host:port in the message', (_name, text, host, port) => {
    const check = KnownHosts.parse(text).verify(host, port, a.blob);
    expect(check).toMatchObject({ ok: false, code: 'HOST_KEY_UNKNOWN' });
    if (!check.ok) {
      expect(check.message).toContain(`${host}:${port}`);
      expect(check.message).toContain(sshFingerprint(a.blob));
    }
  });

  test('@revoked wins over a trusted entry', () => {
    const known = KnownHosts.parse(`pve ${a.line}\n@revoked * ${a.line}\npve ${b.line}`);
    expect(known.verify('pve', 22, a.blob)).toMatchObject({ ok: false, code: 'HOST_KEY_MISMATCH' });
    expect(known.verify('pve', 22, b.blob)).toMatchObject({ ok: true });
  });

  test('fingerprints look like ssh-keygen -l and key types are read from the blob', () => {
    expect(sshFingerprint(a.blob)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(keyTypeOf(a.blob)).toBe('ssh-ed25519');
    expect(keyTypeOf(Buffer.from([0, 0, 0]))).toBeUndefined();
  });

  test('an RSA entry offers the RSA signature algorithms', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const parsed = utils.parseKey(rsa.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
    if (parsed instanceof Error || Array.isArray(parsed)) throw new Error('no key');
    const known = KnownHosts.parse(`pve ssh-rsa ${parsed.getPublicSSH().toString('base64')}`);
    expect(known.algorithmsFor('pve', 22)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(known.algorithmsFor('other', 22)).toBeUndefined();
  });
});
