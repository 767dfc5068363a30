import { type HttpRequest, type HttpResponse } from '../common/http.types';

/**
 * The refresh cookie: httpOnly (no script reads it, so an XSS cannot carry it away),
 * SameSite=Strict (no other site's page can make the browser send it), scoped to /api/auth (sent
 * with nothing but login, refresh and logout), Secure whenever the client came over HTTPS. On
 * plain-HTTP loopback (the demo) Secure would make browsers drop it, so it is left off there.
 */
export const REFRESH_COOKIE = 'jarvis_refresh';
const COOKIE_PATH = '/api/auth';

export function readRefreshCookie(req: HttpRequest): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === REFRESH_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function setRefreshCookie(req: HttpRequest, res: HttpResponse, value: string, expiresAt: Date): void {
  const maxAge = Math.max(0, Math.floor((expiresAt.getTime() - Date.now()) / 1000));
  res.setHeader('Set-Cookie', serialise(req, value, maxAge));
}

export function clearRefreshCookie(req: HttpRequest, res: HttpResponse): void {
  res.setHeader('Set-Cookie', serialise(req, '', 0));
}

function serialise(req: HttpRequest, value: string, maxAgeSeconds: number): string {
  const attributes = [
    `${REFRESH_COOKIE}=${value}`,
    `Path=${COOKIE_PATH}`,
    `Max-Age=${maxAgeSeconds}`,
    'HttpOnly',
    'SameSite=Strict',
  ];
  if (req.viaHttps) attributes.push('Secure');
  return attributes.join('; ');
}
