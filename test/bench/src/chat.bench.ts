import { randomBytes } from 'node:crypto';
import Anthropic from '@anthropic-ai/sdk';
import { io, type Socket } from 'socket.io-client';
import { createApi } from '@jarvis/api';
import { loadConfig } from '@jarvis/config';
import { startLlmSim } from '@jarvis/llm-sim';
import { createJarvisWorker } from '@jarvis/worker';
import { startBenchStack } from './bench-stack';
import { fmt, summarize } from './stats';

const SAMPLES = Number(process.env['BENCH_CHAT_SAMPLES'] ?? 40);
const WARMUP = 5;
const KEY = 'bench-key-not-a-real-one';
const MODEL = 'claude-sonnet-5-5';
// A conversational message: with only Claude configured the router sends it to Claude, which streams.
const TEXT = 'Tell me something reassuring about the night shift, please.';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * First token of a chat reply: at a socket.io client on /chat through the whole of Jarvis (POST
 * the message → API → turn workflow on a fresh dev server → LLM activity with the real
 * @anthropic-ai/sdk → fake Anthropic server → NOTIFY → API → socket), against the same fake
 * server's first token with the SDK called directly, interleaved in the same run. A socket.io
 * client rather than chromium: the browser would add the same DOM cost to every sample, and
 * dashboard.bench already measures socket-to-DOM.
 */
export async function chatBench(): Promise<void> {
  const llm = await startLlmSim({ apiKey: KEY });
  const stack = await startBenchStack('c');
  const { temporal, sim, dbUrl, pool, connection, client, pve, taskQueue } = stack;
  const jarvis = await createJarvisWorker({
    connection,
    client,
    namespace: 'default',
    taskQueue,
    pve,
    pool,
    llm: { anthropic: { apiKey: KEY, baseUrl: llm.url, model: MODEL }, flushMs: 10 },
  });
  const running = jarvis.run();
  const config = loadConfig({
    PVE_URL: sim.url,
    PVE_TOKEN: sim.token,
    PVE_FINGERPRINT: sim.fingerprint,
    DATABASE_URL: dbUrl,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    JARVIS_USERNAME: 'operator',
    JARVIS_PASSWORD: 'bench-Operator-1',
    JWT_SECRET: randomBytes(32).toString('hex'),
    MONITOR_AUTOSTART: 'false',
  });
  const api = await createApi(config, { logger: false });
  await api.listen(0, '127.0.0.1');
  const origin = (await api.getUrl()).replace('[::1]', '127.0.0.1');
  let socket: Socket | undefined;

  try {
    const json = async <T>(method: string, path: string, token?: string, body?: unknown): Promise<T> => {
      const res = await fetch(`${origin}/api${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return JSON.parse(text) as T;
    };
    const { token } = await json<{ token: string }>('POST', '/auth/login', undefined, {
      username: 'operator',
      password: 'bench-Operator-1',
    });
    const { id: sessionId } = await json<{ id: string }>('POST', '/chat/sessions', token, {});

    // When each turn's first delta and its final message reached the client.
    const firstDelta = new Map<string, number>();
    const finished = new Map<string, number>();
    const s = io(`${origin}/chat`, { auth: { token }, transports: ['websocket'] });
    socket = s;
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
    });
    s.on('chat.delta', (e: { workflowId: string }) => {
      if (!firstDelta.has(e.workflowId)) firstDelta.set(e.workflowId, performance.now());
    });
    s.on('chat.message', (e: { workflowId: string }) => finished.set(e.workflowId, performance.now()));
    const joined = (await s.timeout(5000).emitWithAck('chat.join', { sessionId })) as { ok: boolean };
    if (!joined.ok) throw new Error('could not join the chat session');

    const throughJarvis = async (): Promise<{ firstMs: number; workflowId: string }> => {
      const t0 = performance.now();
      const { workflowId } = await json<{ workflowId: string }>('POST', `/chat/sessions/${sessionId}/messages`, token, {
        text: TEXT,
      });
      for (let i = 0; !finished.has(workflowId); i++) {
        if (i > 6000) throw new Error(`turn ${workflowId} did not finish`);
        await sleep(5);
      }
      const first = firstDelta.get(workflowId);
      if (first === undefined) throw new Error(`turn ${workflowId} streamed no delta (answered without Claude?)`);
      return { firstMs: first - t0, workflowId };
    };

    const sdk = new Anthropic({ apiKey: KEY, baseURL: llm.url, maxRetries: 0 });
    const direct = async (): Promise<number> => {
      const t0 = performance.now();
      const stream = sdk.messages.stream({
        model: MODEL,
        max_tokens: 400,
        messages: [{ role: 'user', content: TEXT }],
      });
      let first: number | undefined;
      stream.on('text', () => (first ??= performance.now()));
      await stream.finalMessage();
      if (first === undefined) throw new Error('the fake server streamed no text');
      return first - t0;
    };

    for (let i = 0; i < WARMUP; i++) {
      await direct();
      await throughJarvis();
    }
    const directMs: number[] = [];
    const jarvisMs: number[] = [];
    const overhead: number[] = [];
    const workflowIds: string[] = [];
    // Interleaved, so drift on this noisy machine hits both paths alike; each pair's difference is one sample.
    for (let i = 0; i < SAMPLES; i++) {
      const d = await direct();
      const j = await throughJarvis();
      directMs.push(d);
      jarvisMs.push(j.firstMs);
      overhead.push(j.firstMs - d);
      workflowIds.push(j.workflowId);
    }

    // Where the time goes, from the turns' own recorded stages (ms since the workflow received the turn).
    const { messages } = await json<{
      messages: { role: string; workflowId?: string; timings?: Record<string, number> }[];
    }>('GET', `/chat/sessions/${sessionId}`, token);
    const measured = new Set(workflowIds);
    const stages = messages.filter((m) => m.role === 'assistant' && m.workflowId && measured.has(m.workflowId));
    const stage = (name: string) =>
      summarize(stages.map((m) => m.timings?.[name]).filter((v): v is number => typeof v === 'number'));

    const d = summarize(directMs);
    const j = summarize(jarvisMs);
    const o = summarize(overhead);
    const verdict = (v: number, target: number) => (v <= target ? 'met' : 'missed');
    console.log(
      `\nchat first token (socket.io client on /chat vs @anthropic-ai/sdk direct; same fake Anthropic server, n=${SAMPLES}, interleaved)`,
    );
    console.log(`  direct SDK → fake server              p50 ${fmt(d.p50)}  p95 ${fmt(d.p95)}`);
    console.log(`  through Jarvis (POST → socket delta)  p50 ${fmt(j.p50)}  p95 ${fmt(j.p95)}`);
    console.log(
      `  overhead (paired)                     p50 ${fmt(o.p50)}  p95 ${fmt(o.p95)}   ` +
        `targets ≤ 30 ms p50 (${verdict(o.p50, 30)}), ≤ 80 ms p95 (${verdict(o.p95, 80)})`,
    );
    console.log(
      `  inside the turn (recorded stages, since received): llm-start p50 ${fmt(stage('llm-start').p50)}, ` +
        `first-token p50 ${fmt(stage('first-token').p50)} p95 ${fmt(stage('first-token').p95)}`,
    );
  } finally {
    socket?.disconnect();
    await api.close();
    await jarvis.shutdown();
    await running.catch(() => undefined);
    await llm.close();
    await stack.close();
  }
}

if (require.main === module) {
  chatBench().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
