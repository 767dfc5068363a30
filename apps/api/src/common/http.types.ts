import { type IncomingMessage, type ServerResponse } from 'node:http';

/**
 * The slice of Express's request and response the API uses. @types/express is not installed
 * (the workspace shares one node_modules), so these name exactly what we rely on.
 */
export interface AuthUser {
  readonly username: string;
}

export interface HttpRequest extends IncomingMessage {
  readonly path: string;
  readonly ip?: string;
  user?: AuthUser;
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
