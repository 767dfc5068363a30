import { type Socket } from 'socket.io-client';
import { watch } from 'vue';
import { useAuthStore } from '../stores/auth';

/** The API's answer to `auth.renew` (apps/api/src/live/live-events.ts). */
type AuthRenewAck = { ok: true; expiresAt: string } | { ok: false };

/**
 * The handshake `auth` of every authenticated socket, as a function: socket.io calls it on each
 * (re)connect, so a reconnect always presents the newest access token, never the one it began with.
 */
export function socketAuth(): (cb: (data: { token: string }) => void) => void {
  const auth = useAuthStore();
  return (cb) => cb({ token: auth.token ?? '' });
}

/**
 * Keeps an open socket authorised past its handshake token: each renewed token is handed to the
 * server (`auth.renew`), which would otherwise close the socket when the old one expires. If the
 * server does not take it, the socket reconnects with the new token. Returns the stop function.
 */
export function renewSocketOnRefresh(socket: Socket): () => void {
  const auth = useAuthStore();
  return watch(
    () => auth.token,
    (token) => {
      if (!token || !socket.connected) return;
      socket.timeout(5000).emit('auth.renew', { token }, (err: Error | null, ack?: AuthRenewAck) => {
        if (!err && ack?.ok) return;
        socket.disconnect();
        socket.connect();
      });
    },
  );
}

/**
 * After a handshake refused as unauthorised: one refresh, and a reconnect if it gave a token
 * (a refresh that fails logs the operator out, which closes the socket).
 */
export function retryAfterRefresh(socket: Socket, stillCurrent: () => boolean): void {
  void useAuthStore()
    .refresh()
    .then((token) => {
      if (token && stillCurrent()) socket.connect();
    });
}
