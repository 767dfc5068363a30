import { join } from 'node:path';
import { type Page, type WebSocket } from 'playwright-core';
import { OPERATOR } from '../support/stack';
import {
  ARTIFACTS,
  axeSerious,
  logIn,
  markNoReload,
  openPage,
  pageErrors,
  startWebStack,
  stayedWithoutReload,
  type WebStack,
} from './support/web-stack';

/**
 * The chat panel in Debian's chromium against the real stack (simulator, Temporal dev server,
 * worker, API serving the production build) with no LLM configured, so the offline intent parser
 * answers: ask for status, ask to start a stopped VM, confirm the card, see it running.
 */
jest.setTimeout(180_000);

let web: WebStack;
let page: Page;
const STOPPED_VM = 107; // win11 on pve, stopped in the default scenario, not HA-managed: a YELLOW start

beforeAll(async () => {
  web = await startWebStack();
}, 120_000);
afterAll(async () => {
  await web?.close();
});

/** Every /chat frame the server sent, decoded to [event, payload]. */
function recordChatFrames(p: Page): Array<[string, Record<string, unknown>]> {
  const received: Array<[string, Record<string, unknown>]> = [];
  p.on('websocket', (ws: WebSocket) => {
    ws.on('framereceived', (f) => {
      const text = typeof f.payload === 'string' ? f.payload : f.payload.toString('utf8');
      const m = /^42\/chat,(\d*)(\[.*)$/s.exec(text);
      if (m) received.push(JSON.parse(m[2]!) as [string, Record<string, unknown>]);
    });
  });
  return received;
}

const messages = (p: Page) => p.locator('[data-testid="chat-message"]');
const reply = (p: Page, workflowId: string) =>
  p.locator(`[data-testid="chat-message"][data-role="assistant"][data-workflow-id="${workflowId}"]`);

async function say(p: Page, text: string): Promise<string> {
  const before = await messages(p).count();
  const posted = p.waitForResponse((r) => /\/api\/chat\/sessions\/[^/]+\/messages$/.test(r.url()));
  await p.locator('[data-testid="chat-input"]').fill(text);
  await p.locator('[data-testid="chat-input"]').press('Enter');
  const res = await posted;
  expect(res.status()).toBe(202);
  const { workflowId } = (await res.json()) as { workflowId: string };
  expect(workflowId).toMatch(/^chat:s[0-9A-Z]+:\d+$/);
  await p.waitForFunction((n) => document.querySelectorAll('[data-testid="chat-message"]').length >= n, before + 2);
  return workflowId;
}

describe('chat with JARVIS in the browser (offline parser)', () => {
  let frames: ReturnType<typeof recordChatFrames>;

  beforeAll(async () => {
    page = await openPage(web.browser, web.api.origin, { viewport: { width: 1440, height: 900 } });
    frames = recordChatFrames(page);
    await logIn(page, OPERATOR.username, OPERATOR.password);
    await markNoReload(page);
  });
  afterAll(async () => {
    await page?.context().close();
  });

  it('opens on the chat tab, loaded as its own chunk, with the cost panel', async () => {
    await page.locator('[data-testid="chat-panel"]').waitFor();
    expect(await page.locator('[data-testid="dock-tab-chat"]').getAttribute('aria-selected')).toBe('true');
    const scripts = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
    expect(scripts.some((n) => /ChatPanel-[\w-]+\.js$/.test(n))).toBe(true);
    await page
      .locator('[data-testid="cost-today"]')
      .filter({ hasText: /today \$/ })
      .waitFor();
    // The input is labelled and Shift+Enter is a new line, not a send.
    const input = page.getByLabel('Message JARVIS');
    await input.fill('first line');
    await input.press('Shift+Enter');
    await input.pressSequentially('second line');
    expect(await input.inputValue()).toBe('first line\nsecond line');
    expect(await messages(page).count()).toBe(0);
    await input.fill('');
  });

  it("answers \"how's the cluster?\" over the socket, with the provider's badge, a tool card and the turn's timing", async () => {
    const wf = await say(page, "how's the cluster?");
    const answer = reply(page, wf).and(page.locator('[data-state="done"]'));
    await answer.waitFor({ timeout: 60_000 });
    expect(await answer.locator('[data-testid="provider-badge"]').innerText()).toMatch(/offline/i);
    expect(await answer.locator('[data-testid="chat-text"]').innerText()).toMatch(/pve/);
    expect(await answer.locator('[data-testid="chat-tool"][data-status="done"]').innerText()).toMatch(
      /cluster\.status/,
    );
    // It came over /chat, to this session's room: the tool card and then the final message.
    const kinds = frames.filter(([, p]) => p['workflowId'] === wf).map(([e]) => e);
    expect(kinds).toEqual(expect.arrayContaining(['chat.card', 'chat.message']));
    expect(kinds.indexOf('chat.card')).toBeLessThan(kinds.indexOf('chat.message'));
    // The stored reply brings the turn's stages: its timing and cost show under it.
    await answer
      .locator('[data-testid="turn-timing"]')
      .filter({ hasText: /done \d/ })
      .waitFor({ timeout: 10_000 });
    expect(await answer.locator('[data-testid="turn-cost"]').innerText()).toBe('$0');
    await answer.locator('[data-testid="turn-timeline"]').click();
    await page.locator(`[data-testid="timeline"][data-workflow-id="${wf}"]`).waitFor();
  });

  it('asks to start a stopped VM, shows the confirmation card (also in the inbox), and starts it once confirmed', async () => {
    const guest = page.locator(`[data-testid="guest-viewport"] li[data-vmid="${STOPPED_VM}"]`);
    expect(await guest.getAttribute('data-status')).toBe('stopped');

    const wf = await say(page, `start vm ${STOPPED_VM}`);
    const card = reply(page, wf).locator('[data-testid="chat-confirmation"][data-state="pending"]');
    await card.waitFor({ timeout: 60_000 });
    expect(await card.getAttribute('data-tier')).toBe('YELLOW');
    expect(await card.innerText()).toMatch(new RegExp(`start guest ${STOPPED_VM}.*on pve`, 'i'));
    // The same request, in the approvals inbox, under the turn's workflow.
    await page.locator(`[data-testid="approval-card"][data-workflow-id="${wf}"]`).waitFor();
    expect(await guest.getAttribute('data-status')).toBe('stopped');

    // Readable while it waits: no serious axe findings with the card on screen.
    expect(await axeSerious(page)).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'chat-confirmation.png') });

    await card.locator('[data-testid="chat-approve"]').click();
    await reply(page, wf)
      .locator('[data-testid="chat-confirmation"][data-state="approved"]')
      .waitFor({ timeout: 15_000 });
    const answer = reply(page, wf).and(page.locator('[data-state="done"]'));
    await answer.waitFor({ timeout: 60_000 });
    expect(await answer.locator('[data-testid="chat-text"]').innerText()).toMatch(
      new RegExp(`guest ${STOPPED_VM} on pve is running`),
    );
    // Once the stored reply is merged (its timing shows), the tool's card is there once, not twice.
    await answer.locator('[data-testid="turn-timing"]').waitFor({ timeout: 10_000 });
    expect(await answer.locator('[data-testid="chat-tool"][data-status="done"]').count()).toBe(1);
    await guest.and(page.locator('[data-status="running"]')).waitFor({ timeout: 30_000 });
    await page.locator(`[data-testid="approval-card"][data-workflow-id="${wf}"]`).waitFor({ state: 'detached' });
    expect(await stayedWithoutReload(page)).toBe(true);
    await page.screenshot({ path: join(ARTIFACTS, 'chat-done.png') });
  });

  it('keeps the conversation across a reload, and stays readable in every colourway', async () => {
    await page.reload();
    await page.locator('[data-testid="chat-panel"]').waitFor();
    await page.locator('[data-testid="chat-message"][data-role="assistant"][data-state="done"]').nth(1).waitFor();
    expect(await messages(page).count()).toBe(4);
    expect(await page.locator('[data-testid="provider-badge"]').count()).toBe(2);

    await page.keyboard.press('s');
    const ids = await page
      .locator('input[name="colourway"]')
      .evaluateAll((els) => els.map((e) => (e as HTMLInputElement).value));
    await page.keyboard.press('Escape');
    const failures: Record<string, unknown> = {};
    for (const id of ids) {
      await page.keyboard.press('s');
      await page.locator(`input[name="colourway"][value="${id}"]`).check();
      await page.keyboard.press('Escape');
      await page.locator('[data-testid="cost-panel"] summary').click();
      const found = await axeSerious(page);
      if (found.length) failures[id] = found;
      await page.locator('[data-testid="cost-panel"] summary').click();
    }
    expect(failures).toEqual({});
    // The `c` shortcut puts the cursor in the chat input.
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('c');
    await page.waitForFunction(() => document.activeElement?.id === 'chat-input');
    expect(pageErrors(page)).toEqual([]);
  });
});
