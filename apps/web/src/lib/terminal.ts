/**
 * The /terminal socket's protocol (apps/api/src/live/terminal.gateway.ts) and the pure pieces of
 * the terminal panel: the theme built from the colourway's custom properties, size bounds and the
 * operator-facing text of an error. No xterm import here, so it is tested without a browser.
 */

export type TerminalErrorCode = 'BAD_INPUT' | 'LIMIT' | 'UNAVAILABLE' | 'NOT_FOUND' | string;

export interface TerminalReady {
  /** False when the API has no SSH configured. */
  readonly available: boolean;
  /** The node names the API can open a shell on. */
  readonly nodes: readonly string[];
  readonly idleTimeoutMs: number;
  readonly maxSessions: number;
}

export interface TerminalServerEvents {
  'terminal.ready': (ready: TerminalReady) => void;
  'terminal.opened': (e: { id: string; node: string; ref?: string }) => void;
  'terminal.output': (e: { id: string; data: string }) => void;
  'terminal.exit': (e: { id: string; code?: number; reason?: string }) => void;
  'terminal.error': (e: { code: TerminalErrorCode; message: string; id?: string; ref?: string }) => void;
}

export interface TerminalClientEvents {
  'terminal.open': (p: { node: string; cols: number; rows: number; ref?: string }) => void;
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
