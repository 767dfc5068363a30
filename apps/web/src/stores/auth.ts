import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { http, isHttpError } from '../api/http';
import { type KeyValueStorage } from './storage';

/** Where older dashboards kept the token; removed on load (the token now lives in memory only). */
export const LEGACY_SESSION_KEY = 'jarvis.session';

interface Session {
  token: string;
  username: string;
  expiresAt: string;
}

interface TokenAnswer {
  token: string;
  expiresAt: string;
}

/** The operator named in a JWT's `sub`, read without verifying: the API verifies, this only labels. */
export function tokenSubject(token: string): string | undefined {
  try {
    const part = token.split('.')[1];
    if (!part) return undefined;
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const sub = (JSON.parse(json) as { sub?: unknown }).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined;
  }
}

/**
 * When to renew a token expiring at `expiresAtMs`: a minute before, or a quarter of what is left
 * when that is shorter, and never sooner than a second from now.
 */
export function renewalDelayMs(expiresAtMs: number, nowMs = Date.now()): number {
  const left = expiresAtMs - nowMs;
  // setTimeout fires at once for a delay past 2^31-1 ms (~24 days): cap it there.
  return Math.min(2 ** 31 - 1, Math.max(1000, left - Math.min(60_000, left / 4)));
}

/**
 * One refresh at a time across every tab of this origin (Web Locks): the cookie rotates on each
 * refresh and an old one presented again ends the session, so two tabs must not race with one.
 */
function oneAtATime<T>(run: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as { locks?: LockManager } | undefined)?.locks;
  return locks ? locks.request('jarvis.auth.refresh', run) : run();
}

export type LoginFailure =
  | { kind: 'credentials'; message: string }
  | { kind: 'rate-limited'; message: string; retryAfterSeconds: number }
  | { kind: 'unreachable'; message: string }
  | { kind: 'other'; message: string };

/**
 * The operator's session. The access token is kept in memory only (never Web Storage, where any
 * script on the page could read it); a reload gets a new one from the httpOnly refresh cookie,
 * and it is renewed shortly before it expires.
 */
export const useAuthStore = defineStore('auth', () => {
  const token = ref<string | null>(null);
  const username = ref<string | null>(null);
  const expiresAt = ref<string | null>(null);
  /** True while a reload asks the API whether the cookie still holds a session. */
  const restoring = ref(false);
  const loggedIn = computed(() => token.value !== null);
  let renewTimer: ReturnType<typeof setTimeout> | undefined;
  let inflight: Promise<string | null> | null = null;

  function set(session: Session | null): void {
    token.value = session?.token ?? null;
    username.value = session?.username ?? null;
    expiresAt.value = session?.expiresAt ?? null;
    clearTimeout(renewTimer);
    if (session) renewTimer = setTimeout(() => void refresh(), renewalDelayMs(Date.parse(session.expiresAt)));
  }

  function accept(answer: TokenAnswer, fallbackName?: string): string {
    set({
      token: answer.token,
      username: tokenSubject(answer.token) ?? fallbackName ?? 'operator',
      expiresAt: answer.expiresAt,
    });
    return answer.token;
  }

  /** Logs in; resolves to null on success, or to what went wrong in words the login form shows. */
  async function login(name: string, password: string): Promise<LoginFailure | null> {
    try {
      const res = await http.post<TokenAnswer>('/api/auth/login', { username: name, password }, { anonymous: true });
      accept(res, name);
      return null;
    } catch (err) {
      if (!isHttpError(err)) return { kind: 'other', message: String(err) };
      if (err.status === 401) return { kind: 'credentials', message: 'Wrong username or password.' };
      if (err.status === 429) {
        const fromDetails = Number(err.details?.['retryAfterSeconds']);
        const retryAfterSeconds = err.retryAfterSeconds ?? (Number.isFinite(fromDetails) ? fromDetails : 60);
        return {
          kind: 'rate-limited',
          message: `Too many failed attempts. Try again in ${retryAfterSeconds} s.`,
          retryAfterSeconds,
        };
      }
      if (err.status === 0) return { kind: 'unreachable', message: 'Cannot reach the JARVIS API. Is it running?' };
      if (err.status === 400) return { kind: 'credentials', message: 'Enter a username and a password.' };
      return { kind: 'other', message: err.message };
    }
  }

  /**
   * A new access token from the refresh cookie; null when the session is over (then logged out
   * here too). An unreachable API keeps the current token and tries again shortly.
   */
  function refresh(): Promise<string | null> {
    inflight ??= oneAtATime(async () => {
      try {
        return accept(await http.post<TokenAnswer>('/api/auth/refresh', undefined, { anonymous: true }));
      } catch (err) {
        if (isHttpError(err) && err.status === 401) set(null);
        else if (token.value) renewTimer = setTimeout(() => void refresh(), 5000);
        return null;
      }
    }).finally(() => {
      inflight = null;
    });
    return inflight;
  }

  /** On page load: forget any token an older dashboard stored, and resume the session from the cookie. */
  async function restore(storage: KeyValueStorage): Promise<void> {
    storage.removeItem(LEGACY_SESSION_KEY);
    restoring.value = true;
    try {
      await refresh();
    } finally {
      restoring.value = false;
    }
  }

  /** Ends the session on the server (its tokens and sockets stop working), then here. */
  async function logout(): Promise<void> {
    try {
      if (token.value) await http.post('/api/auth/logout', undefined, { noRenew: true });
    } catch {
      // Already over on the server, or the API is away: the token is dropped here either way.
    } finally {
      set(null);
    }
  }

  /** Forgets the session here only: the server already refused it. */
  function forget(): void {
    set(null);
  }

  return { token, username, expiresAt, restoring, loggedIn, login, refresh, restore, logout, forget };
});
