import {
  chmodSync,
  closeSync,
  existsSync,
  fchmodSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * The demo's state folder (`.jarvis/`): Temporal's sqlite file (workflow histories, chat text),
 * the generated operator password and JWT secret, the database role's password, SSH keys. Only
 * the user who runs the demo may read any of it: the folder and every folder in it are 0700,
 * every file 0600, and a state left by an older demo (0755/0644) is tightened on start.
 */
export const STATE_DIR_MODE = 0o700;
export const STATE_FILE_MODE = 0o600;

/** Create the state folder (0700) if needed, and tighten whatever an older run left in it. */
export function prepareStateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: STATE_DIR_MODE });
  tightenStateDir(dir);
}

/**
 * Folders to 0700 and files to 0600, all the way down. Symbolic links are left alone (and not
 * followed): chmod would change their target, which may lie outside the state folder.
 */
export function tightenStateDir(dir: string): void {
  const stat = lstatSync(dir);
  if (!stat.isDirectory()) throw new Error(`${dir} is not a folder`);
  if ((stat.mode & 0o777) !== STATE_DIR_MODE) chmodSync(dir, STATE_DIR_MODE);
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    // An entry can vanish between the listing and the chmod (sqlite's -journal, a lock file).
    try {
      if (entry.isDirectory()) tightenStateDir(path);
      else if (entry.isFile() && (lstatSync(path).mode & 0o777) !== STATE_FILE_MODE) chmodSync(path, STATE_FILE_MODE);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
}

/**
 * Write a secret so that it is never readable by anyone else, not even for a moment: the file is
 * opened 0600 (or set to 0600 if it already existed, before anything is written to it).
 */
export function writeSecretFile(path: string, content: string | Buffer): void {
  const fd = openSync(path, 'w', STATE_FILE_MODE);
  try {
    fchmodSync(fd, STATE_FILE_MODE);
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
    let written = 0;
    while (written < data.length) written += writeSync(fd, data, written, data.length - written);
  } finally {
    closeSync(fd);
  }
}

/**
 * The secret kept in `<dir>/<name>`: read it if it is there (and make sure it is 0600), or
 * generate it once and keep it. E.g. `readOrCreateSecret(state, 'signing-key.pem', makeKeyPem)`.
 */
export function readOrCreateSecret(dir: string, name: string, generate: () => string): string {
  if (!name || name.includes('/') || name === '.' || name === '..') throw new Error(`"${name}" is not a file name`);
  const path = join(dir, name);
  if (existsSync(path)) {
    chmodSync(path, STATE_FILE_MODE);
    return readFileSync(path, 'utf8');
  }
  const value = generate();
  writeSecretFile(path, value);
  return value;
}
