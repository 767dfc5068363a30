import { Logger } from '@nestjs/common';
import { type OnGatewayConnection, type OnGatewayInit } from '@nestjs/websockets';
import { type Namespace, type Socket } from 'socket.io';
import { type AuthService } from '../auth/auth.service';
import { userRoom, type SocketSession } from './live-events';

// setTimeout's ceiling; a token living longer than ~24 days is re-checked at that point instead.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** socket.io's middleware signature; spelled out because socket.io does not export its `ExtendedError` name for it. */
type Middleware = (socket: Socket, next: (err?: Error) => void) => void;

/**
 * The handshake check every namespace shares: a middleware on the namespace (`server.use`), so
 * a missing, forged or expired `auth.token` is refused before any connection exists and the
 * client sees `connect_error`. Accepted sockets join their operator's room and are closed when
 * their token expires, so a long-lived socket cannot outlive its credentials.
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
    (socket.data as SocketSession).expiresAtMs = session.expiresAtMs;
    next();
  };
}

export abstract class AuthenticatedGateway implements OnGatewayInit, OnGatewayConnection {
  protected readonly logger = new Logger(this.constructor.name);
  protected namespace?: Namespace;

  protected constructor(protected readonly auth: AuthService) {}

  afterInit(namespace: Namespace): void {
    this.namespace = namespace;
    namespace.use(socketAuthMiddleware(this.auth));
  }

  handleConnection(socket: Socket): void {
    const session = socket.data as SocketSession;
    void socket.join(userRoom(session.user.username));
    const timer = setTimeout(
      () => socket.disconnect(true),
      Math.max(0, Math.min(session.expiresAtMs - Date.now(), MAX_TIMER_MS)),
    );
    timer.unref();
    socket.once('disconnect', () => clearTimeout(timer));
  }
}
