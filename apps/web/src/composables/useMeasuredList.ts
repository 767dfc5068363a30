import { computed, nextTick, onBeforeUnmount, onMounted, ref, watch, type Ref, type WatchSource } from 'vue';
import { isAtBottom, measuredWindow, prefixOffsets } from '../lib/measured-window';
import { type VirtualWindow } from '../lib/virtual-window';

export interface MeasuredListOptions {
  /** Render everything up to this many rows; window the list past it. */
  readonly threshold?: number;
  /** Height assumed for a row not measured yet, in pixels. */
  readonly estimate?: number;
  readonly overscan?: number;
}

/**
 * Windowed rendering for rows of different, changing heights (chat messages that grow while they
 * stream). Each rendered row carries `data-key`; a ResizeObserver keeps its measured height, so
 * the spacers stay true. A row above the viewport that changes height moves the scroll position
 * by as much, so what the reader looks at does not jump; new content is followed only when the
 * reader was already at the bottom.
 */
export function useMeasuredList(
  keys: Ref<readonly string[]>,
  changes: WatchSource<unknown>,
  opts: MeasuredListOptions = {},
) {
  const threshold = opts.threshold ?? 100;
  const estimate = opts.estimate ?? 72;
  const overscan = opts.overscan ?? 4;
  const container = ref<HTMLElement | null>(null);
  const scrollTop = ref(0);
  const viewport = ref(600);
  const atBottom = ref(true);
  /** New rows arrived while the reader was scrolled up. */
  const unseen = ref(0);
  const heights = new Map<string, number>();
  const measured = ref(0);
  const observed = new Map<Element, string>();
  let frame = 0;
  let observer: ResizeObserver | undefined;
  let containerObserver: ResizeObserver | undefined;

  const virtual = computed(() => keys.value.length > threshold);
  const offsets = computed(() => {
    void measured.value;
    return prefixOffsets(
      keys.value.map((k) => heights.get(k)),
      estimate,
    );
  });
  const win = computed<VirtualWindow>(() =>
    virtual.value
      ? measuredWindow(offsets.value, scrollTop.value, viewport.value, overscan)
      : { start: 0, end: keys.value.length, padTop: 0, padBottom: 0 },
  );

  function toBottom(): void {
    const el = container.value;
    if (!el) return;
    el.scrollTop = el.scrollHeight;
    scrollTop.value = el.scrollTop;
    atBottom.value = true;
    unseen.value = 0;
  }

  function onScroll(): void {
    const el = container.value;
    if (!el) return;
    atBottom.value = isAtBottom(el.scrollTop, el.clientHeight, el.scrollHeight);
    if (atBottom.value) unseen.value = 0;
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      scrollTop.value = container.value?.scrollTop ?? 0;
    });
  }

  function onResize(entries: ResizeObserverEntry[]): void {
    const el = container.value;
    let shift = 0;
    let changed = false;
    for (const entry of entries) {
      const key = observed.get(entry.target);
      if (key === undefined) continue;
      const h = entry.borderBoxSize?.[0]?.blockSize ?? (entry.target as HTMLElement).offsetHeight;
      const old = heights.get(key);
      if (h <= 0 || old === h) continue;
      heights.set(key, h);
      changed = true;
      // A row that ends above the visible top pushes the content down: keep the reader's place.
      if (el && !atBottom.value && (entry.target as HTMLElement).offsetTop + h <= el.scrollTop)
        shift += h - (old ?? estimate);
    }
    if (!changed) return;
    measured.value++;
    if (!el) return;
    if (atBottom.value) void nextTick(toBottom);
    else if (shift !== 0 && virtual.value) el.scrollTop += shift;
  }

  /** Observes the rows now in the DOM and lets go of those that left. */
  function sync(): void {
    const el = container.value;
    if (!el || !observer) return;
    for (const [row] of observed)
      if (!row.isConnected) {
        observer.unobserve(row);
        observed.delete(row);
      }
    for (const row of el.querySelectorAll<HTMLElement>('[data-key]')) {
      if (observed.has(row)) continue;
      observed.set(row, row.dataset['key']!);
      observer.observe(row);
    }
  }

  onMounted(() => {
    observer = new ResizeObserver(onResize);
    const el = container.value;
    if (el) {
      viewport.value = el.clientHeight || viewport.value;
      containerObserver = new ResizeObserver(() => {
        if (el.clientHeight > 0) viewport.value = el.clientHeight;
        if (atBottom.value) toBottom();
      });
      containerObserver.observe(el);
    }
    sync();
    toBottom();
  });
  onBeforeUnmount(() => {
    observer?.disconnect();
    containerObserver?.disconnect();
    observed.clear();
    if (frame) cancelAnimationFrame(frame);
  });

  watch(win, sync, { flush: 'post' });
  watch(
    () => keys.value.length,
    (n, before) => {
      if (!atBottom.value && n > before) unseen.value += n - before;
    },
  );
  watch(
    changes,
    () => {
      sync();
      if (atBottom.value) toBottom();
    },
    { flush: 'post' },
  );

  return { container, win, virtual, atBottom, unseen, onScroll, toBottom };
}
