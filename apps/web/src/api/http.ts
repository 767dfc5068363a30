/**
 * The one way the dashboard calls the API: JSON in and out, the bearer token attached, and every
 * failure turned into an HttpError carrying the envelope's code (CONTRACT "Errors").
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
    /** From Retry-After (429). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export function isHttpError(err: unknown): err is HttpError {
  return err instanceof Error && err.name === 'HttpError';
}

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface HttpConfig {
  /** Prefix of every path; empty when the API serves the page (the demo). */
  readonly baseUrl: string;
  readonly fetch: FetchLike;
  readonly token: () => string | null | undefined;
  /**
   * A 401 on an authenticated call: get a fresh access token through the refresh cookie; the
   * call is retried once with it. Null: the session is over.
   */
  readonly renew: () => Promise<string | null>;
  /** A 401 that renewing did not cure: the session ended (logout elsewhere) or the operator was removed. */
  readonly onUnauthorized: () => void;
}

let config: HttpConfig = {
  baseUrl: '',
  fetch: (input, init) => globalThis.fetch(input, init),
  token: () => undefined,
  renew: () => Promise.resolve(null),
  onUnauthorized: () => undefined,
};

export function configureHttp(patch: Partial<HttpConfig>): void {
  config = { ...config, ...patch };
}

export interface RequestOptions {
  readonly body?: unknown;
  /** Login is the one call made without a token, and whose 401 means "wrong password", not "log out". */
  readonly anonymous?: boolean;
  /** Do not try the refresh cookie on a 401 (logout: a 401 there means already logged out). */
  readonly noRenew?: boolean;
  readonly signal?: AbortSignal;
  /** Answer the body as text (a terminal recording), not JSON; errors still carry the envelope. */
  readonly text?: boolean;
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: opts.text ? '*/*' : 'application/json' };
  const token = opts.anonymous ? undefined : config.token();
  if (token) headers['authorization'] = `Bearer ${token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await config.fetch(`${config.baseUrl}${path}`, {
      method,
      headers,
      // The refresh cookie (httpOnly, SameSite=Strict, Path=/api/auth) goes to our own origin only.
      credentials: 'same-origin',
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new HttpError(0, 'NETWORK', 'JARVIS cannot reach its API');
  }
  const text = await res.text();
  if (res.ok && opts.text) return text as T;
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (res.ok) return json as T;
  const envelope = (json as { error?: { code?: unknown; message?: unknown; details?: unknown } } | undefined)?.error;
  const retryAfter = Number(res.headers.get('retry-after'));
  const error = new HttpError(
    res.status,
    typeof envelope?.code === 'string' ? envelope.code : `HTTP_${res.status}`,
    typeof envelope?.message === 'string' ? envelope.message : `${method} ${path} failed (${res.status})`,
    typeof envelope?.details === 'object' && envelope.details !== null
      ? (envelope.details as Record<string, unknown>)
      : undefined,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  );
  if (res.status === 401 && !opts.anonymous && token) {
    const fresh = opts.noRenew ? null : await config.renew();
    if (fresh && fresh !== token) return request<T>(method, path, { ...opts, noRenew: true });
    config.onUnauthorized();
  }
  throw error;
}

export const http = {
  get: <T>(path: string, opts?: Omit<RequestOptions, 'body'>) => request<T>('GET', path, opts),
  post: <T>(path: string, body?: unknown, opts?: Omit<RequestOptions, 'body'>) =>
    request<T>('POST', path, { ...opts, body: body ?? {} }),
  put: <T>(path: string, body: unknown, opts?: Omit<RequestOptions, 'body'>) =>
    request<T>('PUT', path, { ...opts, body }),
  text: (path: string, opts?: Omit<RequestOptions, 'body' | 'text'>) =>
    request<string>('GET', path, { ...opts, text: true }),
};
