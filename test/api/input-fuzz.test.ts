import { MAX_JSON_DEPTH } from '@jarvis/api';
import { apiForFile, type ApiResponse } from './api-harness';

/**
 * Hostile bodies, paths and queries on every route of the OpenAPI document, with a valid token:
 * deeply nested, huge, odd unicode and wrong-typed. Never a 5xx, always the error envelope, and the
 * API still answers its health check afterwards. No worker runs, and path parameters never name a
 * real guest, approval or session, so nothing could act even if a body validated.
 */
jest.setTimeout(60_000);

const file = apiForFile();

/** mulberry32: a small seeded generator, so every run sends the same requests. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const nested = (depth: number, open: string, close: string, leaf = '1'): string =>
  open.repeat(depth) + leaf + close.repeat(depth);
const deepObject = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

const ODD_STRINGS = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udfffy',
  '\u202eevil',
  '💥'.repeat(50),
  'e\u0301\u0301\u0301',
  '\ufeff',
  "'; DROP TABLE audit; --",
  '../../etc/passwd',
  'x'.repeat(100_000),
];
const WRONG_VALUES: unknown[] = [null, true, 0, -1, 1e308, '12', 'true', [], [1, 2], {}, { $gt: '' }, ...ODD_STRINGS];

/** A random JSON value from the seeded generator: small, but with every kind of leaf and container. */
function randomValue(rand: () => number, depth = 0): unknown {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const r = rand();
  if (depth > 4 || r < 0.4) return pick(WRONG_VALUES.slice(0, 12).concat(ODD_STRINGS.slice(0, 9)));
  if (r < 0.7) return Array.from({ length: Math.floor(rand() * 4) }, () => randomValue(rand, depth + 1));
  const keys = ['action', 'text', 'reason', 'engaged', 'level', 'username', 'password', 'fingerprint', 'typedName'];
  return Object.fromEntries(
    Array.from({ length: 1 + Math.floor(rand() * 4) }, () => [
      pick([...keys, '__proto__', 'constructor', ...ODD_STRINGS.slice(0, 5)]),
      randomValue(rand, depth + 1),
    ]),
  );
}

interface Operation {
  readonly method: string;
  readonly path: string;
  /** Property names of its JSON body, when it takes one. */
  readonly fields: readonly string[];
}

interface OpenApiDoc {
  paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> } }>>;
  components?: { schemas?: Record<string, { properties?: Record<string, unknown> }> };
}

function operationsOf(doc: OpenApiDoc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, byMethod] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(byMethod)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const ref = op.requestBody?.content?.['application/json']?.schema?.$ref;
      const schema = ref ? doc.components?.schemas?.[ref.split('/').pop()!] : undefined;
      ops.push({ method: method.toUpperCase(), path, fields: Object.keys(schema?.properties ?? {}) });
    }
  }
  return ops;
}

/** Each field of the body, in turn, given each wrong-typed or odd value; then the whole body odd. */
/** Bodies the body parser itself refuses, whatever the route. */
const PARSER_REFUSES = [nested(3000, '[', ']'), deepObject(3000), `{"a":${nested(100, '[{"b":', '}]')}}`, '{"a":'];

function bodiesFor(op: Operation, rand: () => number): string[] {
  const bodies = [
    ...PARSER_REFUSES,
    `{"${op.fields[0] ?? 'x'}":${nested(MAX_JSON_DEPTH + 1, '[', ']')}}`,
    // At the limit the parser lets it through: validation must still refuse it with a 4xx.
    `{"${op.fields[0] ?? 'x'}":${deepObject(MAX_JSON_DEPTH - 1)}}`,
    JSON.stringify(Array.from({ length: 40_000 }, (_, i) => i)),
    JSON.stringify(Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, i]))),
    '[]',
    '"text"',
    '12',
    'null',
    '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
    '{"a":"\\ud800\\u0000"}',
    '{"a":1,"a":2}',
  ];
  for (const field of op.fields)
    for (const value of WRONG_VALUES) bodies.push(JSON.stringify({ [field]: value, __proto__: { [field]: 'x' } }));
  for (let i = 0; i < 8; i++) bodies.push(JSON.stringify(randomValue(rand)));
  return bodies;
}

/** Path parameters no route accepts as an ID. */
const INVALID_IDS = [
  'a'.repeat(5_000),
  '%00',
  '%ED%A0%80', // a lone surrogate, as UTF-8 bytes
  '%C0%AE%C0%AE', // overlong dots
  '%F0%9F%92%A5',
  '..%2F..%2Fetc%2Fpasswd',
  '%E0%A4%A',
];
const PATH_VALUES = [...INVALID_IDS, '1', '__proto__', 'constructor', '-1', '1e309'];
const QUERIES = [
  '?limit=%00',
  '?limit[]=1&limit[]=2',
  '?vmid[$gt]=1',
  `?node=${'n'.repeat(10_000)}`,
  '?state=%ED%A0%80',
  '?from=9999999-99-99&to=-1',
  '?__proto__[polluted]=1&constructor[prototype][polluted]=1',
];

const OPEN = /^\/(api\/)?(health|auth\/login|docs)/;

describe('fuzzing every route of the OpenAPI document', () => {
  it('never answers 5xx, always answers 4xx in the envelope, and stays healthy', async () => {
    const { api, token } = file;
    const doc = (await api.call<OpenApiDoc>('GET', '/api/docs-json')).json;
    const ops = operationsOf(doc);
    expect(ops.length).toBeGreaterThanOrEqual(15);
    const rand = seeded(0x5eed);
    const bad: string[] = [];
    let sent = 0;
    const check = (what: string, res: ApiResponse): void => {
      sent++;
      if (res.status >= 500) bad.push(`${what} -> ${res.status} ${res.text.slice(0, 120)}`);
      else if (res.status >= 400 && res.status !== 413 && !res.json?.error?.code)
        bad.push(`${what} -> ${res.status} without the envelope`);
    };
    const full = (path: string): string => (path.startsWith('/api/') ? path : `/api${path}`);

    for (const op of ops) {
      const what = (detail: string) => `${op.method} ${op.path} ${detail.slice(0, 60)}`;
      const auth = OPEN.test(full(op.path)) ? {} : { token };
      // An action that takes no body (a replay, a new chat session) would run on any well-formed
      // path: only the body parser's refusals are sent there, and its parameters are never valid.
      const acts = op.method !== 'GET' && op.fields.length === 0;
      const plain = full(op.path).replace(/\{[^}]+\}/g, acts ? '%00' : '1');
      const bodies = op.method === 'GET' ? [] : acts ? PARSER_REFUSES : bodiesFor(op, rand);
      for (const rawBody of bodies) check(what(rawBody), await api.call(op.method, plain, { ...auth, rawBody }));
      for (const value of op.path.includes('{') ? (acts ? INVALID_IDS : PATH_VALUES) : []) {
        const path = full(op.path).replace(/\{[^}]+\}/g, value);
        const body = op.method === 'GET' ? {} : { rawBody: '{}' };
        check(what(path), await api.call(op.method, path, { ...auth, ...body }));
      }
      if (op.method === 'GET') for (const q of QUERIES) check(what(q), await api.call('GET', plain + q, auth));
    }

    expect(bad).toEqual([]);
    expect(sent).toBeGreaterThan(300);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    const health = await api.call<{ status: string }>('GET', '/api/health');
    expect(health.status).toBe(200);
    expect(health.json.status).toMatch(/^(ok|degraded)$/);
  });
});

describe('deeply nested JSON', () => {
  it('gets 400 with the envelope at /api/auth/login, without a token, before any validation', async () => {
    const { api } = file;
    const depth = 3000;
    const rawBody = `{"username":"a","password":"b","x":${nested(depth, '[', ']', '')}}`;
    const res = await api.call('POST', '/api/auth/login', { rawBody });
    expect({ status: res.status, body: res.json }).toEqual({
      status: 400,
      body: { error: { code: 'BAD_REQUEST', message: `JSON nested deeper than ${MAX_JSON_DEPTH} levels` } },
    });
    // Brackets inside strings are text, not nesting: a login with such a password is judged as usual.
    const inString = await api.call('POST', '/api/auth/login', {
      body: { username: 'nobody', password: `"\\${'['.repeat(1000)}` },
    });
    expect(inString.status).toBe(401);
  });
});
