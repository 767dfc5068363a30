import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import { startFakeApi, type FakeApi } from './dashboard-fake-api';
import { fmt, summarize } from './stats';

/**
 * The dashboard's own figures, in Debian's headless chromium against a stand-in API
 * (dashboard-fake-api.ts) with 2,000 guests: initial JS, socket-to-DOM latency, scrolling fps
 * and heap growth under live updates.
 */
const ROOT = join(__dirname, '..', '..', '..');
const DIST = join(ROOT, 'apps', 'web', 'dist');
const GUESTS = Number(process.env['BENCH_WEB_GUESTS'] ?? 2000);
const LATENCY_SAMPLES = Number(process.env['BENCH_WEB_SAMPLES'] ?? 200);
/** The heap run: its first reading at a tenth of this, its last at the end (1 min vs 10 min when 600). */
const HEAP_SECONDS = Number(process.env['BENCH_WEB_HEAP_SECONDS'] ?? 120);
const HEAP_RATE = Number(process.env['BENCH_WEB_HEAP_RATE'] ?? 10);
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Records when each socket frame naming a marker arrives, and when the DOM first shows it.
const PROBE = `
  window.__arrived = {}; window.__shown = {}; window.__framed = {};
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (ev) => {
        if (typeof ev.data !== 'string') return;
        const t = performance.now();
        // A frame can name older marks too (a guest changed again keeps its marked name): record each once.
        for (const m of ev.data.matchAll(/bench-mark-(\\d+)/g))
          if (window.__arrived[m[1]] === undefined) window.__arrived[m[1]] = t;
      });
    }
  };
  new MutationObserver((records) => {
    const t = performance.now();
    for (const r of records) {
      const text = r.type === 'characterData' ? r.target.data : r.target.textContent;
      const m = /bench-mark-(\\d+)/.exec(text || '');
      if (m && window.__shown[m[1]] === undefined) {
        const k = m[1];
        window.__shown[k] = t;
        requestAnimationFrame(() => (window.__framed[k] = performance.now()));
      }
    }
  }).observe(document, { subtree: true, childList: true, characterData: true });
`;

interface ProbeWindow {
  __arrived: Record<string, number>;
  __shown: Record<string, number>;
  /** The start of the first frame drawn with the change. */
  __framed: Record<string, number>;
}

async function login(page: Page, origin: string): Promise<{ initial: number; total: number; files: number }> {
  const scripts: { url: string; gz: number; afterLogin: boolean }[] = [];
  let loggedIn = false;
  page.on('response', (r) => {
    if (r.request().resourceType() !== 'script') return;
    const afterLogin = loggedIn;
    void r.body().then((b) => scripts.push({ url: r.url(), gz: gzipSync(b).length, afterLogin }));
  });
  await page.goto(origin, { waitUntil: 'networkidle' });
  await page.locator('#login-user').fill('bench');
  await page.locator('#login-password').fill('bench-password');
  loggedIn = true;
  await page.locator('#login-password').press('Enter');
  await page.locator('[data-testid="guest-viewport"] li[data-vmid="100"]').waitFor({ timeout: 30_000 });
  await sleep(500);
  const kb = (xs: typeof scripts) => xs.reduce((s, x) => s + x.gz, 0) / 1024;
  return { initial: kb(scripts.filter((s) => !s.afterLogin)), total: kb(scripts), files: scripts.length };
}

/** Socket frame received → the guest row's text changed (and → the next frame), for diffs of 101 guests, one marked. */
async function socketToDom(page: Page, api: FakeApi): Promise<{ dom: number[]; frame: number[] }> {
  const dom: number[] = [];
  const frame: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    api.emitDiff(100, { vmid: 100 + (i % 5), name: `bench-mark-${i}` });
    await page
      .waitForFunction((k) => (window as unknown as ProbeWindow).__framed[k] !== undefined, String(i), {
        timeout: 5000,
      })
      .catch(() => undefined);
    const t = await page.evaluate((k) => {
      const w = window as unknown as ProbeWindow;
      const at = w.__arrived[k];
      const shown = w.__shown[k];
      const framed = w.__framed[k];
      return at === undefined || shown === undefined || framed === undefined
        ? null
        : { dom: shown - at, frame: framed - at };
    }, String(i));
    if (t) {
      dom.push(t.dom);
      frame.push(t.frame);
    }
    await sleep(50);
  }
  return { dom, frame };
}

/** Frames per second while the guest list scrolls continuously, with the server's diffs still arriving. */
async function scrollFps(page: Page, api: FakeApi, seconds: number): Promise<{ fps: number; longFrames: number }> {
  const timer = setInterval(() => api.emitDiff(100), 2000);
  try {
    return await page.evaluate(async (ms) => {
      const el = document.querySelector('[data-testid="guest-viewport"]') as HTMLElement;
      const deltas: number[] = [];
      const start = performance.now();
      let last = start;
      await new Promise<void>((done) => {
        const frame = (t: number) => {
          deltas.push(t - last);
          last = t;
          el.scrollTop = el.scrollTop + 48 >= el.scrollHeight - el.clientHeight ? 0 : el.scrollTop + 48;
          if (t - start < ms) requestAnimationFrame(frame);
          else done();
        };
        requestAnimationFrame(frame);
      });
      const elapsed = performance.now() - start;
      return { fps: (deltas.length / elapsed) * 1000, longFrames: deltas.filter((d) => d > 25).length };
    }, seconds * 1000);
  } finally {
    clearInterval(timer);
  }
}

interface HeapReading {
  /** V8's used heap after two forced collections, everything included. */
  readonly usedMb: number;
  /** The same heap without compiled code: what the page's own objects hold. */
  readonly objectsMb: number;
}

/**
 * The used heap, and from a heap snapshot the part that is not compiled code: V8 keeps
 * optimising hot paths for minutes, and that code would otherwise read as growth of the app.
 */
async function readHeap(page: Page): Promise<HeapReading> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  const chunks: string[] = [];
  cdp.on('HeapProfiler.addHeapSnapshotChunk', (e) => chunks.push(e.chunk));
  await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  await cdp.detach();
  const snap = JSON.parse(chunks.join('')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } };
    nodes: number[];
  };
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const sizeAt = fields.indexOf('self_size');
  let objects = 0;
  for (let i = 0; i < snap.nodes.length; i += width) {
    // Blink's own objects ('native', 'synthetic') are not in V8's heap; compiled code is left out on purpose.
    const type = types[snap.nodes[i + typeAt]!];
    if (type !== 'code' && type !== 'native' && type !== 'synthetic') objects += snap.nodes[i + sizeAt]!;
  }
  return { usedMb: usedSize / 1024 / 1024, objectsMb: objects / 1024 / 1024 };
}

/**
 * Live updates at HEAP_RATE a second: each a diff of 100 guests and a workflow step, with a full
 * state every 30 s. The feed keeps its newest 100 steps, so it is full before the first reading
 * and what grows after that is a leak, not a list filling up.
 */
async function heapGrowth(page: Page, api: FakeApi): Promise<{ early: HeapReading; late: HeapReading }> {
  let i = 0;
  const timer = setInterval(() => {
    i++;
    api.emitDiff(100);
    if (i % (HEAP_RATE * 30) === 0) api.emitFull();
    api.emitStep(i);
  }, 1000 / HEAP_RATE);
  try {
    await sleep((HEAP_SECONDS / 10) * 1000);
    const early = await readHeap(page);
    await sleep(((HEAP_SECONDS * 9) / 10) * 1000);
    return { early, late: await readHeap(page) };
  } finally {
    clearInterval(timer);
  }
}

export async function dashboardBench(): Promise<void> {
  readFileSync(join(DIST, 'index.html'));
  const api = await startFakeApi(DIST, GUESTS);
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, reducedMotion: 'reduce' });
    await context.addInitScript(PROBE);
    const page = await context.newPage();
    const js = await login(page, api.origin);
    const samples = await socketToDom(page, api);
    const latency = summarize(samples.dom);
    const framed = summarize(samples.frame);
    const scroll = await scrollFps(page, api, 5);
    const heap = await heapGrowth(page, api);
    const growth = (a: number, b: number) => {
      const pct = ((b - a) / a) * 100;
      return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)} %`;
    };

    const line = (label: string, value: string, target: string) =>
      console.log(`${label.padEnd(58)} ${value.padStart(14)}   target ${target}`);
    console.log(
      `\nDashboard (Debian chromium ${browser.version()}, headless; stand-in API with ${GUESTS} guests, 1920×1080, JARVIS mode)\n`,
    );
    line(`initial JS, gzipped (before login; ${js.files} files in all)`, `${js.initial.toFixed(1)} KB`, '<= 200 KB');
    line('all JS after login, gzipped', `${js.total.toFixed(1)} KB`, '');
    line(`socket frame -> DOM changed, p50 (n=${latency.n}, 101 guests a diff)`, fmt(latency.p50), '');
    line('socket frame -> DOM changed, p95', fmt(latency.p95), '<= 100 ms');
    line('socket frame -> next frame drawn with it, p50', fmt(framed.p50), '');
    line('socket frame -> next frame drawn with it, p95', fmt(framed.p95), '');
    line(`scrolling ${GUESTS} guests (5 s, diffs every 2 s)`, `${scroll.fps.toFixed(1)} fps`, '>= 55');
    line('  frames over 25 ms while scrolling', String(scroll.longFrames), '');
    const label =
      HEAP_SECONDS >= 600
        ? `JS heap, 1 min -> 10 min of live updates at ${HEAP_RATE}/s`
        : `JS heap, ${HEAP_SECONDS / 10} s -> ${HEAP_SECONDS} s at ${HEAP_RATE} diffs/s (SHORTENED run)`;
    line(label, `${heap.early.usedMb.toFixed(2)} -> ${heap.late.usedMb.toFixed(2)} MB`, '');
    line('  heap growth, all of it', growth(heap.early.usedMb, heap.late.usedMb), '< 10 %');
    line(
      '  heap growth, objects only (no compiled code)',
      `${heap.early.objectsMb.toFixed(2)} -> ${heap.late.objectsMb.toFixed(2)} MB, ${growth(heap.early.objectsMb, heap.late.objectsMb)}`,
      '< 10 %',
    );
    if (HEAP_SECONDS < 600)
      console.log(
        `  (shortened: ${HEAP_SECONDS * HEAP_RATE} diffs of 100 guests and as many steps in ${HEAP_SECONDS} s, as many diffs as` +
          ` ${Math.round((HEAP_SECONDS * HEAP_RATE * 2) / 60)} min of the real API's one diff per 2 s;` +
          ` BENCH_WEB_HEAP_SECONDS=600 BENCH_WEB_HEAP_RATE=1 runs the literal 1 vs 10 minutes)`,
      );
    await context.close();
  } finally {
    await browser.close();
    await api.close();
  }
}

if (require.main === module) {
  dashboardBench().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
