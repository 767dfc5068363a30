import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  freePort,
  prepareStateDir,
  readOrCreateSecret,
  startDevServer,
  writeSecretFile,
  type RunningDevServer,
} from '@jarvis/scripts';

/** The demo's state set-up (.jarvis/), called on its own: no demo runs here. */
const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

describe('the demo state folder', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'jarvis-state-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  test('a new state folder is 0700 and the secrets written into it 0600', () => {
    const state = join(root, 'nested', '.jarvis');
    prepareStateDir(state);
    expect(mode(state)).toBe('700');

    const made = readOrCreateSecret(state, 'db-app-password', () => 'generated-once-0123456789');
    expect(made).toBe('generated-once-0123456789');
    expect(mode(join(state, 'db-app-password'))).toBe('600');
    // Kept: a second call reads the file and does not generate again.
    expect(readOrCreateSecret(state, 'db-app-password', () => 'a different value')).toBe(made);

    writeSecretFile(join(state, 'signing-key.pem'), '-----BEGIN PRIVATE KEY-----\n…\n');
    expect(mode(join(state, 'signing-key.pem'))).toBe('600');
    expect(() => readOrCreateSecret(state, '../escape', () => 'x')).toThrow(/not a file name/);
    expect(existsSync(join(root, 'nested', 'escape'))).toBe(false);
  });

  test('an older state (0755 folder, 0644 files, a 0755 subfolder) is tightened on start', () => {
    const state = join(root, '.jarvis');
    mkdirSync(join(state, 'ssh'), { recursive: true });
    chmodSync(state, 0o755);
    chmodSync(join(state, 'ssh'), 0o755);
    for (const file of ['temporal.db', 'temporal.db-wal', 'secrets.json', join('ssh', 'known_hosts')]) {
      writeFileSync(join(state, file), 'old');
      chmodSync(join(state, file), 0o644);
    }
    // A link out of the state folder is not followed: its target keeps its mode.
    const outside = join(root, 'outside.txt');
    writeFileSync(outside, 'not ours');
    chmodSync(outside, 0o644);
    symlinkSync(outside, join(state, 'link'));

    prepareStateDir(state);

    expect(mode(state)).toBe('700');
    expect(mode(join(state, 'ssh'))).toBe('700');
    for (const file of ['temporal.db', 'temporal.db-wal', 'secrets.json', join('ssh', 'known_hosts')])
      expect([file, mode(join(state, file))]).toEqual([file, '600']);
    expect(mode(outside)).toBe('644');
    expect(readFileSync(join(state, 'secrets.json'), 'utf8')).toBe('old');
  });

  test('writing a secret over a 0644 file makes it 0600 and replaces its content', () => {
    const file = join(root, 'secret');
    writeFileSync(file, 'a much longer old content than the new one');
    chmodSync(file, 0o644);
    writeSecretFile(file, 'new');
    expect(mode(file)).toBe('600');
    expect(readFileSync(file, 'utf8')).toBe('new');
    chmodSync(file, 0o644);
    expect(readOrCreateSecret(root, 'secret', () => 'unused')).toBe('new');
    expect(mode(file)).toBe('600');
  });

  describe('the Temporal dev server started as the demo starts it', () => {
    let server: RunningDevServer | undefined;
    afterEach(async () => {
      await server?.stop();
      server = undefined;
    });

    test('its sqlite files are 0600 (umask 077), whatever the umask of this process', async () => {
      const state = join(root, '.jarvis');
      prepareStateDir(state);
      const dbFile = join(state, 'temporal.db');
      server = await startDevServer({ port: await freePort(), headless: true, umask: 0o077, dbFile });
      const files = ['temporal.db', 'temporal.db-wal', 'temporal.db-shm'].filter((f) => existsSync(join(state, f)));
      expect(files).toContain('temporal.db');
      for (const f of files) expect([f, mode(join(state, f))]).toEqual([f, '600']);
    });
  });
});
