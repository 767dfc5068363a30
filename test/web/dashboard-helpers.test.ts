import { contrastRatio, relativeLuminance } from '../../apps/web/src/lib/contrast';
import { filterGuests, guestSearchText } from '../../apps/web/src/lib/guest-filter';
import { resolveShortcut, SHORTCUTS } from '../../apps/web/src/lib/shortcuts';
import { type RrdRow } from '../../apps/web/src/lib/api-types';
import { lastValue, rrdSeries, sparklinePath } from '../../apps/web/src/lib/sparkline';
import { COLOURWAYS, colourwayVariables, findColourway, MODES, nextMode } from '../../apps/web/src/lib/themes';
import { storageLevel, temperatureLevel, usageLevel } from '../../apps/web/src/lib/thresholds';
import { actionAllowed, previewGuestTier } from '../../apps/web/src/lib/tiers';
import { virtualWindow } from '../../apps/web/src/lib/virtual-window';
import { guest } from './support/fixtures';

describe('tier preview (the defaults, before the server answers)', () => {
  it.each([
    ['an ordinary guest', guest(100), 'YELLOW'],
    ['an HA-managed guest', guest(102, { hastate: 'started' }), 'RED'],
    ['a guest HA ignores', guest(102, { hastate: 'ignored' }), 'YELLOW'],
    ["Jarvis's own VM 103", guest(103, { node: 'agent1' }), 'BLACK'],
    ['VM 103 even if HA-managed', guest(103, { node: 'agent1', hastate: 'started' }), 'BLACK'],
  ])('%s is %s', (_name, g, tier) => {
    expect(previewGuestTier(g).tier).toBe(tier);
  });

  it('offers only the actions that fit the guest state, and none for templates', () => {
    expect(actionAllowed(guest(1, { status: 'stopped' }), 'start')).toBe(true);
    expect(actionAllowed(guest(1, { status: 'stopped' }), 'stop')).toBe(false);
    expect(actionAllowed(guest(1), 'start')).toBe(false);
    expect(['stop', 'shutdown', 'reboot'].every((a) => actionAllowed(guest(1), a as 'stop'))).toBe(true);
    expect(actionAllowed(guest(1, { template: true, status: 'stopped' }), 'start')).toBe(false);
  });
});

describe('thresholds', () => {
  it('colours storage: over 90 % warns, over 95 % is critical', () => {
    expect([0.5, 0.9, 0.9001, 0.95, 0.951, 1].map(storageLevel)).toEqual([
      'ok',
      'ok',
      'warn',
      'warn',
      'critical',
      'critical',
    ]);
  });
  it('colours usage bars and temperatures', () => {
    expect([0.5, 0.8, 0.95].map(usageLevel)).toEqual(['ok', 'warn', 'critical']);
    expect([60, 75, 90].map(temperatureLevel)).toEqual(['ok', 'warn', 'critical']);
  });
});

describe('colourways', () => {
  const TEXT = ['text', 'muted', 'accent', 'ok', 'warn', 'crit'] as const;

  it('offers at least five, each with every token', () => {
    expect(COLOURWAYS.length).toBeGreaterThanOrEqual(5);
    expect(new Set(COLOURWAYS.map((c) => c.id)).size).toBe(COLOURWAYS.length);
    for (const c of COLOURWAYS) expect(Object.values(colourwayVariables(c)).every((v) => v.length > 0)).toBe(true);
  });

  it.each(COLOURWAYS.map((c) => [c.id, c] as const))(
    '%s: every text colour meets WCAG AA on its backgrounds',
    (_id, c) => {
      const failures: string[] = [];
      const check = (fg: string, bg: string, label: string) => {
        const ratio = contrastRatio(fg, bg);
        if (ratio < 4.5) failures.push(`${label} ${ratio.toFixed(2)}`);
      };
      for (const t of TEXT) {
        check(c[t], c.bg, `${t}/bg`);
        check(c[t], c.panel, `${t}/panel`);
      }
      check(c.onAccent, c.accent, 'onAccent/accent');
      check(c.onTierLight, c.tierGreen, 'GREEN badge');
      check(c.onTierLight, c.tierYellow, 'YELLOW badge');
      check(c.onTierDark, c.tierRed, 'RED badge');
      check(c.onTierDark, c.tierBlack, 'BLACK badge');
      expect(failures).toEqual([]);
    },
  );

  it('computes contrast as WCAG defines it', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
    expect(relativeLuminance('#ffffff')).toBe(1);
    expect(() => contrastRatio('red', '#000000')).toThrow();
  });

  it('falls back to the default for an unknown id, and cycles the three modes', () => {
    expect(findColourway('nope').id).toBe('amber');
    expect(MODES.map((m) => m.id)).toEqual(['jarvis', 'ops', 'minimal']);
    expect(nextMode('minimal')).toBe('jarvis');
  });
});

describe('keyboard shortcuts', () => {
  it.each([
    ['i', 'focus-inbox'],
    ['a', 'approve'],
    ['r', 'reject'],
    ['m', 'cycle-mode'],
    ['/', 'search-guests'],
    ['?', 'toggle-help'],
    ['Escape', 'close'],
    ['j', 'next-approval'],
  ])('%s → %s', (key, command) => {
    expect(resolveShortcut({ key })).toBe(command);
  });

  it('leaves typing alone, except Escape', () => {
    expect(resolveShortcut({ key: 'a', inEditable: true })).toBeUndefined();
    expect(resolveShortcut({ key: 'Escape', inEditable: true })).toBe('close');
  });

  it('leaves browser shortcuts and page scrolling alone', () => {
    expect(resolveShortcut({ key: 'r', ctrlKey: true })).toBeUndefined();
    expect(resolveShortcut({ key: 'ArrowDown' })).toBeUndefined();
    expect(resolveShortcut({ key: 'ArrowDown', inInbox: true })).toBe('next-approval');
  });

  it('lists every command in the help overlay', () => {
    const commands = new Set(SHORTCUTS.map((s) => s.command));
    for (const key of ['i', 'j', 'k', 'a', 'r', '/', 't', 'm', 's', '?', 'Escape']) {
      expect(commands.has(resolveShortcut({ key, inInbox: true })!)).toBe(true);
    }
  });
});

describe('the virtual window', () => {
  it('renders the visible rows plus the overscan, with spacers for the rest', () => {
    expect(virtualWindow(2000, 40, 0, 400, 5)).toEqual({ start: 0, end: 16, padTop: 0, padBottom: 1984 * 40 });
    const mid = virtualWindow(2000, 40, 40_000, 400, 5);
    expect(mid).toEqual({ start: 995, end: 1016, padTop: 995 * 40, padBottom: 984 * 40 });
    expect(mid.padTop + (mid.end - mid.start) * 40 + mid.padBottom).toBe(2000 * 40);
  });

  it('clamps past the end and handles empty lists', () => {
    const end = virtualWindow(100, 40, 1e9, 400, 5);
    expect(end.end).toBe(100);
    expect(end.padBottom).toBe(0);
    expect(virtualWindow(0, 40, 0, 400)).toEqual({ start: 0, end: 0, padTop: 0, padBottom: 0 });
  });

  it('renders a small cluster whole', () => {
    expect(virtualWindow(15, 40, 0, 240, 10)).toMatchObject({ start: 0, end: 15 });
  });
});

describe('guest search', () => {
  const guests = [
    guest(100, { name: 'web-01' }),
    guest(101, { name: 'dns', node: 'home', status: 'stopped', tags: ['infra'] }),
    guest(102, { name: 'db-01', type: 'lxc' }),
  ];
  const index = new Map(guests.map((g) => [g.vmid, guestSearchText(g)]));
  const order = guests.map((g) => g.vmid);

  it.each([
    ['', [100, 101, 102]],
    ['web', [100]],
    ['10', [100, 101, 102]],
    ['status:stopped', [101]],
    ['node:pve', [100, 102]],
    ['type:lxc', [102]],
    ['infra', [101]],
    ['pve 01', [100, 102]],
    ['DNS', [101]],
    ['nothing', []],
  ])('%p finds %p', (q, expected) => {
    expect(filterGuests(order, index, q)).toEqual(expected);
  });
});

describe('sparklines', () => {
  const rows: RrdRow[] = [
    { time: 0, cpu: 0.5, memused: 4, memtotal: 16 },
    { time: 60 },
    { time: 120, cpu: 1.2, memused: 8, memtotal: 16 },
  ];

  it('reads CPU and memory from RRD rows, with gaps for missed samples', () => {
    expect(rrdSeries(rows)).toEqual({ cpu: [0.5, null, 1], mem: [0.25, null, 0.5] });
    expect(lastValue([0.2, 0.4, null])).toBe(0.4);
    expect(lastValue([null])).toBeUndefined();
  });

  it('draws a path that lifts the pen over a gap', () => {
    expect(sparklinePath([0.5, null, 1], 100, 20)).toBe('M0 10M100 0');
    expect(sparklinePath([0, 1], 10, 10)).toBe('M0 10L10 0');
    expect(sparklinePath([], 10, 10)).toBe('');
  });
});
