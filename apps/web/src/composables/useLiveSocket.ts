import { io, type Socket } from 'socket.io-client';
import { shallowRef } from 'vue';
import {
  type ApprovalView,
  type ArchivedEvent,
  type ClusterDiff,
  type ClusterState,
  type StepEvent,
} from '../lib/api-types';
import { useActivityStore } from '../stores/activity';
import { useApprovalsStore } from '../stores/approvals';
import { useAuthStore } from '../stores/auth';
import { useClusterStore } from '../stores/cluster';
import { useConnectionStore } from '../stores/connection';
import { useGuardrailsStore } from '../stores/guardrails';
import { useTimelineStore } from '../stores/timeline';
import { renewSocketOnRefresh, retryAfterRefresh, socketAuth } from './socket-auth';

/** The /live event maps (apps/api/src/live/live-events.ts). */
interface LiveServerEvents {
  cluster: (state: ClusterState) => void;
  'cluster.diff': (diff: ClusterDiff) => void;
  'cluster.error': (error: { code: string; message: string }) => void;
  approval: (approval: ApprovalView) => void;
  step: (step: StepEvent) => void;
  archived: (event: ArchivedEvent) => void;
}
interface LiveClientEvents {
  'cluster.sync': () => void;
}
type LiveSocket = Socket<LiveServerEvents, LiveClientEvents>;

// The socket is an external object with its own internals: kept out of every store, in a shallowRef.
const socket = shallowRef<LiveSocket | null>(null);
let auditTimer: ReturnType<typeof setTimeout> | undefined;
let resumeTimer: ReturnType<typeof setTimeout> | undefined;
let stopRenewing: (() => void) | undefined;

/** Everything that is not pushed whole on connect, fetched again: events sent while away are lost. */
export async function refetchAll(): Promise<void> {
  await Promise.all([
    useApprovalsStore().load(),
    useActivityStore().loadFeed(),
    useActivityStore().loadAudit(),
    useTimelineStore().refresh(),
    useGuardrailsStore().load(),
  ]);
}

function onVisible(): void {
  if (document.visibilityState === 'visible' && socket.value?.connected) socket.value.emit('cluster.sync');
}

/**
 * The authenticated /live socket: cluster state and diffs into the cluster store, approvals,
 * steps and archive notices into theirs. On every reconnect the full state is fetched again.
 */
export function useLiveSocket() {
  function connect(): void {
    disconnect();
    const cluster = useClusterStore();
    const approvals = useApprovalsStore();
    const activity = useActivityStore();
    const timeline = useTimelineStore();
    const connection = useConnectionStore();
    const auth = useAuthStore();

    const s: LiveSocket = io('/live', {
      auth: socketAuth(),
      transports: ['websocket'],
      reconnectionDelay: 400,
      reconnectionDelayMax: 2500,
      randomizationFactor: 0.3,
      timeout: 5000,
    });
    socket.value = s;
    stopRenewing = renewSocketOnRefresh(s as unknown as Socket);
    connection.setStatus('connecting');
    let everConnected = false;
    let refusals = 0;

    s.on('connect', () => {
      refusals = 0;
      connection.setStatus('live');
      connection.clusterError = null;
      if (everConnected) {
        connection.reconnects++;
        void refetchAll();
      }
      everConnected = true;
    });
    s.on('disconnect', (reason) => {
      connection.setStatus('down', reason);
      // The server closed it (restart, or the token's expiry): socket.io will not retry by itself.
      if (reason === 'io server disconnect') {
        clearTimeout(resumeTimer);
        resumeTimer = setTimeout(() => {
          if (socket.value === s && auth.token) s.connect();
        }, 1000);
      }
    });
    s.on('connect_error', (err) => {
      if (/unauthori[sz]ed/i.test(err.message)) {
        // The token expired or its session ended: the refresh cookie decides which.
        if (refusals++ < 2) retryAfterRefresh(s as unknown as Socket, () => socket.value === s);
        else auth.forget();
        return;
      }
      connection.setStatus('down', err.message);
    });
    s.on('cluster', (state) => {
      cluster.applyFull(state);
      connection.clusterError = null;
    });
    s.on('cluster.diff', (diff) => {
      cluster.applyDiff(diff);
      connection.clusterError = null;
    });
    s.on('cluster.error', (e) => (connection.clusterError = e.message));
    s.on('approval', (view) => approvals.upsert(view));
    s.on('step', (step) => {
      activity.pushStep(step);
      // The kill switch and autonomy levels are audited as steps: another operator's change shows here.
      if (step.workflowId.startsWith('guardrails')) void useGuardrailsStore().load();
      void timeline.onWorkflowEvent(step.workflowId);
    });
    s.on('archived', (e) => {
      void timeline.onWorkflowEvent(e.workflowId);
      // Archives come in bursts when many workflows close; one audit reload covers a burst.
      clearTimeout(auditTimer);
      auditTimer = setTimeout(() => void activity.loadAudit(), 400);
    });
    document.addEventListener('visibilitychange', onVisible);
  }

  function disconnect(): void {
    clearTimeout(resumeTimer);
    clearTimeout(auditTimer);
    document.removeEventListener('visibilitychange', onVisible);
    stopRenewing?.();
    stopRenewing = undefined;
    const s = socket.value;
    socket.value = null;
    if (s) {
      s.removeAllListeners();
      s.disconnect();
    }
    useConnectionStore().setStatus('idle');
  }

  return { socket, connect, disconnect };
}
