import { WebSocketGateway } from '@nestjs/websockets';
import { AuthService } from '../auth/auth.service';
import { AuthenticatedGateway } from './authenticated.gateway';

/**
 * /chat: authenticated and joined to the operator's room, nothing more yet. Streaming chat
 * turns (tokens relayed from the turn workflow's NOTIFY events) arrive with the chat issue;
 * the namespace exists now so clients and the handshake security check can rely on it.
 */
@WebSocketGateway({ namespace: '/chat', serveClient: false })
export class ChatGateway extends AuthenticatedGateway {
  constructor(auth: AuthService) {
    super(auth);
  }
}
