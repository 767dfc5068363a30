/**
 * The /terminal socket's protocol (apps/api/src/live/terminal.gateway.ts) and the pure pieces of
 * the terminal panel: the theme built from the colourway's custom properties, size bounds and the
 * operator-facing text of an error. No xterm import here, so it is tested without a browser.
 */

export type TerminalErrorCode =
  'BAD_INPUT' | 'LIMIT' | 'UNAVAILABLE' | 'NOT_FOUND' | 'STEP_UP_REQUIRED' | 'TICKET_REFUSED' | string;

export interface TerminalReady {
  /** False when the API has no SSH configured. */
  readonly available: boolean;
  /** The node names the API can open a shell on. */
  readonly nodes: readonly string[];
  readonly idleTimeoutMs: number;
  readonly maxSessions: number;
  /** Nodes whose terminal also needs the node's name typed (Jarvis's own node). */
  readonly confirmNodes?: readonly string[];
  /** Set on a socket opened with a ticket (a popped-out window): the node it may open. */
  readonly ticketNode?: string;
}

/** POST /api/terminal/tickets. */
export interface TerminalTicketRequest {
  readonly node: string;
  readonly password?: string;
  readonly confirmNode?: string;
}
export interface TerminalTicket {
  readonly ticket: string;
  readonly expiresAt: string;
  readonly node: string;
}

export interface TerminalServerEvents {
  'terminal.ready': (ready: TerminalReady) => void;
  'terminal.opened': (e: { id: string; node: string; ref?: string }) => void;
  'terminal.output': (e: { id: string; data: string }) => void;
  'terminal.exit': (e: { id: string; code?: number; reason?: string }) => void;
  'terminal.error': (e: { code: TerminalErrorCode; message: string; id?: string; ref?: string }) => void;
}

export interface TerminalClientEvents {
  'terminal.open': (p: { node: string; cols: number; rows: number; ref?: string; ticket: string }) => void;
  'terminal.input': (p: { id: string; data: string }) => void;
  'terminal.resize': (p: { id: string; cols: number; rows: number }) => void;
  'terminal.close': (p: { id: string }) => void;
}

/** The server's bounds (the gateway refuses anything outside them). */
export const TERMINAL_LIMITS = { minCols: 2, maxCols: 500, minRows: 1, maxRows: 200 } as const;

/** A proposed size clamped to the server's bounds; undefined when there is nothing to measure (hidden panel). */
export function clampTerminalSize(
  cols: number | undefined,
  rows: number | undefined,
): { cols: number; rows: number } | undefined {
  if (cols === undefined || rows === undefined || !Number.isFinite(cols) || !Number.isFinite(rows)) return undefined;
  if (cols < 1 || rows < 1) return undefined;
  const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, Math.floor(v)));
  return {
    cols: clamp(cols, TERMINAL_LIMITS.minCols, TERMINAL_LIMITS.maxCols),
    rows: clamp(rows, TERMINAL_LIMITS.minRows, TERMINAL_LIMITS.maxRows),
  };
}

/** The subset of xterm's ITheme the panel sets. */
export interface TerminalTheme {
  background: string;
  foreground: string;
  cursor: string;
  cursorAccent: string;
  selectionBackground: string;
  selectionForeground: string;
  red: string;
  green: string;
  yellow: string;
  brightRed: string;
  brightGreen: string;
  brightYellow: string;
  blue: string;
  brightBlue: string;
  magenta: string;
  brightMagenta: string;
  cyan: string;
  brightCyan: string;
  white: string;
  brightWhite: string;
  black: string;
  brightBlack: string;
}

/**
 * The terminal's colours from the colourway's custom properties, so it follows the dashboard's
 * theme; `read` returns a property's value (getComputedStyle in the browser). The ANSI hues the
 * colourway has no token for keep xterm-like values, readable on every dark background here.
 */
export function terminalTheme(read: (name: string) => string): TerminalTheme {
  const v = (name: string, fallback: string): string => read(name).trim() || fallback;
  const text = v('--text', '#e6e6e6');
  const accent = v('--accent', '#ffb000');
  const ok = v('--ok', '#8ee59b');
  const warn = v('--warn', '#ffd34d');
  const crit = v('--crit', '#ff7b6e');
  return {
    background: v('--bg', '#000000'),
    foreground: text,
    cursor: accent,
    cursorAccent: v('--on-accent', '#000000'),
    selectionBackground: accent,
    selectionForeground: v('--on-accent', '#000000'),
    red: crit,
    brightRed: crit,
    green: ok,
    brightGreen: ok,
    yellow: warn,
    brightYellow: warn,
    blue: '#6fa8ff',
    brightBlue: '#9cc3ff',
    magenta: '#e08cff',
    brightMagenta: '#efb5ff',
    cyan: '#5fe0e6',
    brightCyan: '#9ff0f3',
    white: text,
    brightWhite: '#ffffff',
    black: '#2a2a2a',
    brightBlack: v('--muted', '#9a9a9a'),
  };
}

/** What the panel says when the server refuses or ends a session. */
export function describeTerminalError(code: string, message: string): string {
  switch (code) {
    case 'UNAVAILABLE':
      return `Terminal unavailable: ${message}`;
    case 'LIMIT':
      return `Too many open terminals: ${message}`;
    case 'BAD_INPUT':
      return `Refused: ${message}`;
    case 'STEP_UP_REQUIRED':
    case 'TICKET_REFUSED':
      return `Confirm again to open: ${message}`;
    default:
      return `${code}: ${message}`;
  }
}

export function describeTerminalExit(e: { code?: number; reason?: string }): string {
  if (e.reason === 'idle') return 'Session closed after being idle.';
  if (e.reason === 'shutdown') return 'Session closed: the server is shutting down.';
  if (e.code !== undefined) return `Session ended (exit ${e.code}).`;
  return 'Session ended.';
}

/** What the step-up asks of the operator before a terminal opens. */
export interface StepUpNeed {
  readonly password: boolean;
  readonly nodeName: boolean;
}

/**
 * The confirmation a refused ticket request calls for, added to what was already asked; undefined
 * when the refusal is not about step-up (then it is shown as an error).
 */
export function stepUpNeed(code: string, before: StepUpNeed | null): StepUpNeed | undefined {
  const was = before ?? { password: false, nodeName: false };
  switch (code) {
    case 'STEP_UP_REQUIRED':
    case 'STEP_UP_FAILED':
      return { ...was, password: true };
    case 'NODE_CONFIRMATION_REQUIRED':
      return { ...was, nodeName: true };
    case 'RATE_LIMITED':
      return was;
    default:
      return undefined;
  }
}

const POPOUT_HASH = /^#terminal=([A-Za-z0-9][A-Za-z0-9.-]{0,62})&ticket=([A-Za-z0-9_-]{16,128})$/;

/** The fragment of a popped-out terminal's address: the node and its single-use ticket, never a token. */
export function popoutHash(node: string, ticket: string): string {
  return `#terminal=${node}&ticket=${ticket}`;
}

export function parsePopoutHash(hash: string): { node: string; ticket: string } | undefined {
  const m = POPOUT_HASH.exec(hash);
  return m ? { node: m[1]!, ticket: m[2]! } : undefined;
}

/** An asciicast v2 recording, parsed for the replay player. */
export interface Cast {
  readonly width: number;
  readonly height: number;
  readonly timestamp?: number;
  /** Output and resizes in time order; input and markers are left out (the screen shows the echo). */
  readonly events: ReadonlyArray<{ readonly t: number; readonly kind: 'o' | 'r'; readonly data: string }>;
  readonly truncated: boolean;
}

export function parseCast(text: string): Cast | undefined {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(lines[0] ?? '') as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (header['version'] !== 2 || typeof header['width'] !== 'number' || typeof header['height'] !== 'number')
    return undefined;
  const events: Array<{ t: number; kind: 'o' | 'r'; data: string }> = [];
  let truncated = false;
  for (const line of lines.slice(1)) {
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    if (!Array.isArray(e) || typeof e[0] !== 'number' || typeof e[2] !== 'string') continue;
    if (e[1] === 'o' || e[1] === 'r') events.push({ t: e[0], kind: e[1], data: e[2] });
    else if (e[1] === 'm' && /truncated/.test(e[2])) truncated = true;
  }
  return {
    width: header['width'],
    height: header['height'],
    ...(typeof header['timestamp'] === 'number' ? { timestamp: header['timestamp'] } : {}),
    events,
    truncated,
  };
}

/** A replay's wait before each event: real pauses, but none longer than `maxGapS` (idle time is skipped). */
export function replayDelays(times: readonly number[], maxGapS = 1): number[] {
  let last = 0;
  return times.map((t) => {
    const gap = Math.min(Math.max(0, t - last), maxGapS);
    last = t;
    return Math.round(gap * 1000);
  });
}

/** `COLSxROWS` of a resize event. */
export function parseResize(data: string): { cols: number; rows: number } | undefined {
  const m = /^(\d{1,4})x(\d{1,4})$/.exec(data);
  return m ? clampTerminalSize(Number(m[1]), Number(m[2])) : undefined;
}
