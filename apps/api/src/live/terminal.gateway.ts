import { WebSocketGateway } from '@nestjs/websockets';
import { AuthService } from '../auth/auth.service';
import { AuthenticatedGateway } from './authenticated.gateway';

/**
 * /terminal: authenticated and joined to the operator's room, nothing more yet. The SSH
 * terminal (xterm.js in the dashboard) arrives with the SSH issue; the handshake check is
 * already in place so the namespace is never open.
 */
@WebSocketGateway({ namespace: '/terminal', serveClient: false })
export class TerminalGateway extends AuthenticatedGateway {
  constructor(auth: AuthService) {
    super(auth);
  }
}
