import { rgbTriplet } from './contrast';

export type Mode = 'jarvis' | 'ops' | 'minimal';

export const MODES: readonly { readonly id: Mode; readonly label: string; readonly description: string }[] = [
  { id: 'jarvis', label: 'JARVIS', description: 'Full HUD: grid, scan lines, glow, the globe' },
  { id: 'ops', label: 'Ops', description: 'Dense and still, for daily use' },
  { id: 'minimal', label: 'Minimal', description: 'Plain, for a phone or a slow display' },
];

export function nextMode(mode: Mode): Mode {
  const i = MODES.findIndex((m) => m.id === mode);
  return MODES[(i + 1) % MODES.length]!.id;
}

export function isMode(value: unknown): value is Mode {
  return MODES.some((m) => m.id === value);
}

/**
 * A colourway's tokens. Every `text`-like token must reach WCAG AA (4.5:1) on both `bg` and
 * `panel`, and each `on*` token on the fill it sits on; test/web checks all of them.
 */
export interface Colourway {
  readonly id: string;
  readonly label: string;
  readonly bg: string;
  readonly panel: string;
  readonly text: string;
  readonly muted: string;
  readonly accent: string;
  readonly onAccent: string;
  readonly ok: string;
  readonly warn: string;
  readonly crit: string;
  readonly tierGreen: string;
  readonly tierYellow: string;
  readonly tierRed: string;
  readonly tierBlack: string;
  /** Text on the tier fills: dark on green and yellow, light on red and black. */
  readonly onTierLight: string;
  readonly onTierDark: string;
}

const TIERS = {
  tierGreen: '#2fbf71',
  tierYellow: '#f2c230',
  tierRed: '#c62828',
  tierBlack: '#000000',
  onTierLight: '#111111',
  onTierDark: '#ffffff',
} as const;

export const COLOURWAYS: readonly Colourway[] = [
  {
    id: 'amber',
    label: 'Amber (eDEX)',
    bg: '#0a0806',
    panel: '#15100a',
    text: '#ffdfa0',
    muted: '#d2ad6a',
    accent: '#ffb000',
    onAccent: '#1a1000',
    ok: '#8ee59b',
    warn: '#ffd34d',
    crit: '#ff7b6e',
    ...TIERS,
  },
  {
    id: 'gold',
    label: 'Stark gold',
    bg: '#0b0a07',
    panel: '#17140c',
    text: '#f5e6bd',
    muted: '#c9b583',
    accent: '#e8c35a',
    onAccent: '#1a1405',
    ok: '#9be3a5',
    warn: '#ffd866',
    crit: '#ff8577',
    ...TIERS,
  },
  {
    id: 'arc',
    label: 'Arc reactor',
    bg: '#050b10',
    panel: '#0b1721',
    text: '#cdf3ff',
    muted: '#84bccf',
    accent: '#45d4ff',
    onAccent: '#021018',
    ok: '#7ff0a4',
    warn: '#ffd54f',
    crit: '#ff8a80',
    ...TIERS,
  },
  {
    id: 'mark',
    label: 'Mark III red',
    bg: '#0d0606',
    panel: '#1a0c0b',
    text: '#ffe1db',
    muted: '#d9a399',
    accent: '#ff6a4d',
    onAccent: '#1a0503',
    ok: '#8fe3a0',
    warn: '#ffd35c',
    crit: '#ff9c9c',
    ...TIERS,
  },
  {
    id: 'phosphor',
    label: 'Phosphor green',
    bg: '#030a05',
    panel: '#08150c',
    text: '#ccffd6',
    muted: '#8cc99a',
    accent: '#4dff7c',
    onAccent: '#021008',
    ok: '#4dff7c',
    warn: '#f4e04d',
    crit: '#ff8f80',
    ...TIERS,
  },
  {
    id: 'ice',
    label: 'Ice (high contrast)',
    bg: '#08090c',
    panel: '#12141a',
    text: '#f4f6fb',
    muted: '#b9bfcc',
    accent: '#dbe4ff',
    onAccent: '#0a0c14',
    ok: '#86efac',
    warn: '#fde047',
    crit: '#fca5a5',
    ...TIERS,
  },
];

export const DEFAULT_COLOURWAY = 'amber';

export function findColourway(id: string | null | undefined): Colourway {
  return COLOURWAYS.find((c) => c.id === id) ?? COLOURWAYS[0]!;
}

/** The CSS custom properties of a colourway, as set on the document root. */
export function colourwayVariables(c: Colourway): Record<string, string> {
  return {
    '--bg': c.bg,
    '--panel': c.panel,
    '--text': c.text,
    '--muted': c.muted,
    '--accent': c.accent,
    '--accent-rgb': rgbTriplet(c.accent),
    '--on-accent': c.onAccent,
    '--ok': c.ok,
    '--warn': c.warn,
    '--crit': c.crit,
    '--crit-rgb': rgbTriplet(c.crit),
    '--warn-rgb': rgbTriplet(c.warn),
    '--tier-green': c.tierGreen,
    '--tier-yellow': c.tierYellow,
    '--tier-red': c.tierRed,
    '--tier-black': c.tierBlack,
    '--on-tier-light': c.onTierLight,
    '--on-tier-dark': c.onTierDark,
  };
}
