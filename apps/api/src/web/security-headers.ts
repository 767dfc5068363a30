import { IoAdapter } from '@nestjs/platform-socket.io';
import { type Server, type ServerOptions } from 'socket.io';
import { type HttpRequest, type HttpResponse, type NextFunction } from '../common/http.types';

/**
 * The dashboard's Content-Security-Policy. No inline script and no eval (only WebAssembly, which
 * the in-browser voice models compile); workers and audio from blob: URLs the voice features make;
 * everything else from this origin only. `frame-ancestors 'none'` (with X-Frame-Options for old
 * browsers) stops another site from framing the dashboard to click its Approve buttons.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  // xterm.js (the terminal) writes its theme, cell size and scrollbar rules into <style> elements
  // it creates at run time, with no way to give them a nonce; blocked, a terminal without WebGL
  // loses its colours. Only style elements: style attributes stay refused (Vue sets styles
  // through the CSSOM, which CSP does not govern), and no stylesheet can load from elsewhere.
  "style-src-elem 'self' 'unsafe-inline'",
].join('; ');

/** Every response of the API carries these, the dashboard, its assets and the JSON routes alike. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
};

/**
 * Swagger UI's page (from @nestjs/swagger, not ours) also sets a style attribute; only there are
 * inline style attributes allowed. It shows the public API description, no data.
 */
const DOCS = /^\/api\/docs(\/|$)/;
const DOCS_POLICY = `${CONTENT_SECURITY_POLICY}; style-src-attr 'unsafe-inline'`;

export function securityHeaders(req: HttpRequest, res: HttpResponse, next: NextFunction): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  if (DOCS.test(req.path)) res.setHeader('Content-Security-Policy', DOCS_POLICY);
  next();
}

/** socket.io answers its polling requests itself, before Express: the same headers go on those. */
export class SecureIoAdapter extends IoAdapter {
  override createIOServer(port: number, options?: ServerOptions): Server {
    const server = super.createIOServer(port, options) as Server;
    server.engine.on('headers', (headers: Record<string, string>) => Object.assign(headers, SECURITY_HEADERS));
    return server;
  }
}
