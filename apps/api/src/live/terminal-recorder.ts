/**
 * An asciicast v2 recorder for one terminal session (https://docs.asciinema.org/manual/asciicast/v2/):
 * a JSON header line, then `[time, code, data]` event lines with `o` output, `r` resizes, `i` input
 * and one `m` marker when the size cap truncates it. Pure (the clock comes in), so it is tested
 * without a shell; the gateway feeds it and flushes what it `take`s to the audit store.
 *
 * Input is recorded only while the remote terminal echoes it. The ssh PTY modes cannot tell us
 * that: they are what we asked for when the PTY opened, and a remote `stty -echo`, `read -s` or
 * a password prompt changes the line discipline without telling the client. So echo is decided
 * from the observed output, the way session recorders do it: an input chunk is kept only when
 * the output that follows it starts with the same visible characters (escape sequences and
 * control characters aside). Anything else fails closed: output that does not match drops every
 * pending input, input the remote does not echo within ECHO_WAIT_MS is dropped, and control-only
 * keys (Enter, arrows, Ctrl-C) are kept only while the last visible input was seen echoed. A
 * secret typed at a no-echo prompt is therefore never stored; output always is.
 */

export const ECHO_WAIT_MS = 1500;

export interface CastHeader {
  readonly version: 2;
  readonly width: number;
  readonly height: number;
  readonly timestamp: number;
  readonly env: Record<string, string>;
  readonly title?: string;
}

export interface CastChunk {
  /** Complete event lines, each ending in a newline. */
  readonly data: string;
  /**
   * The chunk's output as plain text, for the command search. Echoed input is there as its echo;
   * input keys on their own would break a typed word into one entry per key.
   */
  readonly search: string;
  /** This chunk ends with the truncation marker. */
  readonly truncated: boolean;
}

/* eslint-disable no-control-regex -- matching terminal control characters is the point here */
// CSI, OSC (ended by BEL or ST), and other two-byte escapes; then every other C0 control and DEL.
const ESCAPES =
  /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[P^_][^\x1b]*(?:\x1b\\)?|\x1b[ -/]*[0-~]?/g;
const CONTROLS = /[\x00-\x1f\x7f]/g;
const CONTROLS_BUT_NEWLINE = /[\x00-\x09\x0b-\x1f\x7f]/g;
/* eslint-enable no-control-regex */

/** What a terminal shows of `s` on one line: no escape sequences, no control characters. */
export function visibleText(s: string): string {
  return s.replace(ESCAPES, '').replace(CONTROLS, '');
}

/** Plain text of output for searching: lines kept, escapes and other controls removed. */
export function plainText(s: string): string {
  return s.replace(ESCAPES, '').replace(CONTROLS_BUT_NEWLINE, '');
}

interface PendingInput {
  readonly atMs: number;
  readonly data: string;
  readonly visible: string;
}

export class CastRecorder {
  private lines: string[] = [];
  private search: string[] = [];
  private bufferedBytes = 0;
  private totalBytes: number;
  private lastTime = 0;
  private truncated = false;
  private truncatedInChunk = false;
  private pending: PendingInput[] = [];
  /** Visible output seen since the oldest pending input, not yet matched to it. */
  private seen = '';
  /** Whether the last visible input was seen echoed; starts false, so nothing is assumed. */
  private echoing = false;

  readonly headerLine: string;

  constructor(
    private readonly opts: {
      readonly startedAtMs: number;
      readonly cols: number;
      readonly rows: number;
      readonly maxBytes: number;
      readonly title?: string;
      readonly term?: string;
    },
  ) {
    const header: CastHeader = {
      version: 2,
      width: opts.cols,
      height: opts.rows,
      timestamp: Math.floor(opts.startedAtMs / 1000),
      env: { TERM: opts.term ?? 'xterm-256color' },
      ...(opts.title !== undefined ? { title: opts.title } : {}),
    };
    this.headerLine = `${JSON.stringify(header)}\n`;
    this.totalBytes = Buffer.byteLength(this.headerLine);
  }

  /** Bytes of the cast so far, header included (flushed or not). */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Bytes waiting for the next `take`. */
  get buffered(): number {
    return this.bufferedBytes;
  }

  output(data: string, nowMs: number): void {
    this.expire(nowMs);
    if (this.pending.length > 0) {
      this.seen += visibleText(data);
      this.settle();
    }
    this.event(nowMs, 'o', data, plainText(data));
  }

  input(data: string, nowMs: number): void {
    this.expire(nowMs);
    const visible = visibleText(data);
    if (visible === '' && this.pending.length === 0) {
      // A control key on its own: kept only while the terminal is known to echo.
      if (this.echoing) this.event(nowMs, 'i', data, '');
      return;
    }
    this.pending.push({ atMs: nowMs, data, visible });
  }

  resize(cols: number, rows: number, nowMs: number): void {
    this.event(nowMs, 'r', `${cols}x${rows}`, '');
  }

  /** Everything recorded since the last take, or undefined when nothing was. */
  take(nowMs?: number): CastChunk | undefined {
    if (nowMs !== undefined) this.expire(nowMs);
    if (this.lines.length === 0) return undefined;
    const chunk: CastChunk = {
      data: this.lines.join(''),
      search: this.search.join(''),
      truncated: this.truncatedInChunk,
    };
    this.lines = [];
    this.search = [];
    this.bufferedBytes = 0;
    this.truncatedInChunk = false;
    return chunk;
  }

  /** The session ended: input never seen echoed is dropped, not guessed at. */
  end(): void {
    this.pending = [];
    this.seen = '';
  }

  private settle(): void {
    while (this.pending.length > 0) {
      const p = this.pending[0]!;
      if (p.visible === '') {
        if (this.echoing) this.event(p.atMs, 'i', p.data, '');
        this.pending.shift();
        continue;
      }
      if (this.seen.startsWith(p.visible)) {
        this.echoing = true;
        // Not searchable text of its own: its echo, just seen, is in the output's.
        this.event(p.atMs, 'i', p.data, '');
        this.seen = this.seen.slice(p.visible.length);
        this.pending.shift();
        continue;
      }
      if (p.visible.startsWith(this.seen)) return; // the echo may still be on its way
      // Output that is not the echo: the terminal is not echoing (a password prompt, `read -s`, a
      // full-screen program). Every input typed before it is dropped, so none can match later
      // output by chance.
      this.echoing = false;
      this.pending = [];
    }
    this.seen = '';
  }

  private expire(nowMs: number): void {
    if (this.pending.length > 0 && nowMs - this.pending[0]!.atMs > ECHO_WAIT_MS) {
      this.echoing = false;
      this.pending = [];
      this.seen = '';
    }
  }

  private event(atMs: number, code: 'o' | 'i' | 'r' | 'm', data: string, search: string): void {
    if (this.truncated) return;
    // Times never go back, so an input decided after some output keeps the cast ordered.
    const t = Math.max(this.lastTime, Math.round(Math.max(0, atMs - this.opts.startedAtMs)) / 1000);
    const line = `${JSON.stringify([t, code, data])}\n`;
    const size = Buffer.byteLength(line);
    // Room is kept for the marker, so a truncated cast still ends with a valid line that says so.
    if (code !== 'm' && this.totalBytes + size > this.opts.maxBytes - 200) {
      this.truncated = false;
      this.event(atMs, 'm', `recording truncated at ${this.totalBytes} bytes (the per-session cap)`, '');
      this.truncated = true;
      this.truncatedInChunk = true;
      return;
    }
    this.lastTime = t;
    this.lines.push(line);
    if (search) this.search.push(search);
    this.bufferedBytes += size;
    this.totalBytes += size;
  }
}
