import { type Browser, type Page } from 'playwright-core';
import { OPERATOR, startStack, type TestStack } from '../support/stack';
import { launchChromium, logIn, openPage, pageErrors, serveApi, type ServedApi } from './support/web-stack';

/**
 * The session in a real chromium against the real API: the access token lives in memory only,
 * a reload resumes the session through the httpOnly refresh cookie, and Log out ends it on the
 * server, so the token it held is refused and a reload shows the login form.
 */
jest.setTimeout(90_000);

let browser: Browser;
let stack: TestStack;
let api: ServedApi;

beforeAll(async () => {
  browser = await launchChromium();
  stack = await startStack({ worker: false });
  api = await serveApi(stack);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await api?.stop();
  await stack?.close();
});

/** Everything the page keeps in Web Storage, as `area:key=value` lines. */
function webStorage(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    (['localStorage', 'sessionStorage'] as const).flatMap((area) => {
      const s = window[area];
      return Array.from({ length: s.length }, (_, i) => s.key(i)!).map((k) => `${area}:${k}=${s.getItem(k)}`);
    }),
  );
}

/** The token in the answer to the next login or refresh the page makes. */
function nextToken(page: Page, path: '/api/auth/login' | '/api/auth/refresh'): Promise<string> {
  return page
    .waitForResponse((r) => r.url().endsWith(path) && r.request().method() === 'POST')
    .then(async (r) => {
      expect(r.status()).toBe(200);
      return ((await r.json()) as { token: string }).token;
    });
}

const clusterStatus = async (token: string): Promise<number> =>
  (await fetch(`${api.origin}/api/cluster`, { headers: { authorization: `Bearer ${token}` } })).status;

describe('the session in a browser', () => {
  it('survives a reload through the cookie with no token in Web Storage, and ends for good on Log out', async () => {
    const page = await openPage(browser, api.origin);
    const loggedIn = nextToken(page, '/api/auth/login');
    await logIn(page, OPERATOR.username, OPERATOR.password);
    const first = await loggedIn;
    const storedAfterLogin = await webStorage(page);
    expect(storedAfterLogin.filter((line) => line.includes(first) || /eyJ[\w-]+\.eyJ/.test(line))).toEqual([]);

    const [cookie] = (await page.context().cookies()).filter((c) => c.name === 'jarvis_refresh');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict', path: '/api/auth' });
    // Script on the page cannot read it.
    expect(await page.evaluate(() => document.cookie)).not.toContain('jarvis_refresh');

    // A token an older dashboard stored is cleared on load.
    await page.evaluate(() =>
      localStorage.setItem(
        'jarvis.session',
        JSON.stringify({ token: 'stale', username: 'operator', expiresAt: '2099-01-01T00:00:00.000Z' }),
      ),
    );
    const refreshed = nextToken(page, '/api/auth/refresh');
    await page.reload();
    const current = await refreshed;
    await page.locator('[data-node="pve"]').waitFor({ state: 'attached', timeout: 20_000 });
    expect(await page.locator('#login-user').count()).toBe(0);
    await page.locator('[data-testid="connection-status"][data-state="live"]').waitFor();
    const storedAfterReload = await webStorage(page);
    expect(storedAfterReload.filter((l) => l.includes('jarvis.session') || l.includes(current))).toEqual([]);
    expect(await clusterStatus(current)).toBe(200);

    const loggedOut = page.waitForResponse((r) => r.url().endsWith('/api/auth/logout'));
    await page.getByRole('button', { name: 'Log out' }).click();
    expect((await loggedOut).status()).toBe(204);
    await page.locator('#login-user').waitFor();
    // The token the page held is refused by the server, not merely forgotten by the page.
    expect(await clusterStatus(current)).toBe(401);
    expect(await clusterStatus(first)).toBe(401);

    await page.reload();
    await page.locator('#login-user').waitFor();
    expect(await page.locator('[data-node="pve"]').count()).toBe(0);
    expect(await webStorage(page)).not.toEqual(expect.arrayContaining([expect.stringContaining(current)]));
    expect(pageErrors(page)).toEqual([]);
    await page.context().close();
  });
});
