import { type ClusterState } from '@jarvis/activities';
import { type ApprovalView } from '@jarvis/db';
import { type AuthUser } from '../common/http.types';
import { type ClusterDiff } from './cluster-diff';

/** The typed socket.io event maps of the /live namespace (server → client and client → server). */
export interface LiveServerEvents {
  /** The full cluster state: on connect, periodically, and in answer to `cluster.sync`. */
  cluster: (state: ClusterState) => void;
  /** What changed since the last emission: nodes by name, guests by vmid, storage by node/storage. */
  'cluster.diff': (diff: ClusterDiff) => void;
  /** The cluster could not be read and there is no last good state to show. */
  'cluster.error': (error: { code: string; message: string }) => void;
  /** An approval changed; the full, current view re-read from Postgres. */
  approval: (approval: ApprovalView) => void;
  /** A workflow recorded a domain step (also what the activity feed shows); `source` as in the feed. */
  step: (step: { workflowId: string; kind: string; title: string; at: string; source: string }) => void;
  /** An incident was detected or changed state; re-read `/api/incidents` for the full view. */
  incident: (event: { id: string; workflowId: string; state: string }) => void;
  /** A closed workflow's history reached the archive. */
  archived: (event: { workflowId: string; outcome: string | null }) => void;
}

export interface LiveClientEvents {
  'cluster.sync': () => void;
}

/** What the handshake middleware attaches to every authenticated socket. */
export interface SocketSession {
  user: AuthUser;
  /** The login session of the handshake's token: ending it disconnects this socket. */
  sessionId: string;
  expiresAtMs: number;
}

/**
 * Client → server on every namespace: `{ token }`, a refreshed access token of the same session,
 * so the socket stays open past the handshake token's expiry. Acknowledged with AuthRenewAck.
 */
export const AUTH_RENEW = 'auth.renew';
export type AuthRenewAck = { ok: true; expiresAt: string } | { ok: false };

/** One room per login session, so logout drops exactly that session's sockets. */
export const sessionRoom = (sessionId: string): string => `session:${sessionId}`;

/** One room per operator, so later features (chat replies, terminal output) can address one person. */
export const userRoom = (username: string): string => `user:${username}`;
