import { formatTemperature } from '../../apps/web/src/lib/format';
import {
  clampTerminalSize,
  describeTerminalError,
  describeTerminalExit,
  TERMINAL_LIMITS,
  terminalTheme,
} from '../../apps/web/src/lib/terminal';
import { COLOURWAYS, colourwayVariables } from '../../apps/web/src/lib/themes';

describe('the node card temperature', () => {
  it('prints package / hottest core in whole degrees, and n/a without a sensor', () => {
    expect(formatTemperature({ packageC: 54.4, maxCoreC: 61.0 })).toBe('54 °C / 61 °C');
    expect(formatTemperature({ packageC: 99.5, maxCoreC: 100.49 })).toBe('100 °C / 100 °C');
    expect(formatTemperature(null)).toBe('n/a');
    expect(formatTemperature(undefined)).toBe('n/a');
    expect(formatTemperature({ packageC: Number.NaN, maxCoreC: 50 })).toBe('n/a');
  });
});

describe('terminal sizes', () => {
  it('clamps what FitAddon proposes to the server bounds', () => {
    expect(clampTerminalSize(80, 24)).toEqual({ cols: 80, rows: 24 });
    expect(clampTerminalSize(80.9, 24.2)).toEqual({ cols: 80, rows: 24 });
    expect(clampTerminalSize(9000, 9000)).toEqual({ cols: TERMINAL_LIMITS.maxCols, rows: TERMINAL_LIMITS.maxRows });
    expect(clampTerminalSize(1, 1)).toEqual({ cols: TERMINAL_LIMITS.minCols, rows: 1 });
  });

  it('measures nothing in a hidden panel rather than shrinking the shell to zero', () => {
    expect(clampTerminalSize(undefined, 24)).toBeUndefined();
    expect(clampTerminalSize(0, 0)).toBeUndefined();
    expect(clampTerminalSize(Number.NaN, 10)).toBeUndefined();
    expect(clampTerminalSize(Number.POSITIVE_INFINITY, 10)).toBeUndefined();
  });
});

describe('the terminal theme', () => {
  it.each(COLOURWAYS.map((c) => [c.id, c] as const))('follows the %s colourway', (_id, c) => {
    const vars = colourwayVariables(c);
    const theme = terminalTheme((name) => vars[name] ?? '');
    expect(theme).toMatchObject({
      background: c.bg,
      foreground: c.text,
      cursor: c.accent,
      red: c.crit,
      green: c.ok,
      yellow: c.warn,
      brightBlack: c.muted,
    });
  });

  it('falls back to readable defaults when the properties are not set yet', () => {
    const theme = terminalTheme(() => '  ');
    expect(theme.background).toBe('#000000');
    expect(theme.foreground).toMatch(/^#[0-9a-f]{6}$/i);
  });
});

describe('terminal messages', () => {
  it('explains refusals and endings to the operator', () => {
    expect(describeTerminalError('LIMIT', 'at most 3')).toBe('Too many open terminals: at most 3');
    expect(describeTerminalError('UNAVAILABLE', 'SSH is not configured')).toMatch(/^Terminal unavailable/);
    expect(describeTerminalError('UNREACHABLE', 'no route')).toBe('UNREACHABLE: no route');
    expect(describeTerminalExit({ reason: 'idle' })).toBe('Session closed after being idle.');
    expect(describeTerminalExit({ code: 0, reason: 'exit' })).toBe('Session ended (exit 0).');
    expect(describeTerminalExit({})).toBe('Session ended.');
  });
});
