import { createHmac } from 'node:crypto';
import { type AddressInfo } from 'node:net';
import { type INestApplication } from '@nestjs/common';
import { io, type Socket } from 'socket.io-client';
import { createApi } from '@jarvis/api';
import { loadConfig } from '@jarvis/config';
import { type ApprovalView } from '@jarvis/db';
import { type VmActionResult } from '@jarvis/workflows/api';
import { OPERATOR, startStack, type TestStack } from '../support/stack';
import { eventually } from '../support/vm-action.fixtures';

/** The API built by `createApi` over a real test stack, listening on an ephemeral loopback port. */
export interface ApiHarness {
  readonly stack: TestStack;
  readonly app: INestApplication;
  /** e.g. http://127.0.0.1:43121 (no /api) */
  readonly origin: string;
  login(username: string, password: string): Promise<string>;
  call<T = unknown>(method: string, path: string, opts?: CallOptions): Promise<ApiResponse<T>>;
  socket(namespace: string, token?: string): Socket;
  close(): Promise<void>;
}

export interface CallOptions {
  readonly token?: string;
  readonly authorization?: string;
  readonly body?: unknown;
  /** Sent as is, for malformed bodies. */
  readonly rawBody?: string;
  readonly contentType?: string;
}

/** The CONTRACT error envelope; optional on every response so a test can check for it anywhere. */
export interface ErrorBody {
  readonly error?: { readonly code: string; readonly message: string; readonly details?: Record<string, unknown> };
}

export interface ApiResponse<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body, typed as the test expects it (unchecked: the assertions check it). */
  readonly json: T & ErrorBody;
}

export async function startApi(
  opts: { worker?: boolean; env?: Record<string, string>; stack?: TestStack } = {},
): Promise<ApiHarness> {
  const stack = opts.stack ?? (await startStack({ worker: opts.worker ?? false }));
  const env = { ...stack.env, ...opts.env };
  const app = await createApi(loadConfig(env), { logger: false, env });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const sockets: Socket[] = [];

  const call = async <T = unknown>(method: string, path: string, o: CallOptions = {}): Promise<ApiResponse<T>> => {
    const headers: Record<string, string> = {};
    const authorization = o.authorization ?? (o.token ? `Bearer ${o.token}` : undefined);
    if (authorization) headers['authorization'] = authorization;
    const body = o.rawBody ?? (o.body === undefined ? undefined : JSON.stringify(o.body));
    if (body !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
    const res = await fetch(`${origin}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json: json as T & ErrorBody };
  };

  return {
    stack,
    app,
    origin,
    call,
    async login(username, password) {
      const res = await call<{ token: string }>('POST', '/api/auth/login', { body: { username, password } });
      if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${res.text}`);
      return res.json.token;
    },
    socket(namespace, token) {
      const s = io(`${origin}${namespace}`, {
        ...(token !== undefined ? { auth: { token } } : {}),
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
      });
      sockets.push(s);
      return s;
    },
    async close() {
      for (const s of sockets) s.close();
      await app.close();
      if (!opts.stack) await stack.close();
    },
  };
}

/**
 * One API for the whole test file, with the operator logged in: started before its tests and
 * closed after them. Read `api` and `token` inside the tests, once `beforeAll` has filled them.
 */
export function apiForFile(opts: Parameters<typeof startApi>[0] = {}): { api: ApiHarness; token: string } {
  const file = {} as { api: ApiHarness; token: string };
  beforeAll(async () => {
    file.api = await startApi({ worker: false, ...opts });
    file.token = await file.api.login(OPERATOR.username, OPERATOR.password);
  });
  afterAll(() => file.api?.close());
  return file;
}

/** Resolves with 'connect' or the connect_error message, whichever comes first. */
export function handshake(
  socket: Socket,
  timeoutMs = 5000,
): Promise<{ connected: true } | { connected: false; error: string }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no handshake outcome')), timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve({ connected: true });
    });
    socket.once('connect_error', (err: Error) => {
      clearTimeout(timer);
      resolve({ connected: false, error: err.message });
    });
  });
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A correctly signed HS256 token with arbitrary claims and header, for expiry and header tests. */
export function signToken(
  secret: string,
  claims: Record<string, unknown>,
  header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' },
): string {
  const input = `${b64(header)}.${b64(claims)}`;
  const algorithm = header['alg'] === 'HS384' ? 'sha384' : 'sha256';
  return `${input}.${createHmac(algorithm, secret).update(input).digest('base64url')}`;
}

export function expectEnvelope(res: ApiResponse<unknown>, status: number, code?: string): void {
  expect({ status: res.status, body: res.json }).toMatchObject({
    status,
    body: { error: { code: code ?? expect.any(String), message: expect.any(String) } },
  });
}

/** Every event a socket received, in order, for assertions after the fact. */
export function recordEvents(socket: Socket): {
  seen<T>(name: string, match?: (payload: T) => boolean): T | undefined;
  all<T>(name: string): T[];
} {
  const events: Array<{ name: string; payload: unknown }> = [];
  socket.onAny((name: string, payload: unknown) => events.push({ name, payload }));
  return {
    seen: <T>(name: string, match: (payload: T) => boolean = () => true) =>
      events.find((e) => e.name === name && match(e.payload as T))?.payload as T | undefined,
    all: <T>(name: string) => events.filter((e) => e.name === name).map((e) => e.payload as T),
  };
}

/** The envelope's error, or a test failure naming what came instead. */
export function errorOf(res: ApiResponse<unknown>): NonNullable<ErrorBody['error']> {
  if (!res.json?.error) throw new Error(`expected an error envelope, got ${res.status} ${res.text.slice(0, 200)}`);
  return res.json.error;
}

/** The pending approval of one workflow, once its projection is written. */
export function pendingApproval(api: ApiHarness, token: string, workflowId: string): Promise<ApprovalView> {
  return eventually(async () => {
    const res = await api.call<{ items: ApprovalView[] }>('GET', '/api/approvals?state=pending', { token });
    return res.json.items.find((a) => a.workflowId === workflowId);
  });
}

export function workflowResult(api: ApiHarness, workflowId: string): Promise<VmActionResult> {
  return api.stack.client.workflow.getHandle(workflowId).result() as Promise<VmActionResult>;
}
