/** Display formatting, pure so it is tested without a browser. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** A 0–1 fraction as a whole percentage, clamped: PVE occasionally reports a CPU a hair over 1. */
export function formatPercent(fraction: number): string {
  if (!Number.isFinite(fraction)) return '—';
  return `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`;
}

/** `fraction` of `total`, 0 when there is no total (an offline node reports maxmem 0). */
export function ratioOf(used: number, total: number): number {
  return total > 0 && Number.isFinite(used) ? Math.min(1, Math.max(0, used / total)) : 0;
}

/** Seconds of uptime as the two largest units: `3d 4h`, `5h 12m`, `42s`. */
export function formatUptime(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '—';
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** A step's duration: milliseconds below a second, then seconds, then minutes. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s === 60 ? `${m + 1}m 0s` : `${m}m ${s}s`;
}

/** Time left until `expiresAt` as `m:ss` (or `h:mm:ss`), and whether it has run out. */
export function formatCountdown(expiresAt: string, nowMs: number): { text: string; expired: boolean; urgent: boolean } {
  const left = Date.parse(expiresAt) - nowMs;
  if (!Number.isFinite(left)) return { text: '—', expired: false, urgent: false };
  if (left <= 0) return { text: 'expired', expired: true, urgent: true };
  const total = Math.ceil(left / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return { text: h > 0 ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`, expired: false, urgent: total <= 60 };
}

/** An ISO time as the operator's local wall clock, `HH:MM:SS`. */
export function formatClock(iso: string | number, locale?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleTimeString(locale ?? 'en-GB', { hour12: false });
}

/** How long ago, coarse: `just now`, `42 s ago`, `5 min ago`, `3 h ago`, `2 d ago`. */
export function formatAgo(iso: string, nowMs: number): string {
  const ms = nowMs - Date.parse(iso);
  if (!Number.isFinite(ms)) return '—';
  if (ms < 5_000) return 'just now';
  if (ms < 60_000) return `${Math.floor(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.floor(ms / 3_600_000)} h ago`;
  return `${Math.floor(ms / 86_400_000)} d ago`;
}

/** A guest as operators name it: `101 dns`. */
export function guestLabel(vmid: number | undefined, name?: string): string {
  if (vmid === undefined) return name ?? '';
  return name ? `${vmid} ${name}` : String(vmid);
}

/** A node's temperatures as `54 °C / 61 °C` (CPU package / hottest core), `n/a` when it has no sensor. */
export function formatTemperature(t: { packageC: number; maxCoreC: number } | null | undefined): string {
  if (!t || !Number.isFinite(t.packageC) || !Number.isFinite(t.maxCoreC)) return 'n/a';
  return `${Math.round(t.packageC)} °C / ${Math.round(t.maxCoreC)} °C`;
}
