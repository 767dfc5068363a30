import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { type HttpRequest, type HttpResponse, type NextFunction } from '../common/http.types';

/** Paths the dashboard must never shadow: the API (whose unknown routes stay JSON 404s) and socket.io. */
const RESERVED = /^\/(api|socket\.io)(\/|$)/;
// Hashed asset names change with every build; index.html must not be cached so a deploy shows at once.
const ASSET_MAX_AGE_MS = 3600_000;

function packageDist(): string {
  try {
    return join(dirname(require.resolve('@jarvis/web/package.json')), 'dist');
  } catch {
    return resolve(__dirname, '..', '..', '..', 'web', 'dist');
  }
}

/** The built dashboard to serve: WEB_DIST if set, else the web package's dist; undefined when not built. */
export function resolveWebDist(configured?: string): string | undefined {
  const candidates = configured ? [resolve(configured), packageDist()] : [packageDist()];
  const found = candidates.find((dir) => existsSync(join(dir, 'index.html')));
  if (configured && found !== resolve(configured))
    new Logger('Dashboard').warn(`WEB_DIST ${configured} has no index.html`);
  return found;
}

/** Serves the dashboard at `/`, with the SPA fallback (an unknown page path gets index.html). */
export function serveDashboard(app: NestExpressApplication, root: string): void {
  const sendIndex = (res: HttpResponse, next: NextFunction): void => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile('index.html', { root }, (err) => err && next(err));
  };
  app.use((req: HttpRequest, res: HttpResponse, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || RESERVED.test(req.path)) return next();
    if (req.path === '/' || req.path === '/index.html') return sendIndex(res, next);
    // `root` confines the lookup to the dist folder; send rejects `..` and dotfiles are refused.
    res.sendFile(req.path.slice(1), { root, dotfiles: 'deny', maxAge: ASSET_MAX_AGE_MS }, (err) => {
      if (!err) return;
      const lastSegment = req.path.slice(req.path.lastIndexOf('/') + 1);
      // A client-side route (no file extension) gets the app; a missing asset stays a 404.
      if (err.status === 404 && !lastSegment.includes('.')) return sendIndex(res, next);
      next(err.status === 404 ? undefined : err);
    });
  });
}
