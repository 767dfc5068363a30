import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { createApi } from '@jarvis/api';
import { loadConfig } from '@jarvis/config';
import { ROOT, startStack, type TestStack } from '../../support/stack';

export const WEB_DIST = join(ROOT, 'apps/web/dist');
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'dashboard');
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/** The flags a headless Debian chromium needs on a machine with a closed network. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no chromium at ${CHROMIUM}: apt-get install chromium (scripts/ensure.sh test does it as root)`);
  if (!existsSync(join(WEB_DIST, 'index.html')))
    throw new Error('apps/web/dist is not built: run `npm run build` (npm test does it through scripts/ensure.sh)');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** One API serving the built dashboard over a test stack, which can be stopped and started on its port. */
export interface ServedApi {
  readonly origin: string;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function serveApi(stack: TestStack, env: Record<string, string> = {}): Promise<ServedApi> {
  const all = { ...stack.env, WEB_DIST, ...env };
  const config = () => loadConfig(all);
  let app: Awaited<ReturnType<typeof createApi>> | undefined = await createApi(config(), { logger: false, env: all });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    async stop() {
      await app?.close();
      app = undefined;
    },
    async start() {
      if (app) return;
      app = await createApi(config(), { logger: false, env: all });
      await app.listen(port, '127.0.0.1');
    },
  };
}

export interface WebStack {
  readonly stack: TestStack;
  readonly api: ServedApi;
  readonly browser: Browser;
  simControl(method: string, path: string, body?: unknown): Promise<number>;
  close(): Promise<void>;
}

export async function startWebStack(): Promise<WebStack> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const browser = await launchChromium();
  const stack = await startStack({ worker: true });
  const api = await serveApi(stack);
  return {
    stack,
    api,
    browser,
    simControl(method, path, body) {
      // The simulator's own control API, over its self-signed certificate, pinned by its PEM.
      return new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const req = httpsRequest(
          `${stack.sim.controlUrl}${path}`,
          {
            method,
            ca: stack.sim.certPem,
            headers: payload ? { 'content-type': 'application/json' } : {},
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    },
    async close() {
      await browser.close();
      await api.stop();
      await stack.close();
    },
  };
}

/** A fresh browser context on the dashboard, animations off unless asked, with its settings preset. */
export async function openPage(
  browser: Browser,
  origin: string,
  opts: { viewport?: { width: number; height: number }; mode?: string; colourway?: string; motion?: boolean } = {},
): Promise<Page> {
  const options: BrowserContextOptions = {
    viewport: opts.viewport ?? { width: 1440, height: 900 },
    reducedMotion: opts.motion ? 'no-preference' : 'reduce',
  };
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  (page as Page & { errors: string[] }).errors = errors;
  if (opts.mode || opts.colourway)
    await context.addInitScript(
      ([mode, colourway]) =>
        localStorage.setItem(
          'jarvis.settings',
          JSON.stringify({ mode: mode ?? 'jarvis', colourway: colourway ?? 'amber' }),
        ),
      [opts.mode, opts.colourway],
    );
  await page.goto(origin);
  return page;
}

export function pageErrors(page: Page): string[] {
  return (page as Page & { errors?: string[] }).errors ?? [];
}

export async function logIn(page: Page, username: string, password: string): Promise<void> {
  await page.locator('#login-user').fill(username);
  await page.locator('#login-password').fill(password);
  await page.locator('#login-password').press('Enter');
  await page.locator('[data-node="pve"]').waitFor({ state: 'attached', timeout: 20_000 });
}

/** Marks the page; if it reloads, the mark is gone. */
export async function markNoReload(page: Page): Promise<void> {
  await page.evaluate(() => ((window as unknown as { __stayed: number }).__stayed = 1));
}
export function stayedWithoutReload(page: Page): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { __stayed?: number }).__stayed === 1);
}

export interface AxeFinding {
  readonly id: string;
  readonly impact: string | null | undefined;
  readonly targets: string[];
}

/** axe-core's serious and critical violations on the page as it is now. */
export async function axeSerious(page: Page): Promise<AxeFinding[]> {
  // Evaluated through the DevTools protocol: a <script> tag with the source inline is refused by the CSP.
  if (!(await page.evaluate(() => 'axe' in window)))
    await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, o: object) => Promise<AxeResults> } }).axe;
    interface AxeResults {
      violations: { id: string; impact?: string | null; nodes: { target: unknown[] }[] }[];
    }
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 5).map((n) => String(n.target)) }));
  });
}
