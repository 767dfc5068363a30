/**
 * The typed socket.io event maps of the /terminal namespace. A session is one PTY shell on one
 * node, addressed by the `id` the server gives it; it belongs to the socket that opened it.
 */

export type TerminalErrorCode =
  /** The payload is malformed, out of bounds, or names an unknown node. */
  | 'BAD_INPUT'
  /** The operator already has the maximum number of terminals open. */
  | 'LIMIT'
  /** SSH is not configured, or the shell could not be opened and audited. */
  | 'UNAVAILABLE'
  /** No such session on this socket (closed, or never opened here). */
  | 'NOT_FOUND'
  /** The open carried no terminal ticket: ask POST /api/terminal/tickets (step-up) first. */
  | 'STEP_UP_REQUIRED'
  /** The ticket is unknown, used, expired, or for another operator or node. */
  | 'TICKET_REFUSED'
  /** The SSH layer's own codes when a shell fails: UNREACHABLE, HOST_KEY_UNKNOWN, AUTH_FAILED, … */
  | (string & {});

export interface TerminalReady {
  readonly available: boolean;
  readonly nodes: readonly string[];
  readonly idleTimeoutMs: number;
  readonly maxSessions: number;
  /** Nodes whose ticket also needs the node's name typed (Jarvis's own node); empty when switched off. */
  readonly confirmNodes: readonly string[];
  /** Set when this socket was opened with a ticket instead of a token (a popped-out window). */
  readonly ticketNode?: string;
}

export interface TerminalServerEvents {
  /** Sent on connect: whether SSH is configured, on which nodes, and the session rules. */
  'terminal.ready': (ready: TerminalReady) => void;
  /** `ref` echoes the open's own `ref`, so a client can tell which of its requests this answers. */
  'terminal.opened': (e: { id: string; node: string; ref?: string }) => void;
  /** PTY output, decoded as UTF-8 with a streaming decoder (a character split across chunks stays whole). */
  'terminal.output': (e: { id: string; data: string }) => void;
  /** The shell ended: `code` is its exit status when it reported one; `reason` says why we closed it. */
  'terminal.exit': (e: { id: string; code?: number; reason?: TerminalCloseReason }) => void;
  'terminal.error': (e: { code: TerminalErrorCode; message: string; id?: string; ref?: string }) => void;
}

export interface TerminalClientEvents {
  'terminal.open': (p: unknown) => void;
  'terminal.input': (p: unknown) => void;
  'terminal.resize': (p: unknown) => void;
  'terminal.close': (p: unknown) => void;
}

/** Why a session ended, as recorded in the audit row. */
export type TerminalCloseReason = 'exit' | 'closed' | 'disconnect' | 'idle' | 'shutdown' | 'error';
