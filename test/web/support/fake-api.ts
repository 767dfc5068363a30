import { configureHttp } from '../../../apps/web/src/api/http';

export interface FakeCall {
  readonly method: string;
  readonly path: string;
  readonly body: unknown;
  readonly authorization: string | null;
}

export type FakeReply = { status: number; body?: unknown; headers?: Record<string, string> };
type Handler = (call: FakeCall) => FakeReply | Promise<FakeReply>;

/**
 * Points the dashboard's HTTP client at canned answers, keyed by "METHOD /path", and records
 * every call, so a store's requests and its handling of the answers are checked without a server.
 */
export function fakeApi(routes: Record<string, Handler | FakeReply>, token = 'tok') {
  const calls: FakeCall[] = [];
  let unauthorized = 0;
  configureHttp({
    baseUrl: '',
    token: () => token,
    onUnauthorized: () => unauthorized++,
    fetch: async (input, init) => {
      const headers = new Headers(init?.headers);
      const call: FakeCall = {
        method: init?.method ?? 'GET',
        path: input,
        body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
        authorization: headers.get('authorization'),
      };
      calls.push(call);
      const route = routes[`${call.method} ${call.path}`];
      if (!route)
        return new Response(JSON.stringify({ error: { code: 'NOT_FOUND', message: 'no route' } }), { status: 404 });
      const reply = typeof route === 'function' ? await route(call) : route;
      return new Response(reply.body === undefined ? '' : JSON.stringify(reply.body), {
        status: reply.status,
        headers: { 'content-type': 'application/json', ...reply.headers },
      });
    },
  });
  return { calls, unauthorizedCount: () => unauthorized };
}

export const envelope = (code: string, message: string, details?: Record<string, unknown>) => ({
  error: { code, message, ...(details ? { details } : {}) },
});
