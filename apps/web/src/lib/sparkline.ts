import { type RrdRow } from './api-types';

/** The CPU (0–1) and memory (used/total) series of a node's RRD rows; missed cycles become gaps. */
export function rrdSeries(rows: readonly RrdRow[]): { cpu: (number | null)[]; mem: (number | null)[] } {
  const cpu: (number | null)[] = [];
  const mem: (number | null)[] = [];
  for (const r of rows) {
    const c = r['cpu'];
    cpu.push(typeof c === 'number' && Number.isFinite(c) ? Math.min(1, Math.max(0, c)) : null);
    const used = r['memused'];
    const total = r['memtotal'];
    mem.push(typeof used === 'number' && typeof total === 'number' && total > 0 ? Math.min(1, used / total) : null);
  }
  return { cpu, mem };
}

/**
 * An SVG path for values in 0–1 across a `width` × `height` box (y grows downward). A gap
 * (null) lifts the pen, so a missed sample is not drawn as a dive to zero.
 */
export function sparklinePath(values: readonly (number | null)[], width: number, height: number): string {
  if (values.length === 0) return '';
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  let d = '';
  let penDown = false;
  values.forEach((v, i) => {
    if (v === null) {
      penDown = false;
      return;
    }
    const x = +(i * step).toFixed(1);
    const y = +(height - v * height).toFixed(1);
    d += `${penDown ? 'L' : 'M'}${x} ${y}`;
    penDown = true;
  });
  return d;
}

/** The newest real value of a series, for the number printed beside the line. */
export function lastValue(values: readonly (number | null)[]): number | undefined {
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (v !== null && v !== undefined) return v;
  }
  return undefined;
}
