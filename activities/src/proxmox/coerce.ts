/**
 * Tolerant readers for PVE's wire values. PVE sends booleans as 0/1, some numbers as strings
 * ("800.000", loadavg, lxc vmids before 8.1), and leaves keys out instead of sending null, so
 * every field is read through one of these instead of being trusted as typed.
 */

export type RawRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is RawRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A finite number from a number or a numeric string; otherwise undefined. */
export function num(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** A non-negative measurement; absent or nonsense reads as 0, which is what PVE's omission means. */
export function measure(value: unknown): number {
  const n = num(value);
  return n !== undefined && n > 0 ? n : 0;
}

export function int(value: unknown): number | undefined {
  const n = num(value);
  return n !== undefined && Number.isInteger(n) ? n : undefined;
}

/** PVE booleans: 1/0, "1"/"0", and the occasional real boolean or "true"/"false". */
export function bool(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === '1' || value === 'true') return true;
  if (value === 0 || value === '0' || value === 'false' || value === '') return false;
  return undefined;
}

export function str(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** A non-empty string, or undefined. */
export function text(value: unknown): string | undefined {
  const s = str(value);
  return s !== undefined && s !== '' ? s : undefined;
}

/** PVE tags are separated by ';' (also accepted on input: ',' and spaces). */
export function tagList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(str).filter((t): t is string => t !== undefined && t !== '');
  const s = str(value);
  if (s === undefined) return [];
  return s.split(/[;,\s]+/).filter((t) => t !== '');
}

/** Keeps the items a parser accepts and counts the ones it had to drop. */
export function parseList<T>(raw: unknown, parse: (entry: unknown) => T | undefined): { items: T[]; dropped: number } {
  if (!Array.isArray(raw)) return { items: [], dropped: 0 };
  const items: T[] = [];
  let dropped = 0;
  for (const entry of raw) {
    const parsed = parse(entry);
    if (parsed === undefined) dropped++;
    else items.push(parsed);
  }
  return { items, dropped };
}
