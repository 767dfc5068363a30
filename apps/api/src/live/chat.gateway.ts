import { type OnApplicationShutdown } from '@nestjs/common';
import { ConnectedSocket, MessageBody, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { type Subscription } from 'rxjs';
import { type Namespace, type Socket } from 'socket.io';
import { ChatRepository } from '@jarvis/db';
import { isEntityId } from '@jarvis/policies';
import { AuthService } from '../auth/auth.service';
import { ChatEventsListener, type ChatChannelEvent } from '../chat/chat-events.listener';
import { AuthenticatedGateway } from './authenticated.gateway';

/** socket.io events of /chat, server → client: `chat.<type>` with the channel event as its payload. */
export interface ChatServerEvents {
  'chat.delta': (e: ChatChannelEvent) => void;
  'chat.reset': (e: ChatChannelEvent) => void;
  'chat.card': (e: ChatChannelEvent) => void;
  'chat.stage': (e: ChatChannelEvent) => void;
  'chat.message': (e: ChatChannelEvent) => void;
  'chat.cost': (e: ChatChannelEvent) => void;
}

export const sessionRoom = (sessionId: string): string => `chat:${sessionId}`;

/**
 * /chat: authenticated at the handshake; a client joins a session's room with `chat.join`
 * and receives that session's stream (deltas, resets, cards, replies, cost) as the turn
 * workflow's activities NOTIFY it. Cost updates also go to everyone, for the cost panel.
 */
@WebSocketGateway({ namespace: '/chat', serveClient: false })
export class ChatGateway extends AuthenticatedGateway implements OnApplicationShutdown {
  private subscription?: Subscription;

  constructor(
    auth: AuthService,
    private readonly listener: ChatEventsListener,
    private readonly chat: ChatRepository,
  ) {
    super(auth);
  }

  override afterInit(namespace: Namespace): void {
    super.afterInit(namespace);
    this.subscription = this.listener.events.subscribe((event) => this.relay(event));
  }

  @SubscribeMessage('chat.join')
  async join(
    @ConnectedSocket() socket: Socket,
    @MessageBody() body: unknown,
  ): Promise<{ ok: boolean; error?: string }> {
    const sessionId = (body as { sessionId?: unknown } | null)?.sessionId;
    if (!isEntityId(sessionId) || !(await this.chat.sessionExists(sessionId)))
      return { ok: false, error: 'no such session' };
    await socket.join(sessionRoom(sessionId));
    return { ok: true };
  }

  @SubscribeMessage('chat.leave')
  async leave(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<{ ok: boolean }> {
    const sessionId = (body as { sessionId?: unknown } | null)?.sessionId;
    if (typeof sessionId === 'string') await socket.leave(sessionRoom(sessionId));
    return { ok: true };
  }

  private relay(event: ChatChannelEvent): void {
    const ns = this.namespace;
    if (!ns) return;
    if (event.type === 'cost') ns.emit('chat.cost', event);
    else ns.to(sessionRoom(event.sessionId)).emit(`chat.${event.type}`, event);
  }

  onApplicationShutdown(): void {
    this.subscription?.unsubscribe();
  }
}
