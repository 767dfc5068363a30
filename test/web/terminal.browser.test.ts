import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page, type WebSocket } from 'playwright-core';
import { sshEnv, SENSORLESS_NODE, SSH_NODES } from '../api/ssh-env';
import { startSshHosts } from '../support/sshd';
import { OPERATOR, startStack, type TestStack } from '../support/stack';
import { ARTIFACTS, launchChromium, logIn, openPage, pageErrors, serveApi, type ServedApi } from './support/web-stack';

/**
 * The terminal panel and the node temperatures in Debian's chromium, against the API serving the
 * production build, the simulator and real sshd test hosts: log in, open a shell on a node, type,
 * resize, switch nodes a hundred times without leaking terminals or heap.
 */
jest.setTimeout(300_000);

let browser: Browser;
let stack: TestStack;
let hosts: Awaited<ReturnType<typeof startSshHosts>>;
let api: ServedApi;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await launchChromium();
  stack = await startStack({ worker: false });
  hosts = await startSshHosts([...SSH_NODES], { withoutSensors: [SENSORLESS_NODE] });
  api = await serveApi(stack, { ...sshEnv(hosts), TEMPERATURE_POLL_MS: '500', TERMINAL_MAX_PER_USER: '3' });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await api?.stop();
  await hosts?.close();
  await stack?.close();
});

const pane = (page: Page) => page.locator('[data-testid="terminal-pane"]');
/** The node of Jarvis's own VM in the test stack (JARVIS_PROTECTED's default). */
const OWN_NODE = 'agent1';

/** Every socket.io frame of the /terminal namespace, both ways, decoded to [event, payload]. */
function recordTerminalFrames(page: Page): { sent: Array<[string, unknown]>; received: Array<[string, unknown]> } {
  const frames = { sent: [] as Array<[string, unknown]>, received: [] as Array<[string, unknown]> };
  const decode = (payload: string | Buffer): [string, unknown] | undefined => {
    const text = typeof payload === 'string' ? payload : payload.toString('utf8');
    const m = /^42\/terminal,(\d*)(\[.*)$/s.exec(text);
    if (!m) return undefined;
    const [event, data] = JSON.parse(m[2]!) as [string, unknown];
    return [event, data];
  };
  page.on('websocket', (ws: WebSocket) => {
    ws.on('framesent', (f) => {
      const d = decode(f.payload);
      if (d) frames.sent.push(d);
    });
    ws.on('framereceived', (f) => {
      const d = decode(f.payload);
      if (d) frames.received.push(d);
    });
  });
  return frames;
}

/** What the session `id` printed so far, from the frames the server sent. */
function outputOf(frames: ReturnType<typeof recordTerminalFrames>, id: string): string {
  return frames.received
    .filter(([e, p]) => e === 'terminal.output' && (p as { id: string }).id === id)
    .map(([, p]) => (p as { data: string }).data)
    .join('');
}

async function openOn(page: Page, node: string): Promise<string> {
  await page.locator('[data-testid="terminal-node"]').selectOption(node);
  const open = page.locator(`[data-testid="terminal-pane"][data-state="open"][data-node="${node}"]`);
  await open.waitFor({ timeout: 30_000 });
  return (await open.getAttribute('data-session'))!;
}

async function usedHeap(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  try {
    for (let i = 0; i < 3; i++) await cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await cdp.send('Runtime.getHeapUsage');
    return usedSize;
  } finally {
    await cdp.detach();
  }
}

describe('the terminal panel', () => {
  let page: Page;
  let frames: ReturnType<typeof recordTerminalFrames>;

  beforeAll(async () => {
    page = await openPage(browser, api.origin, { viewport: { width: 1440, height: 900 } });
    frames = recordTerminalFrames(page);
    await logIn(page, OPERATOR.username, OPERATOR.password);
  });
  afterAll(async () => {
    await page?.context().close();
  });

  it('shows live node temperatures, and n/a for the node without sensors', async () => {
    const cell = (node: string) => page.locator(`[data-node="${node}"] [data-testid="temperature"] dd`);
    await page.waitForFunction(
      (node) =>
        /^\d+ °C \/ \d+ °C$/.test(
          document.querySelector(`[data-node="${node}"] [data-testid="temperature"] dd`)?.textContent?.trim() ?? '',
        ),
      'pve',
      { timeout: 45_000 },
    );
    expect((await cell('pve').innerText()).trim()).toMatch(/^\d+ °C \/ \d+ °C$/);
    expect((await cell(SENSORLESS_NODE).innerText()).trim()).toBe('n/a');
  });

  it('loads the terminal on demand, opens a shell on a node and runs what the operator types', async () => {
    const before = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name));
    expect(before.some((n) => /TerminalPane/.test(n))).toBe(false);
    await page.locator('[data-testid="dock-tab-terminal"]').click();
    await pane(page).waitFor();
    await page.locator('[data-testid="terminal-pane"][data-state="ready"]').waitFor();

    const id = await openOn(page, 'pve');
    expect(['webgl', 'dom']).toContain(await pane(page).getAttribute('data-renderer'));
    await page.locator('.xterm').click();
    // Each test host answers `hostname` with its node's name (and its sshd sets JARVIS_TEST_NODE too).
    const command = 'hostname; echo "node=$JARVIS_TEST_NODE"';
    await page.keyboard.type(command);
    await page.keyboard.press('Enter');
    const answer = /\bpve\r?\nnode=pve\r?\n/;
    for (let i = 0; i < 300 && !answer.test(outputOf(frames, id)); i++) await page.waitForTimeout(100);
    expect(outputOf(frames, id)).toMatch(answer);
    // The keys went through as typed, and the answer is on screen.
    const typed = frames.sent
      .filter(([e, p]) => e === 'terminal.input' && (p as { id: string }).id === id)
      .map(([, p]) => (p as { data: string }).data)
      .join('');
    expect(typed).toBe(`${command}\r`);
    if ((await pane(page).getAttribute('data-renderer')) === 'dom')
      await page.waitForFunction(() => /node=pve/.test(document.querySelector('.xterm-rows')?.textContent ?? ''));
    await page.screenshot({ path: join(ARTIFACTS, 'terminal-open.png') });
  });

  it('resizes the PTY with the panel', async () => {
    const id = (await pane(page).getAttribute('data-session'))!;
    const resizesBefore = frames.sent.filter(([e]) => e === 'terminal.resize').length;
    await page.setViewportSize({ width: 1920, height: 1080 });
    let resize: { id: string; cols: number; rows: number } | undefined;
    for (let i = 0; i < 50 && !resize; i++) {
      resize = frames.sent
        .filter(([e]) => e === 'terminal.resize')
        .slice(resizesBefore)
        .map(([, p]) => p as typeof resize)
        .pop();
      if (!resize) await page.waitForTimeout(100);
    }
    expect(resize).toEqual({ id, cols: expect.any(Number), rows: expect.any(Number) });
    const mark = outputOf(frames, id).length;
    await page.locator('.xterm').click();
    await page.keyboard.type('stty size');
    await page.keyboard.press('Enter');
    const want = new RegExp(`\\b${resize!.rows} ${resize!.cols}\\b`);
    for (let i = 0; i < 300 && !want.test(outputOf(frames, id).slice(mark)); i++) await page.waitForTimeout(100);
    expect(outputOf(frames, id).slice(mark)).toMatch(want);
  });

  it('switches nodes a hundred times without leaking terminals, sessions or heap', async () => {
    // Jarvis's own node (agent1) asks for its name each time: it has its own test below.
    const nodes = SSH_NODES.filter((n) => n !== 'pve' && n !== OWN_NODE);
    const switchTo = async (i: number): Promise<void> => {
      await openOn(page, nodes[i % nodes.length]!);
    };
    for (let i = 0; i < 10; i++) await switchTo(i);
    const baseline = await usedHeap(page);
    const canvases = await page.locator('canvas').count();
    for (let i = 10; i < 100; i++) await switchTo(i);
    const after = await usedHeap(page);

    expect(await page.locator('.xterm').count()).toBe(1);
    expect(await page.locator('.xterm-helper-textarea').count()).toBe(1);
    // One terminal's worth of canvases (the WebGL renderer's, or none with the DOM renderer), as after 10 switches.
    expect(await page.locator('canvas').count()).toBe(canvases);
    // Each switch closed the old session: the per-operator limit (3) was never hit.
    expect(
      frames.received.filter(([e, p]) => e === 'terminal.error' && (p as { code: string }).code === 'LIMIT'),
    ).toEqual([]);
    const opened = frames.received.filter(([e]) => e === 'terminal.opened').length;
    const closed = frames.sent.filter(([e]) => e === 'terminal.close').length;
    expect(opened - closed).toBe(1);
    // Ninety terminals that stayed alive would hold tens of megabytes (xterm buffers, renderers).
    expect(after - baseline).toBeLessThan(4 * 1024 * 1024);
    expect(pageErrors(page)).toEqual([]);
  });

  it('falls back to the DOM renderer when the WebGL context is lost, and keeps working', async () => {
    if ((await pane(page).getAttribute('data-renderer')) !== 'webgl') {
      // This chromium offers no WebGL2: the panel already draws with the DOM renderer.
      expect(await pane(page).getAttribute('data-renderer')).toBe('dom');
      return;
    }
    const lost = await page.evaluate(() => {
      for (const canvas of document.querySelectorAll<HTMLCanvasElement>('.xterm canvas')) {
        const gl = canvas.getContext('webgl2');
        const ext = gl?.getExtension('WEBGL_lose_context');
        if (ext) {
          ext.loseContext();
          return true;
        }
      }
      return false;
    });
    expect(lost).toBe(true);
    // xterm waits 3 s for a restore before it reports the loss; the panel then disposes the addon.
    await page.locator('[data-testid="terminal-pane"][data-renderer="dom"]').waitFor({ timeout: 10_000 });
    await page.locator('.xterm').click();
    await page.keyboard.type('echo dom-$((6*7))');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /dom-42/.test(document.querySelector('.xterm-rows')?.textContent ?? ''));
    expect(pageErrors(page)).toEqual([]);
  });

  it("asks for Jarvis's own node's name before a shell opens there", async () => {
    await page.locator('[data-testid="terminal-node"]').selectOption(OWN_NODE);
    await page.locator('[data-testid="terminal-pane"][data-state="confirm"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid="terminal-message"]').innerText()).toMatch(/runs Jarvis itself/);
    // The login is fresh, so only the name is asked; a wrong name is refused again.
    expect(await page.locator('[data-testid="terminal-password"]').count()).toBe(0);
    const opensBefore = frames.sent.filter(([e]) => e === 'terminal.open').length;
    await page.locator('[data-testid="terminal-confirm-node"]').fill('agent');
    await page.locator('[data-testid="terminal-confirm-open"]').click();
    await page.locator('[data-testid="terminal-pane"][data-state="confirm"]').waitFor();
    expect(frames.sent.filter(([e]) => e === 'terminal.open').length).toBe(opensBefore);
    await page.locator('[data-testid="terminal-confirm-node"]').fill(OWN_NODE);
    await page.locator('[data-testid="terminal-confirm-open"]').click();
    await page
      .locator(`[data-testid="terminal-pane"][data-state="open"][data-node="${OWN_NODE}"]`)
      .waitFor({ timeout: 30_000 });
    // The open carried a ticket, never the password.
    const open = frames.sent.filter(([e]) => e === 'terminal.open').pop()![1] as Record<string, unknown>;
    expect(open).toMatchObject({ node: OWN_NODE, ticket: expect.stringMatching(/^[A-Za-z0-9_-]{40,}$/) });
    expect(JSON.stringify(frames.sent)).not.toContain(OPERATOR.password);
  });

  it('pops the terminal out into its own window with a single-use ticket, not the token', async () => {
    await openOn(page, 'home');
    const [popup] = await Promise.all([
      page.waitForEvent('popup'),
      page.locator('[data-testid="terminal-popout"]').click(),
    ]);
    // The pop-out's socket handshake: what it authenticates with.
    const connects: string[] = [];
    let output = '';
    popup.on('websocket', (ws) => {
      ws.on('framesent', (f) => {
        const text = typeof f.payload === 'string' ? f.payload : f.payload.toString('utf8');
        if (text.startsWith('40/terminal,')) connects.push(text);
      });
      ws.on('framereceived', (f) => {
        const text = typeof f.payload === 'string' ? f.payload : f.payload.toString('utf8');
        if (text.startsWith('42/terminal,["terminal.output"')) output += text;
      });
    });
    const opened = popup.locator('[data-testid="terminal-pane"][data-state="open"][data-node="home"]');
    await opened.waitFor({ timeout: 30_000 });
    // The ticket left the address at once; no token was ever in it or in the handshake.
    expect(popup.url()).not.toContain('#');
    expect(popup.url()).not.toMatch(/[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
    expect(connects).toEqual([expect.stringMatching(/^40\/terminal,\{"ticket":"[A-Za-z0-9_-]{40,}"\}$/)]);
    await popup.locator('.xterm').click();
    await popup.keyboard.type('echo popped-$((6*7))');
    await popup.keyboard.press('Enter');
    for (let i = 0; i < 150 && !/popped-42/.test(output); i++) await popup.waitForTimeout(100);
    expect(output).toMatch(/popped-42/);
    await popup.close();
  });

  it('replays a recorded session in the dashboard and finds it by command', async () => {
    const id = await openOn(page, 'home');
    await page.locator('.xterm').click();
    await page.keyboard.type('hostname');
    await page.keyboard.press('Enter');
    for (let i = 0; i < 100 && !/\bhome\r?\n/.test(outputOf(frames, id).split('hostname').pop() ?? ''); i++)
      await page.waitForTimeout(100);
    await pane(page).locator('.terminal-pane-toolbar-close', { hasText: 'Close' }).click();
    await page.locator('[data-testid="terminal-recordings"]').click();
    await page.locator('[data-testid="terminal-replay-q"]').fill('hostname');
    await page.locator('[data-testid="terminal-replay"] button', { hasText: 'Search' }).click();
    const row = page.locator(`[data-recording="${id}"]`);
    await row.waitFor({ timeout: 10_000 });
    await row.locator('button').click();
    await page.locator(`[data-testid="terminal-replay-screen"][data-playing="${id}"][data-done="true"]`).waitFor({
      timeout: 20_000,
    });
    await page.waitForFunction(
      () =>
        /hostname\s*home/.test(
          document.querySelector('[data-testid="terminal-replay-screen"] .xterm-rows')?.textContent ?? '',
        ),
      null,
      { timeout: 10_000 },
    );
    await page.locator('[data-testid="terminal-replay"] button', { hasText: 'Close' }).click();
    expect(pageErrors(page)).toEqual([]);
    // Leave a shell open for the logout test below.
    await openOn(page, 'pve');
  });

  it('disposes the terminal and closes its session when the panel goes away (logout)', async () => {
    const id = (await pane(page).getAttribute('data-session'))!;
    await page.locator('[data-testid="dock-tab-activity"]').click();
    // Hidden, not closed: the shell survives a look at the activity feed.
    expect(await pane(page).getAttribute('data-session')).toBe(id);
    await page.locator('[data-testid="dock-tab-terminal"]').click();
    await page.locator('button', { hasText: 'Log out' }).click();
    await page.locator('#login-user').waitFor();
    expect(await page.locator('.xterm').count()).toBe(0);
    // The server saw the socket go and ended the shell: its closing row is in the audit.
    let closed: Array<{ detail: { reason: string } }> = [];
    for (let i = 0; i < 100 && closed.length === 0; i++) {
      ({ rows: closed } = await stack.pool.query<{ detail: { reason: string } }>(
        `SELECT detail FROM audit_events WHERE workflow_id = $1 AND kind = 'terminal-closed'`,
        [`terminal:${id}`],
      ));
      if (closed.length === 0) await page.waitForTimeout(100);
    }
    expect(closed.map((r) => r.detail.reason)).toEqual([expect.stringMatching(/^(disconnect|closed)$/)]);
  });
});
