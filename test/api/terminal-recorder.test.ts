import { CastRecorder, ECHO_WAIT_MS, visibleText } from '../../apps/api/src/live/terminal-recorder';

/**
 * The asciicast recorder on its own: which input it keeps. The rule under test is "input only
 * while the terminal echoes it, and when unsure, not at all"; test/api/terminal.test.ts checks the
 * same against a real shell over real sshd.
 */
const T0 = 1_700_000_000_000;

function recorder(maxBytes = 1024 * 1024): CastRecorder {
  return new CastRecorder({ startedAtMs: T0, cols: 80, rows: 24, maxBytes });
}

type Event = [number, string, string];
const events = (r: CastRecorder, now = T0 + 60_000): Event[] =>
  (r.take(now)?.data ?? '')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Event);
const inputs = (evs: Event[]): string =>
  evs
    .filter(([, c]) => c === 'i')
    .map(([, , d]) => d)
    .join('');

describe('CastRecorder', () => {
  it('writes an asciicast v2 header', () => {
    const r = new CastRecorder({ startedAtMs: T0, cols: 132, rows: 43, maxBytes: 4096, title: 'operator@pve' });
    expect(r.headerLine.endsWith('\n')).toBe(true);
    expect(JSON.parse(r.headerLine)).toEqual({
      version: 2,
      width: 132,
      height: 43,
      timestamp: T0 / 1000,
      env: { TERM: 'xterm-256color' },
      title: 'operator@pve',
    });
  });

  it('keeps keys the terminal echoes, one by one or pasted, and Enter after them', () => {
    const r = recorder();
    let t = T0;
    for (const ch of 'ls') {
      r.input(ch, (t += 50));
      r.output(ch, (t += 5));
    }
    r.input('\r', (t += 50));
    r.output('\r\n\x1b[?2004lfile-a  file-b\r\n', (t += 5));
    r.input('hostname\r', (t += 50));
    r.output('hostname', (t += 3));
    r.output('\r\n\x1b[?2004l\rpve\r\n', t + 3);
    const evs = events(r);
    expect(inputs(evs)).toBe('ls\rhostname\r');
    // Times are seconds from the start and never go back.
    const times = evs.map(([time]) => time);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[0]).toBeCloseTo(0.05, 3);
  });

  it('never keeps what is typed at a no-echo prompt, not even Enter, and decides again afterwards', () => {
    const r = recorder();
    let t = T0;
    r.input('read -s X\r', (t += 10));
    r.output('read -s X\r\n', (t += 5));
    for (const ch of 'hunter2') r.input(ch, (t += 80)); // nothing comes back
    r.input('\r', (t += 80));
    r.output('\x1b[?2004hroot@pve:~# ', (t += 5));
    r.input('echo ok\r', (t += 200));
    r.output('echo ok\r\nok\r\n', t + 5);
    const evs = events(r);
    expect(inputs(evs)).toBe('read -s X\recho ok\r');
    expect(JSON.stringify(evs)).not.toMatch(/h.?u.?n.?t.?e.?r/);
  });

  it('drops input that no output follows in time, and a secret whose first letters the next output happens to share', () => {
    const r = recorder();
    r.input('s3cret', T0 + 10);
    r.input('x', T0 + 10 + ECHO_WAIT_MS + 1); // the first one timed out
    r.output('zzz', T0 + 10 + ECHO_WAIT_MS + 2); // and this is not the echo of the second
    r.input('root', T0 + 5000);
    r.output('ro', T0 + 5001); // a partial match waits…
    r.output('ute added\r\n', T0 + 5002); // …and fails closed
    expect(inputs(events(r))).toBe('');
  });

  it('fails closed at the end of the session: undecided input is not written', () => {
    const r = recorder();
    r.input('pending', T0 + 10);
    r.end();
    expect(inputs(events(r))).toBe('');
  });

  it('records resizes, and stops at the size cap with a marker', () => {
    const r = recorder(4096);
    r.resize(100, 30, T0 + 1);
    for (let i = 0; i < 100; i++) r.output('x'.repeat(100), T0 + 10 + i);
    const chunk = r.take(T0 + 1000)!;
    expect(chunk.truncated).toBe(true);
    const evs = chunk.data
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Event);
    expect(evs[0]).toEqual([0.001, 'r', '100x30']);
    expect(evs.at(-1)).toEqual([expect.any(Number), 'm', expect.stringMatching(/truncated/)]);
    expect(r.bytes).toBeLessThanOrEqual(4096);
    r.output('more', T0 + 2000);
    expect(r.take(T0 + 3000)).toBeUndefined();
  });

  it('reads past escape sequences and control characters', () => {
    expect(visibleText('\x1b[?2004h\x1b]0;root@pve: ~\x07root@pve:~# \x1b[01;32mok\x1b[0m\r\n')).toBe('root@pve:~# ok');
  });
});
