import {
  MAX_INPUT_CHARS,
  parseClose,
  parseInput,
  parseOpen,
  parseResize,
} from '../../apps/api/src/live/terminal-payloads';

const NODES = ['pve', 'home', 'agent1'];
const ID = '01JD0000000000000000000000';

describe('terminal payloads', () => {
  it('accepts a well-formed open, with or without a ref', () => {
    expect(parseOpen({ node: 'pve', cols: 80, rows: 24 }, NODES)).toEqual({
      ok: true,
      value: { node: 'pve', cols: 80, rows: 24 },
    });
    expect(parseOpen({ node: 'home', cols: 2, rows: 1, ref: 'r1' }, NODES)).toEqual({
      ok: true,
      value: { node: 'home', cols: 2, rows: 1, ref: 'r1' },
    });
    const ticket = 'T'.repeat(43);
    expect(parseOpen({ node: 'pve', cols: 80, rows: 24, ticket }, NODES)).toEqual({
      ok: true,
      value: { node: 'pve', cols: 80, rows: 24, ticket },
    });
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['a string', 'pve'],
    ['an array', [{ node: 'pve', cols: 80, rows: 24 }]],
    ['an unknown node', { node: 'elsewhere', cols: 80, rows: 24 }],
    ['a node with a path', { node: '../pve', cols: 80, rows: 24 }],
    ['a node with a shell metacharacter', { node: 'pve;id', cols: 80, rows: 24 }],
    ['a node that is not a string', { node: 7, cols: 80, rows: 24 }],
    ['cols as a string', { node: 'pve', cols: '80', rows: 24 }],
    ['fractional cols', { node: 'pve', cols: 80.5, rows: 24 }],
    ['zero rows', { node: 'pve', cols: 80, rows: 0 }],
    ['negative cols', { node: 'pve', cols: -1, rows: 24 }],
    ['a ticket that is not a string', { node: 'pve', cols: 80, rows: 24, ticket: 42 }],
    [
      'a ticket with a dot (a JWT in its place)',
      { node: 'pve', cols: 80, rows: 24, ticket: 'aaaaaaaaaa.bbbbbbbbbb.cc' },
    ],
    ['huge rows', { node: 'pve', cols: 80, rows: 100000 }],
    ['NaN cols', { node: 'pve', cols: Number.NaN, rows: 24 }],
    ['a ref with spaces', { node: 'pve', cols: 80, rows: 24, ref: 'a b' }],
    ['a ref too long', { node: 'pve', cols: 80, rows: 24, ref: 'x'.repeat(65) }],
  ])('refuses an open with %s', (_what, payload) => {
    const r = parseOpen(payload, NODES);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toEqual(expect.any(String));
  });

  it('validates input, resize and close', () => {
    expect(parseInput({ id: ID, data: 'ls\r' })).toEqual({ ok: true, value: { id: ID, data: 'ls\r' } });
    expect(parseInput({ id: ID, data: 'x'.repeat(MAX_INPUT_CHARS) }).ok).toBe(true);
    expect(parseInput({ id: ID, data: 'x'.repeat(MAX_INPUT_CHARS + 1) }).ok).toBe(false);
    expect(parseInput({ id: ID, data: Buffer.from('ls') }).ok).toBe(false);
    expect(parseInput({ id: 'not-an-id', data: 'ls' }).ok).toBe(false);
    expect(parseInput({ data: 'ls' }).ok).toBe(false);
    expect(parseResize({ id: ID, cols: 120, rows: 40 })).toEqual({ ok: true, value: { id: ID, cols: 120, rows: 40 } });
    expect(parseResize({ id: ID, cols: 501, rows: 40 }).ok).toBe(false);
    expect(parseResize({ id: ID, cols: 100 }).ok).toBe(false);
    expect(parseClose({ id: ID })).toEqual({ ok: true, value: { id: ID } });
    expect(parseClose({ id: `${ID}\n` }).ok).toBe(false);
    expect(parseClose(undefined).ok).toBe(false);
  });
});
