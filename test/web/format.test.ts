import {
  formatAgo,
  formatBytes,
  formatClock,
  formatCountdown,
  formatDuration,
  formatPercent,
  formatUptime,
  guestLabel,
  ratioOf,
} from '../../apps/web/src/lib/format';

describe('formatting for the dashboard', () => {
  it.each([
    [0, '0 B'],
    [1023, '1023 B'],
    [1024, '1.00 KiB'],
    [15.6 * 1024 ** 3, '15.6 GiB'],
    [400 * 1024 ** 3, '400 GiB'],
    [3.6 * 1024 ** 4, '3.60 TiB'],
    [-1, '—'],
    [Number.NaN, '—'],
  ])('bytes %p → %p', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('prints percentages clamped to 0–100, since PVE can report a CPU a hair over 1', () => {
    expect([0, 0.123, 0.5, 1, 1.02, -0.1].map(formatPercent)).toEqual(['0%', '12%', '50%', '100%', '100%', '0%']);
    expect(formatPercent(Number.NaN)).toBe('—');
  });

  it('divides safely when an offline node reports no total', () => {
    expect(ratioOf(5, 0)).toBe(0);
    expect(ratioOf(5, 10)).toBe(0.5);
    expect(ratioOf(12, 10)).toBe(1);
  });

  it('prints uptime as its two largest units', () => {
    expect([0, 42, 125, 3 * 3600 + 12 * 60, 49 * 86_400 + 3 * 3600].map(formatUptime)).toEqual([
      '—',
      '42s',
      '2m 5s',
      '3h 12m',
      '49d 3h',
    ]);
  });

  it('prints step durations in ms, seconds or minutes', () => {
    expect([12, 999, 1500, 42_000, 61_000, 119_700].map(formatDuration)).toEqual([
      '12 ms',
      '999 ms',
      '1.5 s',
      '42 s',
      '1m 1s',
      '2m 0s',
    ]);
  });

  it('counts down to an expiry and says when it is urgent or over', () => {
    const at = '2026-01-01T00:10:00.000Z';
    const base = Date.parse(at);
    expect(formatCountdown(at, base - 272_000)).toEqual({ text: '4:32', expired: false, urgent: false });
    expect(formatCountdown(at, base - 59_500)).toEqual({ text: '1:00', expired: false, urgent: true });
    expect(formatCountdown(at, base - 3_725_000)).toEqual({ text: '1:02:05', expired: false, urgent: false });
    expect(formatCountdown(at, base)).toEqual({ text: 'expired', expired: true, urgent: true });
    expect(formatCountdown('not a date', base).text).toBe('—');
  });

  it('prints a wall-clock time and a coarse age', () => {
    expect(formatClock('2026-01-01T13:05:09.000Z')).toMatch(/^\d{2}:05:09$/);
    expect(formatClock('garbage')).toBe('—');
    const t = Date.parse('2026-01-01T00:00:00.000Z');
    const iso = '2026-01-01T00:00:00.000Z';
    expect([1000, 42_000, 5 * 60_000, 3 * 3_600_000, 2 * 86_400_000].map((d) => formatAgo(iso, t + d))).toEqual([
      'just now',
      '42 s ago',
      '5 min ago',
      '3 h ago',
      '2 d ago',
    ]);
  });

  it('labels guests the way operators name them', () => {
    expect(guestLabel(101, 'dns')).toBe('101 dns');
    expect(guestLabel(101)).toBe('101');
    expect(guestLabel(undefined, 'pve')).toBe('pve');
  });
});
