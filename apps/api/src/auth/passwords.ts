import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * scrypt password hashes. The operators' passwords arrive in plain text from the environment;
 * the API hashes them once at boot and keeps only the hashes, so a heap dump or a stray
 * `console.log(service)` cannot show a password.
 */
export interface PasswordHash {
  readonly salt: Buffer;
  readonly hash: Buffer;
}

// OWASP's scrypt floor (N=2^14, r=8, p=1): ~40 ms on the target machine, which also paces guessing.
const PARAMS: ScryptOptions = { N: 2 ** 14, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, PARAMS, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string): Promise<PasswordHash> {
  const salt = randomBytes(16);
  return { salt, hash: await derive(password, salt) };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const candidate = await derive(password, stored.salt);
  return timingSafeEqual(candidate, stored.hash);
}
