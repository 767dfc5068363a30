import { type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * The slice of Express's request and response the API uses. @types/express is not installed
 * (the workspace shares one node_modules), so these name exactly what we rely on.
 */
export interface AuthUser {
  readonly username: string;
  /** The login session the bearer token belongs to (absent for non-session credentials). */
  readonly sessionId?: string;
  /** Seconds since the epoch of the password login behind this token. */
  readonly authTime?: number;
}

export interface HttpRequest extends IncomingMessage {
  readonly path: string;
  readonly ip?: string;
  user?: AuthUser;
  /** Set by the request middleware: the client behind any trusted proxies (client-address.ts). */
  clientAddress?: string;
  /** Set by the request middleware: TLS on the socket, or a trusted proxy's X-Forwarded-Proto. */
  viaHttps?: boolean;
}

export interface HttpResponse extends ServerResponse {
  status(code: number): HttpResponse;
  json(body: unknown): HttpResponse;
  sendFile(
    path: string,
    options: { root: string; dotfiles?: 'deny' | 'allow' | 'ignore'; maxAge?: number },
    callback: (err?: Error & { status?: number }) => void,
  ): void;
}

export type NextFunction = (err?: unknown) => void;
