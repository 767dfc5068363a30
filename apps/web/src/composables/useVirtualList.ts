import { computed, onBeforeUnmount, onMounted, ref, type Ref } from 'vue';
import { virtualWindow } from '../lib/virtual-window';

/**
 * Windowed rendering for a scroll container of fixed-height rows: only the visible rows (plus an
 * overscan) exist in the DOM, so 2,000 guests scroll like 20. Scroll events are read once a frame.
 */
export function useVirtualList(count: Ref<number>, rowHeight: Ref<number>, overscan = 10) {
  const container = ref<HTMLElement | null>(null);
  const scrollTop = ref(0);
  // Until measured, assume a viewport tall enough that a small cluster renders whole.
  const viewport = ref(720);
  let frame = 0;
  let observer: ResizeObserver | undefined;

  function onScroll(): void {
    if (frame) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      scrollTop.value = container.value?.scrollTop ?? 0;
    });
  }

  onMounted(() => {
    const el = container.value;
    if (!el) return;
    viewport.value = el.clientHeight || viewport.value;
    observer = new ResizeObserver(() => {
      if (el.clientHeight > 0) viewport.value = el.clientHeight;
    });
    observer.observe(el);
  });
  onBeforeUnmount(() => {
    observer?.disconnect();
    if (frame) cancelAnimationFrame(frame);
  });

  const win = computed(() => virtualWindow(count.value, rowHeight.value, scrollTop.value, viewport.value, overscan));

  function scrollToIndex(index: number): void {
    const el = container.value;
    if (!el) return;
    const top = index * rowHeight.value;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + rowHeight.value > el.scrollTop + el.clientHeight)
      el.scrollTop = top + rowHeight.value - el.clientHeight;
    scrollTop.value = el.scrollTop;
  }

  return { container, win, onScroll, scrollToIndex };
}
