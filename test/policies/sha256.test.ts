import { createHash } from 'node:crypto';
import { canonicalJson, fingerprintAction, sha256Hex } from '@jarvis/policies';

const nodeSha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('sha256Hex', () => {
  // FIPS 180-2 appendix B and the NIST example vectors, written out so Node's crypto is not the only oracle.
  it.each([
    ['', 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'],
    ['abc', 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'],
    [
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    ],
    [
      'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu',
      'cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1',
    ],
    ['The quick brown fox jumps over the lazy dog', 'd7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592'],
  ])('known vector %#', (text, hex) => {
    expect(sha256Hex(text)).toBe(hex);
    expect(nodeSha256(text)).toBe(hex);
  });

  it("one million 'a' (FIPS 180-2 B.3)", () => {
    expect(sha256Hex('a'.repeat(1_000_000))).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });

  // Lengths around the 55/56/64-byte padding boundaries are where hand-written SHA-256 goes wrong.
  const lengths = [1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000];
  it.each(lengths)("%i × 'a' matches node:crypto", (n) => {
    const text = 'a'.repeat(n);
    expect(sha256Hex(text)).toBe(nodeSha256(text));
  });

  it.each([
    ['Latin-1', 'café naïve'],
    ['two-byte UTF-8 at a block boundary', `${'a'.repeat(54)}é`],
    ['three-byte UTF-8 at a block boundary', `${'a'.repeat(54)}€`],
    ['four-byte UTF-8 at a block boundary', `${'a'.repeat(54)}😀`],
    ['Cyrillic', 'Привет, мир'],
    ['CJK', '你好，世界'],
    ['emoji', '😀🚀🔥'],
    ['ZWJ emoji sequence', '👩‍👩‍👧‍👦'],
    ['flag', '🇳🇱'],
    ['combining marks', 'e\u0301 vs é'],
    ['the highest code point', '\u{10ffff}'],
    ['U+FFFD', '\ufffd'],
    ['NUL and controls', '\u0000\u0001\n\t\r'],
    ['JSON of an action', canonicalJson({ tool: 'guest.stop', args: { node: 'pve1', vmid: 200 } })],
    ['long unicode', 'Ω≈ç√∫˜µ≤≥÷😀'.repeat(500)],
  ])('%s matches node:crypto', (_label, text) => {
    expect(sha256Hex(text)).toBe(nodeSha256(text));
  });

  it('always returns 64 lower-case hex digits', () => {
    for (const text of ['', 'x', '😀', 'a'.repeat(200)]) expect(sha256Hex(text)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps lone surrogates distinct from each other and from U+FFFD', () => {
    const hashes = new Set(['\ud800', '\udc00', '\ufffd', '\udc00\ud800'].map(sha256Hex));
    expect(hashes.size).toBe(4);
  });
});

describe('canonicalJson', () => {
  it.each([
    [
      { a: 1, b: 2 },
      { b: 2, a: 1 },
    ],
    [
      { node: 'pve1', vmid: 200, kind: 'qemu' },
      { kind: 'qemu', vmid: 200, node: 'pve1' },
    ],
    [{ outer: { z: [1, { y: 2, x: 1 }], a: null } }, { outer: { a: null, z: [1, { x: 1, y: 2 }] } }],
    [{ a: 1, b: undefined }, { a: 1 }],
    [
      { 'b\u0000': 1, b: 2 },
      { b: 2, 'b\u0000': 1 },
    ],
  ])('%j and %j are the same', (a, b) => {
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(sha256Hex(canonicalJson(a))).toBe(sha256Hex(canonicalJson(b)));
  });

  it.each([
    [{ node: 'pve1', vmid: 200 }, '{"node":"pve1","vmid":200}'],
    [{ b: [3, 1, 2], a: 'x' }, '{"a":"x","b":[3,1,2]}'],
    [{ z: { d: 1, c: 2 } }, '{"z":{"c":2,"d":1}}'],
    [[{ b: 1, a: 2 }], '[{"a":2,"b":1}]'],
    [null, 'null'],
    [undefined, 'null'],
    ['a"b', '"a\\"b"'],
    [7, '7'],
    [true, 'true'],
    [{ '"': 1 }, '{"\\"":1}'],
    [{ __proto__: null, x: 1 }, '{"x":1}'],
  ])('%j → %s', (value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it('is valid JSON that parses back to the value', () => {
    const value = { z: 'x\n"y"', a: [1, 2.5, -3, null, true], m: { q: 'ü😀' } };
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
  });

  it('keeps an own __proto__ key (from JSON) rather than dropping it', () => {
    const withProto = JSON.parse('{"a":1,"__proto__":{"b":2}}');
    expect(canonicalJson(withProto)).not.toBe(canonicalJson({ a: 1 }));
  });

  it('honours toJSON like JSON.stringify, so different dates never look the same', () => {
    const a = new Date(Date.UTC(2024, 0, 1));
    const b = new Date(Date.UTC(2025, 0, 1));
    expect(canonicalJson(a)).toBe(JSON.stringify(a));
    expect(canonicalJson({ at: a })).not.toBe(canonicalJson({ at: b }));
  });

  it.each([
    [{ a: '1' }, { a: 1 }],
    [{ a: [1, 2] }, { a: [2, 1] }],
    [{ a: null }, {}],
    [{ a: 'x' }, { A: 'x' }],
    [{ a: { b: 1 } }, { 'a.b': 1 }],
    [{ a: true }, { a: 'true' }],
  ])('%j and %j differ', (a, b) => {
    expect(canonicalJson(a)).not.toBe(canonicalJson(b));
  });
});

describe('fingerprintAction', () => {
  const base = { node: 'pve1', vmid: 200, kind: 'qemu', reason: 'maintenance' };
  const fp = fingerprintAction('guest.stop', base);

  it('is a sha256 of the canonical action', () => {
    expect(fp).toBe(nodeSha256(canonicalJson({ tool: 'guest.stop', args: base })));
  });

  it('does not depend on key order', () => {
    expect(fingerprintAction('guest.stop', { reason: 'maintenance', kind: 'qemu', vmid: 200, node: 'pve1' })).toBe(fp);
  });

  it.each([
    ['the tool', 'guest.shutdown', base],
    ['the tool name case', 'Guest.stop', base],
    ['the node', 'guest.stop', { ...base, node: 'pve2' }],
    ['the node by a look-alike', 'guest.stop', { ...base, node: 'pv\u0435' + '1' }],
    ['the vmid by one', 'guest.stop', { ...base, vmid: 201 }],
    ['the vmid type', 'guest.stop', { ...base, vmid: '200' }],
    ['the kind', 'guest.stop', { ...base, kind: 'lxc' }],
    ['the reason', 'guest.stop', { ...base, reason: 'maintenanc' }],
    ['the reason by trailing space', 'guest.stop', { ...base, reason: 'maintenance ' }],
    ['an added argument', 'guest.stop', { ...base, force: true }],
    ['a removed argument', 'guest.stop', { node: 'pve1', vmid: 200, kind: 'qemu' }],
    ['the args shape', 'guest.stop', [base]],
    ['no args', 'guest.stop', undefined],
  ])('changes when %s changes', (_label, tool, args) => {
    expect(fingerprintAction(tool, args)).not.toBe(fp);
  });

  it('does not let the tool name and arguments run into each other', () => {
    expect(fingerprintAction('a', { b: 1 })).not.toBe(fingerprintAction('a","args":{"b', 1));
  });
});
