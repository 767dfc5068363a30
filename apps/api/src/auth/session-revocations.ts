import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SessionsRepository } from '@jarvis/db';
import { API_CONFIG, type ApiConfig } from '../api-config';

/** How often every API instance reads the revocations other instances wrote. */
export const REVOCATION_POLL_MS = 5_000;
/** Re-read this far back each poll: a revoke whose transaction was still open last time is not lost. */
const POLL_OVERLAP_MS = 30_000;
/** Beyond the access-token lifetime, how long a revoked session ID is remembered (clock skew). */
const REMEMBER_MARGIN_MS = 60_000;

export type RevocationListener = (sessionId: string, operator: string) => void;

/**
 * The revoked sessions, in memory, so every request and handshake checks its token's `sid`
 * with a Map lookup instead of a query. Fed two ways: a revoke in this process is added at once
 * (REST 401 and sockets dropped immediately), and a poll of Postgres every 5 s picks up what
 * another API instance revoked. We poll rather than LISTEN/NOTIFY: a missed notification (a
 * dropped listener connection) would silently leave a revoked token working, a missed poll only
 * delays it to the next one. A session ID is remembered only while one of its access tokens can
 * still be unexpired (the access lifetime plus a margin), so the set stays small.
 */
@Injectable()
export class SessionRevocations implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Sessions');
  /** session ID → when it may be forgotten (ms). */
  private readonly revoked = new Map<string, number>();
  private readonly listeners = new Set<RevocationListener>();
  private cursor?: Date;
  private timer?: NodeJS.Timeout;
  private polling = false;

  constructor(
    private readonly sessions: SessionsRepository,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await this.poll();
    this.timer = setInterval(() => void this.poll(), REVOCATION_POLL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.listeners.clear();
  }

  isRevoked(sessionId: string): boolean {
    const until = this.revoked.get(sessionId);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.revoked.delete(sessionId);
    return false;
  }

  /** Marks a session revoked in this process at once and tells the listeners (the socket gateways). */
  add(sessionId: string, operator: string): void {
    const known = this.isRevoked(sessionId);
    this.revoked.set(sessionId, Date.now() + this.rememberMs());
    if (known) return;
    for (const listener of this.listeners) {
      try {
        listener(sessionId, operator);
      } catch (err) {
        this.logger.warn(`a revocation listener failed: ${(err as Error).message}`);
      }
    }
  }

  onRevoked(listener: RevocationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Reads the revocations since the last poll (public for tests that need it now, not in 5 s). */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const since = this.cursor ?? new Date((await this.sessions.now()).getTime() - this.rememberMs());
      const { sessions, now } = await this.sessions.revokedSince(since);
      for (const s of sessions) this.add(s.id, s.operator);
      this.cursor = new Date(now.getTime() - POLL_OVERLAP_MS);
      for (const [id, until] of this.revoked) if (until <= Date.now()) this.revoked.delete(id);
    } catch (err) {
      // The database being away is reported by health; sessions revoked here still hold in memory.
      this.logger.debug(`revocation poll failed: ${(err as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  private rememberMs(): number {
    return this.config.jwtTtlSeconds * 1000 + REMEMBER_MARGIN_MS + POLL_OVERLAP_MS;
  }
}
