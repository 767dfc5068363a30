import { defineStore } from 'pinia';
import { ref } from 'vue';

export type LinkStatus = 'idle' | 'connecting' | 'live' | 'down';

/** No word about the cluster for this long means what is on screen may be old (the server sends it whole every 30 s). */
export const STALE_AFTER_MS = 45_000;

export type Freshness = 'live' | 'stale' | 'offline' | 'connecting';

/** What the indicator says, from the socket's state, the server's own flag and how old the data is. */
export function freshness(
  status: LinkStatus,
  serverStale: boolean,
  receivedAt: number | null,
  nowMs: number,
): Freshness {
  if (status === 'down') return 'offline';
  if (status !== 'live') return receivedAt === null ? 'connecting' : 'offline';
  if (serverStale) return 'stale';
  if (receivedAt === null) return 'connecting';
  return nowMs - receivedAt > STALE_AFTER_MS ? 'stale' : 'live';
}

export const useConnectionStore = defineStore('connection', () => {
  const status = ref<LinkStatus>('idle');
  const since = ref<number>(Date.now());
  const reconnects = ref(0);
  const lastError = ref<string | null>(null);
  const clusterError = ref<string | null>(null);

  function setStatus(next: LinkStatus, error?: string): void {
    if (status.value !== next) since.value = Date.now();
    status.value = next;
    if (error !== undefined) lastError.value = error;
    if (next === 'live') lastError.value = null;
  }

  function reset(): void {
    status.value = 'idle';
    reconnects.value = 0;
    lastError.value = null;
    clusterError.value = null;
  }

  return { status, since, reconnects, lastError, clusterError, setStatus, reset };
});
