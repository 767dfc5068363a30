import { onBeforeUnmount, onMounted, shallowRef, type ShallowRef } from 'vue';
import { http } from '../api/http';
import { type RrdRow } from '../lib/api-types';
import { rrdSeries } from '../lib/sparkline';

export interface NodeSeries {
  readonly cpu: (number | null)[];
  readonly mem: (number | null)[];
}

/** PVE writes one RRD row a minute; asking more often would only fetch the same rows. */
const REFRESH_MS = 60_000;

interface Entry {
  series: ShallowRef<NodeSeries | null>;
  users: number;
  timer?: ReturnType<typeof setInterval>;
}
const cache = new Map<string, Entry>();

async function load(node: string, entry: Entry): Promise<void> {
  try {
    const res = await http.get<{ items: RrdRow[] }>(`/api/nodes/${encodeURIComponent(node)}/rrd?timeframe=hour`);
    entry.series.value = Object.freeze(rrdSeries(res.items));
  } catch {
    // A sparkline is garnish: keep the last one drawn and try again at the next refresh.
  }
}

/** The CPU and memory history of one node, shared by everything that shows it and refreshed each minute. */
export function useNodeHistory(node: string): ShallowRef<NodeSeries | null> {
  let entry = cache.get(node);
  if (!entry) {
    entry = { series: shallowRef<NodeSeries | null>(null), users: 0 };
    cache.set(node, entry);
  }
  const e = entry;
  onMounted(() => {
    if (e.users++ === 0) {
      void load(node, e);
      e.timer = setInterval(() => void load(node, e), REFRESH_MS);
    }
  });
  onBeforeUnmount(() => {
    if (--e.users === 0) clearInterval(e.timer);
  });
  return e.series;
}
