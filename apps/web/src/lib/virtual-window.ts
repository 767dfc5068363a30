export interface VirtualWindow {
  /** First and one-past-last index to render. */
  readonly start: number;
  readonly end: number;
  /** Spacers above and below the rendered rows, in pixels, so the scrollbar stays true. */
  readonly padTop: number;
  readonly padBottom: number;
}

/**
 * Which rows of a fixed-row-height list to render for a scroll position: the visible ones plus
 * `overscan` either side, so fast scrolling does not show blank rows before the next frame.
 */
export function virtualWindow(
  count: number,
  rowHeight: number,
  scrollTop: number,
  viewportHeight: number,
  overscan = 8,
): VirtualWindow {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0, padTop: 0, padBottom: 0 };
  const maxTop = Math.max(0, count * rowHeight - viewportHeight);
  const top = Math.min(Math.max(0, scrollTop), maxTop);
  const first = Math.floor(top / rowHeight);
  const visible = Math.ceil(Math.max(viewportHeight, rowHeight) / rowHeight) + 1;
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, first + visible + overscan);
  return { start, end, padTop: start * rowHeight, padBottom: (count - end) * rowHeight };
}
