import { Logger } from '@nestjs/common';
import { type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import { type Namespace, type Socket } from 'socket.io';
import { type AuthService } from '../auth/auth.service';
import { AUTH_RENEW, sessionRoom, userRoom, type AuthRenewAck, type SocketSession } from './live-events';

// setTimeout's ceiling; a token living longer than ~24 days is re-checked at that point instead.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** socket.io's middleware signature; spelled out because socket.io does not export its `ExtendedError` name for it. */
export type Middleware = (socket: Socket, next: (err?: Error) => void) => void;

/**
 * The handshake check every namespace shares: a middleware on the namespace (`server.use`), so
 * a missing, forged, expired or revoked `auth.token` is refused before any connection exists and
 * the client sees `connect_error`.
 */
export function socketAuthMiddleware(auth: AuthService): Middleware {
  return (socket, next) => {
    const token: unknown = (socket.handshake.auth as Record<string, unknown> | undefined)?.['token'];
    const session = typeof token === 'string' ? auth.verify(token) : undefined;
    if (!session) {
      next(new Error('unauthorized: a valid token is required in auth.token'));
      return;
    }
    (socket.data as SocketSession).user = session.user;
    (socket.data as SocketSession).sessionId = session.user.sessionId;
    (socket.data as SocketSession).expiresAtMs = session.expiresAtMs;
    next();
  };
}

/**
 * Every namespace (/live, /chat, /terminal) authenticates here. An accepted socket joins its
 * operator's room and its login session's room; ending the session (logout, logout-all, a reused
 * refresh token, on this or another API instance) disconnects that room at once. A socket is
 * also closed when its access token expires, unless the client hands it the refreshed token
 * first (`auth.renew`, same session only), so a long-lived socket never outlives its credentials
 * and a terminal is not cut every 15 minutes.
 */
export abstract class AuthenticatedGateway implements OnGatewayInit, OnGatewayConnection {
  protected readonly logger = new Logger(this.constructor.name);
  protected namespace?: Namespace;

  protected constructor(protected readonly auth: AuthService) {}

  afterInit(namespace: Namespace): void {
    this.namespace = namespace;
    namespace.use(this.handshake());
    this.auth.onSessionEnded((sessionId) => namespace.in(sessionRoom(sessionId)).disconnectSockets(true));
  }

  /** How a handshake is authenticated: by `auth.token` (a namespace may accept more, never less). */
  protected handshake(): Middleware {
    return socketAuthMiddleware(this.auth);
  }

  handleConnection(socket: Socket): void {
    const session = socket.data as SocketSession;
    void socket.join([userRoom(session.user.username), sessionRoom(session.sessionId)]);
    let timer: NodeJS.Timeout | undefined;
    const closeAtExpiry = (): void => {
      clearTimeout(timer);
      timer = setTimeout(
        () => socket.disconnect(true),
        Math.max(0, Math.min(session.expiresAtMs - Date.now(), MAX_TIMER_MS)),
      );
      timer.unref();
    };
    closeAtExpiry();
    socket.on(AUTH_RENEW, (payload: unknown, ack?: unknown) => {
      const reply = typeof ack === 'function' ? (ack as (r: AuthRenewAck) => void) : () => undefined;
      const token = (payload as { token?: unknown } | null)?.token;
      const renewed = typeof token === 'string' ? this.auth.verify(token) : undefined;
      if (!renewed || renewed.user.sessionId !== session.sessionId) {
        reply({ ok: false });
        return;
      }
      session.expiresAtMs = renewed.expiresAtMs;
      closeAtExpiry();
      reply({ ok: true, expiresAt: new Date(renewed.expiresAtMs).toISOString() });
    });
    socket.once('disconnect', () => clearTimeout(timer));
  }
}
