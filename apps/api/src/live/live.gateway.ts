import { type OnApplicationShutdown } from '@nestjs/common';
import { ConnectedSocket, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { type Subscription } from 'rxjs';
import { type Namespace, type Socket } from 'socket.io';
import { ClusterSnapshot, isProxmoxError, type ClusterState } from '@jarvis/activities';
import { ApprovalsRepository, type JarvisEvent } from '@jarvis/db';
import { feedSourceOf } from '../audit/feed-source';
import { AuthService } from '../auth/auth.service';
import { GuestDesiredStates } from '../cluster/guest-desired-states.service';
import { NodeTemperatures } from '../cluster/node-temperatures.service';
import { AuthenticatedGateway } from './authenticated.gateway';
import { diffCluster } from './cluster-diff';
import { EventsListener } from './events.listener';
import { type LiveClientEvents, type LiveServerEvents } from './live-events';

type LiveNamespace = Namespace<LiveClientEvents, LiveServerEvents>;
type LiveSocket = Socket<LiveClientEvents, LiveServerEvents>;

/** The snapshot's own TTL: polling faster would only re-read the cache. */
const POLL_MS = 2000;
/** Every this many polls everyone gets the full state again, healing any diff a client missed. */
const FULL_EVERY = 15;

const errorInfo = (err: unknown): { code: string; message: string } =>
  isProxmoxError(err)
    ? { code: err.code, message: err.message }
    : { code: 'UNAVAILABLE', message: 'the cluster could not be read' };

/**
 * /live: cluster changes, approvals, workflow steps and archive notices for the dashboard.
 * The cluster is polled from the shared snapshot only while someone is connected, and only
 * changes go out; approvals and steps come from Postgres NOTIFY, relayed as they arrive.
 */
@WebSocketGateway({ namespace: '/live', serveClient: false })
export class LiveGateway extends AuthenticatedGateway implements OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private subscription?: Subscription;
  private last?: ClusterState;
  private lastError?: string;
  private pollsSinceFull = 0;
  private polling = false;

  constructor(
    auth: AuthService,
    private readonly snapshot: ClusterSnapshot,
    private readonly listener: EventsListener,
    private readonly approvals: ApprovalsRepository,
    private readonly temperatures: NodeTemperatures,
    private readonly desired: GuestDesiredStates,
  ) {
    super(auth);
  }

  private get live(): LiveNamespace | undefined {
    return this.namespace as LiveNamespace | undefined;
  }

  override afterInit(namespace: Namespace): void {
    super.afterInit(namespace);
    this.subscription = this.listener.events.subscribe((event) => void this.relay(event));
    this.timer = setInterval(() => void this.poll(), POLL_MS);
    this.timer.unref();
  }

  override handleConnection(socket: Socket): void {
    super.handleConnection(socket);
    void this.sendFull(socket as LiveSocket);
  }

  /** A client that suspects it missed a diff (e.g. after a background tab) asks for the full state. */
  @SubscribeMessage('cluster.sync')
  sync(@ConnectedSocket() socket: Socket): void {
    void this.sendFull(socket as LiveSocket);
  }

  private async sendFull(socket: LiveSocket): Promise<void> {
    try {
      socket.emit('cluster', await this.state());
    } catch (err) {
      socket.emit('cluster.error', errorInfo(err));
    }
  }

  /** The cluster as GET /api/cluster serves it: the snapshot with the nodes' temperatures and desired states. */
  private async state(): Promise<ClusterState> {
    return this.desired.apply(this.temperatures.apply(await this.snapshot.get()));
  }

  private async poll(): Promise<void> {
    const live = this.live;
    if (this.polling || !live || live.sockets.size === 0) return;
    this.polling = true;
    try {
      const state = await this.state();
      this.lastError = undefined;
      if (!this.last || ++this.pollsSinceFull >= FULL_EVERY) {
        live.emit('cluster', state);
        this.pollsSinceFull = 0;
      } else {
        const diff = diffCluster(this.last, state);
        if (diff) live.emit('cluster.diff', diff);
      }
      this.last = state;
    } catch (err) {
      const info = errorInfo(err);
      if (this.lastError !== info.message) live.emit('cluster.error', info);
      this.lastError = info.message;
      this.last = undefined; // the next good read goes out whole
    } finally {
      this.polling = false;
    }
  }

  private async relay(event: JarvisEvent): Promise<void> {
    const live = this.live;
    if (!live) return;
    switch (event.type) {
      case 'approval': {
        // NOTIFY carries only keys (payloads are capped at 8 kB): re-read the full, current view.
        const view = await this.approvals.get(event.id).catch((err: unknown) => {
          this.logger.warn(`approval ${event.id} could not be re-read: ${(err as Error).message}`);
          return undefined;
        });
        if (view) live.emit('approval', view);
        return;
      }
      case 'step':
        live.emit('step', {
          workflowId: event.workflowId,
          kind: event.kind,
          title: event.title,
          at: event.at,
          source: feedSourceOf(event.workflowId),
        });
        return;
      case 'incident':
        live.emit('incident', { id: event.id, workflowId: event.workflowId, state: event.state });
        return;
      case 'archived':
        live.emit('archived', { workflowId: event.workflowId, outcome: event.outcome });
        return;
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
    this.subscription?.unsubscribe();
  }
}
