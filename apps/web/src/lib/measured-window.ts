import { type VirtualWindow } from './virtual-window';

/**
 * Which rows of a list with rows of different heights to render: heights measured once a row
 * has been on screen, an estimate for the rest. `offsets` are the prefix sums (length count + 1),
 * so the scrollbar stays true as rows are measured.
 */
export function prefixOffsets(heights: readonly (number | undefined)[], estimate: number): number[] {
  const offsets = new Array<number>(heights.length + 1);
  offsets[0] = 0;
  for (let i = 0; i < heights.length; i++) offsets[i + 1] = offsets[i]! + (heights[i] ?? estimate);
  return offsets;
}

/** The last index whose row starts at or before `y` (binary search over the offsets). */
export function indexAt(offsets: readonly number[], y: number): number {
  let lo = 0;
  let hi = offsets.length - 2;
  if (hi < 0) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid]! <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export function measuredWindow(
  offsets: readonly number[],
  scrollTop: number,
  viewportHeight: number,
  overscan = 4,
): VirtualWindow {
  const count = offsets.length - 1;
  if (count <= 0) return { start: 0, end: 0, padTop: 0, padBottom: 0 };
  const total = offsets[count]!;
  const top = Math.min(Math.max(0, scrollTop), Math.max(0, total - viewportHeight));
  const first = indexAt(offsets, top);
  const last = indexAt(offsets, top + Math.max(viewportHeight, 1));
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, last + 1 + overscan);
  return { start, end, padTop: offsets[start]!, padBottom: total - offsets[end]! };
}

/** Within `slack` pixels of the end: new content should follow the reader down. */
export function isAtBottom(scrollTop: number, clientHeight: number, scrollHeight: number, slack = 32): boolean {
  return scrollHeight - scrollTop - clientHeight <= slack;
}
