import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type Browser, type Page } from 'playwright-core';
import { OPERATOR, startStack, type TestStack } from '../support/stack';
import { launchChromium, logIn, openPage, pageErrors, serveApi, type ServedApi } from './support/web-stack';

/**
 * The dashboard's browser defences in Debian's chromium: another origin cannot frame it, and the
 * production build runs under its Content-Security-Policy without a single violation.
 */
jest.setTimeout(120_000);

let browser: Browser;
let stack: TestStack;
let api: ServedApi;
let attacker: Server;
let attackerOrigin: string;

beforeAll(async () => {
  browser = await launchChromium();
  stack = await startStack({ worker: false });
  api = await serveApi(stack);
  // Another origin on the same machine (127.0.0.2 is loopback too): a page that frames the dashboard.
  attacker = createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<!doctype html><title>evil</title><iframe id="victim" src="${api.origin}/"></iframe>`);
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.2', resolve));
  attackerOrigin = `http://127.0.0.2:${(attacker.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => attacker?.close(resolve));
  await api?.stop();
  await stack?.close();
});

/** Every CSP violation the page reports, from the first document on. */
async function recordViolations(page: Page): Promise<() => Promise<string[]>> {
  const console: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) console.push(m.text());
  });
  await page.context().addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) =>
      seen.push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile}:${e.lineNumber}`),
    );
  });
  return async () => [
    ...(await page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? [])),
    ...console,
  ];
}

describe('the dashboard in a browser, under its security headers', () => {
  it('cannot be framed by a page on another origin', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const refused = page.waitForEvent('console', (m) => /frame-ancestors 'none'|X-Frame-Options/.test(m.text()));
    await page.goto(attackerOrigin);
    // Chromium says why, and the frame holds its error page rather than the dashboard.
    expect((await refused).text()).toMatch(/(Framing|Refused to display) 'http:\/\/127\.0\.0\.1:\d+\/'/);
    const frame = page.frames().find((f) => f !== page.mainFrame())!;
    for (let i = 0; i < 50 && !/^(chrome-error|http):/.test(frame.url()); i++) await page.waitForTimeout(100);
    expect(frame.url()).toMatch(/^chrome-error:/);
    expect(await frame.locator('#login-user').count()).toBe(0);
    await context.close();
  });

  it('logs in, connects its socket and shows every panel without a CSP violation', async () => {
    const dashboard = await openPage(browser, api.origin);
    const seen = await recordViolations(dashboard);
    // openPage has already loaded it once; the recorder is in place from this load on.
    const index = await dashboard.reload();
    expect(index?.headers()['content-security-policy']).toMatch(/script-src 'self' 'wasm-unsafe-eval';/);
    await logIn(dashboard, OPERATOR.username, OPERATOR.password);
    await dashboard.locator('[data-testid="connection-status"][data-state="live"]').waitFor({ timeout: 20_000 });
    await dashboard.locator('[data-testid="sparkline"]').first().waitFor();
    for (const tab of ['chat', 'terminal', 'activity'])
      await dashboard.locator(`[data-testid="dock-tab-${tab}"]`).click();
    await dashboard.locator('[data-testid="terminal-pane"]').waitFor({ state: 'attached' });
    await dashboard.keyboard.press('s');
    await dashboard.keyboard.press('Escape');
    await dashboard.keyboard.press('?');
    await dashboard.locator('[data-testid="shortcut-help"]').waitFor();
    await dashboard.keyboard.press('Escape');
    await dashboard.waitForTimeout(500);
    expect(await seen()).toEqual([]);
    expect(pageErrors(dashboard)).toEqual([]);
    // The recorder does hear a violation: a style attribute written as markup is one.
    await dashboard.evaluate(() => document.body.setAttribute('style', 'outline: 1px solid red'));
    await dashboard.waitForTimeout(200);
    expect((await seen()).join('\n')).toMatch(/style-src-attr blocked inline/);
    await dashboard.context().close();
  });
});
