import { join } from 'node:path';
import { type Page } from 'playwright-core';
import { OPERATOR, SECOND } from '../support/stack';
import {
  ARTIFACTS,
  axeSerious,
  logIn,
  markNoReload,
  openPage,
  pageErrors,
  serveApi,
  startWebStack,
  stayedWithoutReload,
  type ServedApi,
  type WebStack,
} from './support/web-stack';

/**
 * The dashboard in Debian's chromium against the real stack: the simulator, a Temporal dev
 * server, the worker and the API serving the production build. Two browser contexts are two
 * operators; nothing is ever reloaded while the flows run.
 */
jest.setTimeout(90_000);

let web: WebStack;
let lone: ServedApi;
let operator: Page;
let second: Page;

beforeAll(async () => {
  web = await startWebStack();
  // The same cluster and worker behind an API that knows one operator only: RED then needs the typed name.
  lone = await serveApi(web.stack, { JARVIS_USERS: '[]' });
}, 120_000);
afterAll(async () => {
  await lone?.stop();
  await web?.close();
});

const guestRow = (page: Page, vmid: number) => page.locator(`[data-testid="guest-viewport"] li[data-vmid="${vmid}"]`);
const card = (page: Page, workflowId: string) =>
  page.locator(`[data-testid="approval-card"][data-workflow-id="${workflowId}"]`);
const timeline = (page: Page) => page.locator('[data-testid="timeline"]');

/** Opens a guest's actions, checks the tier shown before sending, sends the action, returns its workflow ID. */
async function requestAction(page: Page, vmid: number, action: string, expectTier: string): Promise<string> {
  const panel = page.locator(`[data-testid="guest-actions"][data-vmid="${vmid}"]`);
  if (!(await panel.isVisible())) await guestRow(page, vmid).locator('button').click();
  expect(await panel.locator('[data-testid="tier-preview"]').innerText()).toBe(expectTier);
  await panel.locator(`button[data-action="${action}"]`).click();
  await panel.locator(`[data-testid="action-outcome"][data-tier="${expectTier}"]`).waitFor();
  const prefix = `vm-action:`;
  await page.waitForFunction(
    ([p, v, a]) => {
      const id = document.querySelector('[data-testid="timeline"]')?.getAttribute('data-workflow-id') ?? '';
      return id.startsWith(p!) && id.includes(`:${v}:${a}:`);
    },
    [prefix, String(vmid), action],
  );
  return (await timeline(page).getAttribute('data-workflow-id'))!;
}

/** The URLs of every approve or reject the page sends from now on. */
function recordDecisions(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && /\/api\/approvals\/[^/]+\/(approve|reject)$/.test(r.url())) urls.push(r.url());
  });
  return urls;
}

async function stepKinds(page: Page): Promise<string[]> {
  return page
    .locator('[data-testid="timeline-step"]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')!));
}

describe('the dashboard in a browser', () => {
  it('refuses a wrong password and too many attempts clearly, then logs in and shows the cluster', async () => {
    const page = await openPage(web.browser, lone.origin);
    await page.locator('#login-user').fill(OPERATOR.username);
    await page.locator('#login-password').fill('not-the-password');
    await page.locator('#login-password').press('Enter');
    const error = page.locator('[data-testid="login-error"]');
    await error.and(page.locator('[data-kind="credentials"]')).waitFor();
    expect(await error.innerText()).toBe('Wrong username or password.');

    // Five failures for one name fill its window; the sixth attempt is refused with 429.
    for (let i = 0; i < 6; i++) {
      await page.locator('#login-user').fill('mallory');
      await page.locator('#login-password').fill(`guess-${i}`);
      const answered = page.waitForResponse((r) => r.url().endsWith('/api/auth/login'));
      await page.locator('#login-password').press('Enter');
      await answered;
      // The form takes the next attempt only once it has shown this one's answer.
      await page.locator('button[type="submit"]', { hasText: 'Log in' }).waitFor();
    }
    await error.and(page.locator('[data-kind="rate-limited"]')).waitFor();
    expect(await error.innerText()).toMatch(/Too many failed attempts\. Try again in \d+ s\./);
    expect(await page.locator('button[type="submit"]').isDisabled()).toBe(true);
    await page.context().close();

    operator = await openPage(web.browser, web.api.origin);
    await logIn(operator, OPERATOR.username, OPERATOR.password);
    second = await openPage(web.browser, web.api.origin);
    await logIn(second, SECOND.username, SECOND.password);
    for (const name of ['home', 'pve', 'agent1', 'agent'])
      await operator
        .locator(`[data-node="${name}"] h3`)
        .filter({ hasText: new RegExp(`^${name}$`) })
        .waitFor();
    await operator.locator('[data-testid="sparkline"]').first().waitFor();
    await operator.locator('[data-testid="connection-status"][data-state="live"]').waitFor();
    expect(await operator.locator('[data-testid="quorum"]').innerText()).toMatch(/quorate/i);
    await markNoReload(operator);
    await markNoReload(second);
  });

  it('stops a VM once a second operator approves it in another browser, all live', async () => {
    expect(await guestRow(operator, 100).getAttribute('data-status')).toBe('running');
    const wf = await requestAction(operator, 100, 'stop', 'YELLOW');

    // The request reaches the other operator's inbox without a reload, with what, why, who and when.
    const theirs = card(second, wf);
    await theirs.waitFor();
    expect(await theirs.getAttribute('data-tier')).toBe('YELLOW');
    const text = await theirs.innerText();
    expect(text).toMatch(/stop guest 100 web-01 on pve/i);
    expect(text).toContain('operator');
    expect(text).toMatch(/guests 100/);
    expect(await theirs.locator('[data-testid="countdown"]').innerText()).toMatch(/\d+:\d\d/);
    await card(operator, wf).waitFor();

    await theirs.locator('[data-testid="approve"]').click();

    await guestRow(operator, 100).and(operator.locator('[data-status="stopped"]')).waitFor({ timeout: 30_000 });
    await timeline(operator).and(operator.locator('[data-status="COMPLETED"]')).waitFor({ timeout: 30_000 });
    await operator.locator('[data-testid="timeline-step"][data-kind="verified"]').waitFor();
    expect(await stepKinds(operator)).toEqual(
      expect.arrayContaining(['requested', 'tier', 'waiting', 'approved', 'task', 'verified']),
    );
    const approved = await operator.locator('[data-testid="timeline-step"][data-kind="approved"]').innerText();
    expect(approved).toContain('second');
    expect(await timeline(operator).innerText()).toMatch(/UPID:pve:/);
    await card(operator, wf).waitFor({ state: 'detached' });
    await card(second, wf).waitFor({ state: 'detached' });
    await guestRow(second, 100).and(second.locator('[data-status="stopped"]')).waitFor();
    expect(await stayedWithoutReload(operator)).toBe(true);
    expect(await stayedWithoutReload(second)).toBe(true);
  });

  it('records a rejection: the decision, the timeline and the audit all say so', async () => {
    const wf = await requestAction(operator, 101, 'stop', 'YELLOW');
    await card(second, wf).locator('[data-testid="reject"]').click();

    const decided = operator
      .locator('[data-testid="decided-approval"][data-state="rejected"]')
      .filter({ hasText: 'dns' });
    await decided.first().waitFor();
    expect(await decided.first().innerText()).toMatch(/by second/);
    await operator.locator('[data-testid="timeline-step"][data-kind="rejected"]').waitFor();
    await timeline(operator).and(operator.locator('[data-status="COMPLETED"]')).waitFor({ timeout: 30_000 });
    await operator
      .locator('[data-testid="audit-list"] li[data-outcome="rejected"]')
      .first()
      .waitFor({ timeout: 30_000 });
    expect(await guestRow(operator, 101).getAttribute('data-status')).toBe('running');
    expect(await stayedWithoutReload(operator)).toBe(true);
  });

  it('holds a RED action for a second, different operator', async () => {
    const wf = await requestAction(operator, 102, 'stop', 'RED');
    const mine = card(operator, wf);
    await mine.waitFor();
    expect(await mine.getAttribute('data-tier')).toBe('RED');
    expect(await mine.locator('[data-testid="red-rule"]').innerText()).toMatch(/Two operators must approve: 0 of 2/);

    await mine.locator('[data-testid="approve"]').click();
    await mine.locator('[data-testid="red-rule"]').filter({ hasText: '1 of 2 (operator)' }).waitFor();
    // The same operator again: the workflow refuses (403 SAME_OPERATOR) and the card says why.
    await mine.locator('[data-testid="approve"]').click();
    await mine.locator('[data-testid="refusal"]').filter({ hasText: 'second, different operator' }).waitFor();
    expect(await guestRow(operator, 102).getAttribute('data-status')).toBe('running');

    await card(second, wf).locator('[data-testid="approve"]').click();
    await guestRow(operator, 102).and(operator.locator('[data-status="stopped"]')).waitFor({ timeout: 30_000 });
    await timeline(operator).and(operator.locator('[data-status="COMPLETED"]')).waitFor({ timeout: 30_000 });
    const approvals = operator.locator('[data-testid="timeline-step"][data-kind="approved"]');
    expect(await approvals.count()).toBe(2);
  });

  it("lets a lone operator confirm a RED action by typing the resource's name", async () => {
    const page = await openPage(web.browser, lone.origin);
    await logIn(page, OPERATOR.username, OPERATOR.password);
    const wf = await requestAction(page, 102, 'start', 'RED');
    const mine = card(page, wf);
    await mine.waitFor();
    expect(await mine.locator('[data-testid="red-rule"]').innerText()).toMatch(
      /One operator, with the name .db-01. typed/,
    );
    const typed = mine.locator('[data-testid="typed-name"]');
    await typed.waitFor();

    // The a key on a RED request goes where a click on Approve goes, the typed name, and sends nothing.
    const decisions = recordDecisions(page);
    await mine.locator('[data-testid="red-rule"]').click();
    await page.keyboard.press('a');
    await mine.locator('[data-testid="key-prompt"]').filter({ hasText: 'RED' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('typed-name');
    await page.waitForTimeout(300);
    expect(decisions).toEqual([]);

    await typed.fill('db-02');
    await mine.locator('[data-testid="approve"]').click();
    // 403 TYPED_NAME_REQUIRED from the workflow's validator, shown on the card.
    await mine.locator('[data-testid="refusal"]').filter({ hasText: 'type the resource name "db-01"' }).waitFor();

    await typed.fill('db-01');
    await mine.locator('[data-testid="approve"]').click();
    await guestRow(page, 102).and(page.locator('[data-status="running"]')).waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="timeline-step"][data-kind="verified"]').waitFor({ timeout: 30_000 });
    await page.context().close();
  });

  it('shows when the socket is down and recovers the full state on reconnect', async () => {
    const status = operator.locator('[data-testid="connection-status"]');
    await status.and(operator.locator('[data-state="live"]')).waitFor();
    expect(await guestRow(operator, 104).getAttribute('data-status')).toBe('running');

    await web.api.stop();
    await status.and(operator.locator('[data-state="offline"]')).waitFor({ timeout: 10_000 });
    expect(await status.innerText()).toMatch(/disconnected/i);
    // Something happens while the dashboard cannot hear about it.
    expect(await web.simControl('POST', '/faults', { kind: 'crash-guest', vmid: 104 })).toBe(200);

    await web.api.start();
    await status.and(operator.locator('[data-state="live"]')).waitFor({ timeout: 20_000 });
    await guestRow(operator, 104).and(operator.locator('[data-status="stopped"]')).waitFor({ timeout: 20_000 });
    expect(await stayedWithoutReload(operator)).toBe(true);
  });

  it('answers its keyboard shortcuts and lists them on ?', async () => {
    await operator.locator('body').click({ position: { x: 5, y: 300 } });
    await operator.keyboard.press('?');
    const help = operator.locator('[data-testid="shortcut-help"]');
    await help.waitFor();
    expect(await help.innerText()).toMatch(/Approve the selected request/);
    await operator.keyboard.press('Escape');
    await help.waitFor({ state: 'detached' });

    const mode = () => operator.evaluate(() => document.documentElement.dataset['mode']);
    await operator.keyboard.press('m');
    expect(await mode()).toBe('ops');
    await operator.keyboard.press('m');
    expect(await mode()).toBe('minimal');
    await operator.keyboard.press('m');
    expect(await mode()).toBe('jarvis');

    await operator.keyboard.press('/');
    expect(await operator.evaluate(() => document.activeElement?.id)).toBe('guest-search');
    await operator.keyboard.type('db-01');
    expect(await operator.locator('[data-testid="guest-count"]').innerText()).toBe('1 of 15');
    await operator.locator('#guest-search').fill('');
    await operator.keyboard.press('Escape');
    expect(await operator.evaluate(() => document.activeElement?.id)).not.toBe('guest-search');

    // Keyboard-only approval: i focuses the inbox and selects the first request; one a only asks
    // "press a again", Esc cancels that, and two a's in a row approve.
    const wf = await requestAction(second, 106, 'stop', 'YELLOW');
    await card(operator, wf).waitFor();
    const decisions = recordDecisions(operator);
    await operator.keyboard.press('i');
    expect(await operator.evaluate(() => document.activeElement?.getAttribute('data-workflow-id'))).toBe(wf);
    await operator.keyboard.press('a');
    const prompt = card(operator, wf).locator('[data-testid="key-prompt"]');
    await prompt.waitFor();
    expect(await prompt.innerText()).toMatch(/^Press a again to approve stop guest 106 \S+ on \w+ · Esc cancels$/);
    await operator.waitForTimeout(500);
    expect(decisions).toEqual([]);
    await operator.keyboard.press('Escape');
    await prompt.waitFor({ state: 'detached' });
    await operator.keyboard.press('a');
    await prompt.waitFor();
    expect(decisions).toEqual([]);
    expect(await guestRow(operator, 106).getAttribute('data-status')).toBe('running');
    await operator.keyboard.press('a');
    await guestRow(operator, 106).and(operator.locator('[data-status="stopped"]')).waitFor({ timeout: 30_000 });
    expect(decisions).toEqual([expect.stringMatching(/\/api\/approvals\/.+\/approve$/)]);
  });

  it('plays a short, skippable boot sequence on first load, and none under reduced motion', async () => {
    const animated = await openPage(web.browser, web.api.origin, { motion: true });
    const boot = animated.locator('[data-testid="boot"]');
    await boot.waitFor();
    await boot.getByRole('button', { name: 'Skip' }).click();
    await boot.waitFor({ state: 'detached' });
    await animated.context().close();

    const still = await openPage(web.browser, web.api.origin);
    await still.locator('#login-user').waitFor();
    expect(await still.locator('[data-testid="boot"]').count()).toBe(0);
    await still.context().close();
  });

  it('has no serious accessibility violations and lays out every mode at wall, desktop and phone sizes', async () => {
    const sizes = [
      { name: 'wall', viewport: { width: 1920, height: 1080 } },
      { name: 'desktop', viewport: { width: 1366, height: 768 } },
      { name: 'phone', viewport: { width: 390, height: 844 } },
    ];
    // A request left waiting, so the inbox, its countdown and a running timeline are in every picture.
    const wf = await requestAction(second, 112, 'shutdown', 'YELLOW');
    const findings: Record<string, unknown> = {};
    for (const mode of ['jarvis', 'ops', 'minimal']) {
      for (const size of sizes) {
        const page = await openPage(web.browser, web.api.origin, { viewport: size.viewport, mode });
        await page.locator('#login-user').waitFor();
        if (size.name !== 'desktop') findings[`${mode}/${size.name}/login`] = await axeSerious(page);
        await logIn(page, OPERATOR.username, OPERATOR.password);
        await card(page, wf).waitFor();
        await card(page, wf).click();
        await page.locator('[data-testid="timeline-step"]').first().waitFor();
        await page.locator('[data-testid="sparkline"]').first().waitFor({ state: 'attached' });
        await page.screenshot({ path: join(ARTIFACTS, `${mode}-${size.name}.png`) });
        findings[`${mode}/${size.name}`] = await axeSerious(page);
        if (size.name === 'phone') {
          expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
          await page.locator('[data-testid="tab-cluster"]').click();
          await page.locator('[data-node="pve"]').waitFor();
          await page.screenshot({ path: join(ARTIFACTS, `${mode}-phone-cluster.png`) });
          findings[`${mode}/phone/cluster`] = await axeSerious(page);
          expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
        }
        expect(pageErrors(page)).toEqual([]);
        await page.context().close();
      }
    }
    const failing = Object.entries(findings).filter(([, v]) => (v as unknown[]).length > 0);
    expect(Object.fromEntries(failing)).toEqual({});
    await card(operator, wf).locator('[data-testid="reject"]').click();
  });

  it('keeps text readable in every colourway (axe colour contrast)', async () => {
    const page = await openPage(web.browser, web.api.origin, { viewport: { width: 1920, height: 1080 } });
    await logIn(page, OPERATOR.username, OPERATOR.password);
    await page.locator('[data-testid="timeline"]').waitFor();
    await page.keyboard.press('s');
    const ids = await page
      .locator('input[name="colourway"]')
      .evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
    expect(ids.length).toBeGreaterThanOrEqual(5);
    await page.keyboard.press('Escape');
    const failures: Record<string, unknown> = {};
    for (const id of ids) {
      await page.keyboard.press('s');
      await page.locator(`input[name="colourway"][value="${id}"]`).check();
      await page.keyboard.press('Escape');
      expect(await page.evaluate(() => document.documentElement.dataset['theme'])).toBe(id);
      const found = await axeSerious(page);
      if (found.length) failures[id] = found;
      await page.screenshot({ path: join(ARTIFACTS, `colourway-${id}.png`) });
    }
    expect(failures).toEqual({});
    expect(pageErrors(page)).toEqual([]);
    expect(pageErrors(operator)).toEqual([]);
    expect(pageErrors(second)).toEqual([]);
    await page.context().close();
  });

  it('shows in the settings what the Proxmox token can do and what would enable the rest; checks again on request', async () => {
    const page = await openPage(web.browser, web.api.origin, { viewport: { width: 1366, height: 768 } });
    await logIn(page, OPERATOR.username, OPERATOR.password);
    await page.locator('[data-testid="connection-status"][data-state="live"]').waitFor();
    await page.keyboard.press('s');
    const panel = page.locator('[data-testid="proxmox-token-settings"]');
    const capability = (id: string) => panel.locator(`[data-capability="${id}"]`);
    await capability('guest.power').waitFor();
    expect(await capability('tasks.others').innerText()).toMatch(/available/);

    expect(await web.simControl('PUT', '/config', { sysAudit: false })).toBe(200);
    try {
      await panel.getByRole('button', { name: 'Check again' }).click();
      await capability('tasks.others').getByText('unavailable', { exact: true }).waitFor();
      expect(await capability('tasks.others').innerText()).toMatch(/grant Sys\.Audit on \//);
      expect(await capability('guest.power').innerText()).not.toMatch(/unavailable/);
      expect(await axeSerious(page)).toEqual([]);
      // Outside the settings too, the dashboard says what the token cannot do, and leads to why.
      await page.keyboard.press('Escape');
      const notice = page.locator('[data-testid="proxmox-token-notice"]');
      expect(await notice.innerText()).toMatch(/cannot: .*Other users' tasks/);
      expect(await axeSerious(page)).toEqual([]);
      await notice.getByRole('button', { name: 'What it needs' }).click();
      await capability('tasks.others').waitFor();
    } finally {
      expect(await web.simControl('PUT', '/config', { sysAudit: true })).toBe(200);
    }
    await panel.getByRole('button', { name: 'Check again' }).click();
    await capability('tasks.others').getByText('available', { exact: true }).waitFor();
    await page.keyboard.press('Escape');
    await page.locator('[data-testid="proxmox-token-notice"]').waitFor({ state: 'detached' });
    expect(pageErrors(page)).toEqual([]);
    await page.context().close();
  });

  it('colours a filling disk and shows a lost quorum as they happen', async () => {
    const local = operator.locator('[data-storage="pve/local"]');
    expect(await local.getAttribute('data-level')).toBe('ok');
    expect(
      await web.simControl('POST', '/faults', { kind: 'fill-disk', node: 'pve', storage: 'local', percent: 93 }),
    ).toBe(200);
    await local.and(operator.locator('[data-level="warn"]')).waitFor({ timeout: 20_000 });
    expect(
      await web.simControl('POST', '/faults', { kind: 'fill-disk', node: 'pve', storage: 'local', percent: 97 }),
    ).toBe(200);
    await local.and(operator.locator('[data-level="critical"]')).waitFor({ timeout: 20_000 });
    expect(await local.innerText()).toMatch(/9[67]% critical/);

    expect(await web.simControl('POST', '/faults', { kind: 'lose-quorum' })).toBe(200);
    await operator.locator('[data-testid="quorum"][data-quorate="false"]').waitFor({ timeout: 20_000 });
    expect(await operator.locator('[data-testid="quorum"]').innerText()).toMatch(/no quorum/i);
    expect(await web.simControl('DELETE', '/faults')).toBe(200);
    await operator.locator('[data-testid="quorum"][data-quorate="true"]').waitFor({ timeout: 20_000 });
    expect(await stayedWithoutReload(operator)).toBe(true);
  });
});
