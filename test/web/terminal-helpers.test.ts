import { formatTemperature } from '../../apps/web/src/lib/format';
import {
  clampTerminalSize,
  describeTerminalError,
  describeTerminalExit,
  parseCast,
  parsePopoutHash,
  parseResize,
  popoutHash,
  replayDelays,
  stepUpNeed,
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

describe('terminal step-up, pop-out and replay helpers', () => {
  it('asks for what the refusal calls for, keeping what was already asked', () => {
    expect(stepUpNeed('STEP_UP_REQUIRED', null)).toEqual({ password: true, nodeName: false });
    expect(stepUpNeed('NODE_CONFIRMATION_REQUIRED', { password: true, nodeName: false })).toEqual({
      password: true,
      nodeName: true,
    });
    expect(stepUpNeed('STEP_UP_FAILED', { password: false, nodeName: true })).toEqual({
      password: true,
      nodeName: true,
    });
    expect(stepUpNeed('BAD_REQUEST', null)).toBeUndefined();
  });

  it('puts a pop-out ticket in the fragment and reads back only a well-formed one', () => {
    const ticket = 'a'.repeat(43);
    expect(parsePopoutHash(popoutHash('pve', ticket))).toEqual({ node: 'pve', ticket });
    expect(parsePopoutHash('#terminal=pve&ticket=short')).toBeUndefined();
    expect(parsePopoutHash(`#terminal=pve;reboot&ticket=${ticket}`)).toBeUndefined();
    expect(parsePopoutHash('')).toBeUndefined();
  });

  it('parses an asciicast v2 recording for replay: output and resizes, markers noted, input left out', () => {
    const cast = [
      JSON.stringify({ version: 2, width: 80, height: 24, timestamp: 1700000000, env: { TERM: 'xterm-256color' } }),
      JSON.stringify([0.1, 'o', '$ ']),
      JSON.stringify([0.5, 'i', 'ls\r']),
      JSON.stringify([0.6, 'o', 'ls\r\n']),
      JSON.stringify([0.7, 'r', '100x30']),
      'not json',
      JSON.stringify([9.0, 'm', 'recording truncated at 4000 bytes']),
      '',
    ].join('\n');
    expect(parseCast(cast)).toEqual({
      width: 80,
      height: 24,
      timestamp: 1700000000,
      events: [
        { t: 0.1, kind: 'o', data: '$ ' },
        { t: 0.6, kind: 'o', data: 'ls\r\n' },
        { t: 0.7, kind: 'r', data: '100x30' },
      ],
      truncated: true,
    });
    expect(parseCast('{"version":1}')).toBeUndefined();
    expect(parseCast('')).toBeUndefined();
    expect(parseResize('100x30')).toEqual({ cols: 100, rows: 30 });
    expect(parseResize('100x')).toBeUndefined();
  });

  it('replays with the recorded pauses, idle time cut to a second', () => {
    expect(replayDelays([0.2, 0.5, 30, 30.25])).toEqual([200, 300, 1000, 250]);
  });
});
