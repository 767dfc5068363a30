import { io, type Socket } from 'socket.io-client';
import { onBeforeUnmount, shallowRef, watch } from 'vue';
import {
  type ChatCardEvent,
  type ChatCostEvent,
  type ChatDeltaEvent,
  type ChatFinalEvent,
  type ChatResetEvent,
} from '../lib/chat-thread';
import { useAuthStore } from '../stores/auth';
import { useChatStore } from '../stores/chat';
import { useCostsStore } from '../stores/costs';
import { renewSocketOnRefresh, retryAfterRefresh, socketAuth } from './socket-auth';

/** The /chat event maps (apps/api/src/live/chat.gateway.ts). */
interface ChatServerEvents {
  'chat.delta': (e: ChatDeltaEvent) => void;
  'chat.reset': (e: ChatResetEvent) => void;
  'chat.card': (e: ChatCardEvent) => void;
  'chat.message': (e: ChatFinalEvent) => void;
  'chat.cost': (e: ChatCostEvent) => void;
  'chat.stage': (e: unknown) => void;
}
interface ChatClientEvents {
  'chat.join': (body: { sessionId: string }, ack: (r: { ok: boolean; error?: string }) => void) => void;
  'chat.leave': (body: { sessionId: string }, ack: (r: { ok: boolean }) => void) => void;
}
export type ChatSocket = Socket<ChatServerEvents, ChatClientEvents>;

/**
 * The authenticated /chat socket for the panel's lifetime: joins the session's room (again on
 * every reconnect, reloading what was missed), feeds the chat and cost stores.
 */
export function useChatSocket() {
  const socket = shallowRef<ChatSocket | null>(null);
  const chat = useChatStore();
  const costs = useCostsStore();
  const auth = useAuthStore();
  let joined: string | null = null;
  let stopRenewing: (() => void) | undefined;

  /** Joins the session's room; resolves once the server has (or after 2 s, the socket being away). */
  function join(id: string | null): Promise<void> {
    const s = socket.value;
    if (!s?.connected || joined === id) return Promise.resolve();
    if (joined) s.emit('chat.leave', { sessionId: joined }, () => undefined);
    joined = id;
    if (!id) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 2000);
      s.emit('chat.join', { sessionId: id }, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  function connect(): void {
    disconnect();
    if (!auth.token) return;
    const s: ChatSocket = io('/chat', {
      auth: socketAuth(),
      transports: ['websocket'],
      reconnectionDelay: 400,
      reconnectionDelayMax: 2500,
      randomizationFactor: 0.3,
      timeout: 5000,
    });
    socket.value = s;
    stopRenewing = renewSocketOnRefresh(s as unknown as Socket);
    let everConnected = false;
    let refusals = 0;
    s.on('connect_error', (err) => {
      if (/unauthori[sz]ed/i.test(err.message) && refusals++ < 2)
        retryAfterRefresh(s as unknown as Socket, () => socket.value === s);
    });
    s.on('connect', () => {
      refusals = 0;
      joined = null;
      void join(chat.sessionId);
      // Events sent while away are lost: what they carried is in the stored session and totals.
      if (everConnected) void Promise.all([chat.loadHistory(), costs.load()]);
      everConnected = true;
    });
    s.on('disconnect', (reason) => {
      if (reason === 'io server disconnect')
        setTimeout(() => {
          if (socket.value === s && auth.token) s.connect();
        }, 1000);
    });
    s.on('chat.delta', (e) => chat.onDelta(e));
    s.on('chat.reset', (e) => chat.onReset(e));
    s.on('chat.card', (e) => chat.onCard(e));
    s.on('chat.message', (e) => chat.onFinal(e));
    s.on('chat.cost', (e) => {
      costs.onCost(e);
      chat.onCost(e);
    });
  }

  function disconnect(): void {
    stopRenewing?.();
    stopRenewing = undefined;
    const s = socket.value;
    socket.value = null;
    joined = null;
    if (s) {
      s.removeAllListeners();
      s.disconnect();
    }
  }

  watch(
    () => chat.sessionId,
    (id) => void join(id),
  );
  onBeforeUnmount(disconnect);

  return { socket, connect, disconnect, join };
}
