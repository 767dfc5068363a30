import { randomBytes } from 'node:crypto';

/** A ticket lives this long: enough to open the socket and send the open, no more. */
export const TICKET_TTL_MS = 60_000;
/** Bound on outstanding tickets, so a token holder cannot grow memory without end. */
const MAX_TICKETS = 10_000;

export interface TerminalGrant {
  readonly operator: string;
  readonly node: string;
  readonly expiresAtMs: number;
  /** The expiry of the bearer token that asked for it: a socket opened with the ticket ends then. */
  readonly tokenExpiresAtMs: number;
  /** The login session of that token: ending it (logout, logout-all) drops a socket opened with the ticket. */
  readonly sessionId?: string;
}

export type Redeemed =
  { readonly ok: true; readonly grant: TerminalGrant } | { readonly ok: false; readonly reason: string };

/**
 * Single-use terminal tickets, in memory (one API process, like the login limiter; a restart
 * voids every ticket, which only means asking for a new one). A ticket is 256 random bits bound
 * to one operator and one node, valid for TICKET_TTL_MS, and gone at its first redemption
 * whatever the outcome, so a ticket shown to the wrong socket cannot be tried again.
 */
export class TerminalTickets {
  private readonly live = new Map<string, TerminalGrant>();

  constructor(private readonly now: () => number = Date.now) {}

  issue(
    operator: string,
    node: string,
    tokenExpiresAtMs: number,
    sessionId?: string,
  ): { ticket: string; expiresAtMs: number } {
    this.sweep();
    while (this.live.size >= MAX_TICKETS) {
      const oldest = this.live.keys().next().value;
      if (oldest === undefined) break;
      this.live.delete(oldest);
    }
    const ticket = randomBytes(32).toString('base64url');
    const expiresAtMs = Math.min(this.now() + TICKET_TTL_MS, tokenExpiresAtMs);
    this.live.set(ticket, { operator, node, expiresAtMs, tokenExpiresAtMs, ...(sessionId ? { sessionId } : {}) });
    return { ticket, expiresAtMs };
  }

  /** The grant of a live ticket without using it up (the pop-out window's socket handshake). */
  peek(ticket: string): TerminalGrant | undefined {
    const grant = this.live.get(ticket);
    return grant && grant.expiresAtMs > this.now() ? grant : undefined;
  }

  /** Uses the ticket up; ok only for its own operator and node, before it expires. */
  redeem(ticket: string, operator: string, node: string): Redeemed {
    const grant = this.live.get(ticket);
    this.live.delete(ticket);
    if (!grant) return { ok: false, reason: 'the terminal ticket is unknown or already used' };
    if (grant.expiresAtMs <= this.now()) return { ok: false, reason: 'the terminal ticket expired' };
    if (grant.operator !== operator) return { ok: false, reason: 'the terminal ticket belongs to another operator' };
    if (grant.node !== node) return { ok: false, reason: `the terminal ticket is for ${grant.node}, not ${node}` };
    return { ok: true, grant };
  }

  private sweep(): void {
    const now = this.now();
    for (const [ticket, grant] of this.live) if (grant.expiresAtMs <= now) this.live.delete(ticket);
  }
}
