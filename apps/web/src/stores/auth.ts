import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { http, isHttpError } from '../api/http';
import { readJson, type KeyValueStorage } from './storage';

const KEY = 'jarvis.session';

interface Session {
  token: string;
  username: string;
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

export type LoginFailure =
  | { kind: 'credentials'; message: string }
  | { kind: 'rate-limited'; message: string; retryAfterSeconds: number }
  | { kind: 'unreachable'; message: string }
  | { kind: 'other'; message: string };

export const useAuthStore = defineStore('auth', () => {
  const token = ref<string | null>(null);
  const username = ref<string | null>(null);
  const expiresAt = ref<string | null>(null);
  const loggedIn = computed(() => token.value !== null);

  function set(session: Session | null): void {
    token.value = session?.token ?? null;
    username.value = session?.username ?? null;
    expiresAt.value = session?.expiresAt ?? null;
  }

  /** Logs in; resolves to null on success, or to what went wrong in words the login form shows. */
  async function login(name: string, password: string): Promise<LoginFailure | null> {
    try {
      const res = await http.post<{ token: string; expiresAt: string }>(
        '/api/auth/login',
        { username: name, password },
        { anonymous: true },
      );
      set({ token: res.token, username: tokenSubject(res.token) ?? name, expiresAt: res.expiresAt });
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

  function logout(): void {
    set(null);
  }

  /** Restores a saved session, unless it has expired (or will within a minute). */
  function hydrate(storage: KeyValueStorage, nowMs = Date.now()): void {
    const saved = readJson(storage, KEY) as Partial<Session> | undefined;
    if (
      typeof saved?.token === 'string' &&
      typeof saved.username === 'string' &&
      typeof saved.expiresAt === 'string' &&
      Date.parse(saved.expiresAt) - nowMs > 60_000
    ) {
      set({ token: saved.token, username: saved.username, expiresAt: saved.expiresAt });
    } else {
      set(null);
      storage.removeItem(KEY);
    }
  }

  function dehydrate(storage: KeyValueStorage): void {
    if (token.value && username.value && expiresAt.value)
      storage.setItem(
        KEY,
        JSON.stringify({ token: token.value, username: username.value, expiresAt: expiresAt.value }),
      );
    else storage.removeItem(KEY);
  }

  return { token, username, expiresAt, loggedIn, login, logout, hydrate, dehydrate };
});
