import { NODE_NAME_PATTERN, validateJson, type JsonSchema } from '@jarvis/policies';

type Case = [label: string, value: unknown];

function expectValid(schema: JsonSchema, value: unknown): void {
  expect(validateJson(schema, value)).toEqual({ ok: true });
}

function expectInvalid(schema: JsonSchema, value: unknown, message?: RegExp): void {
  const result = validateJson(schema, value);
  expect(result.ok).toBe(false);
  if (!result.ok) {
    expect(result.errors.length).toBeGreaterThan(0);
    if (message) expect(result.errors.join('\n')).toMatch(message);
  }
}

describe('validateJson: string', () => {
  const schema: JsonSchema = { type: 'string', minLength: 2, maxLength: 5 };
  it.each<Case>([
    ['2 characters', 'ab'],
    ['5 characters', 'abcde'],
  ])('accepts %s', (_label, value) => expectValid(schema, value));
  it.each<Case>([
    ['1 character', 'a'],
    ['6 characters', 'abcdef'],
    ['a number', 12],
    ['null', null],
    ['undefined', undefined],
    ['a String object', new String('abc')],
    ['an array', ['ab']],
  ])('rejects %s', (_label, value) => expectInvalid(schema, value));

  const enumSchema: JsonSchema = { type: 'string', enum: ['qemu', 'lxc'] };
  it.each<Case>([
    ['qemu', 'qemu'],
    ['lxc', 'lxc'],
  ])('enum accepts %s', (_label, value) => expectValid(enumSchema, value));
  it.each<Case>([
    ['upper case', 'QEMU'],
    ['padded', ' qemu'],
    ['a prefix', 'qem'],
    ['empty', ''],
    ['toString', 'toString'],
    ['a look-alike', 'q\u0435mu'],
  ])('enum rejects %s', (_label, value) => expectInvalid(enumSchema, value, /must be one of/));

  const node: JsonSchema = { type: 'string', pattern: NODE_NAME_PATTERN };
  it.each<Case>([
    ['pve1', 'pve1'],
    ['a single character', 'a'],
    ['inner hyphens', 'pve-node-01'],
  ])('pattern accepts %s', (_label, value) => expectValid(node, value));
  it.each<Case>([
    ['a trailing newline', 'pve1\n'],
    ['a leading newline', '\npve1'],
    ['an inner newline', 'pve1\npve2'],
    ['a carriage return', 'pve1\r'],
    ['a semicolon', 'pve1;ls'],
    ['a pipe', 'pve1|ls'],
    ['&&', 'pve1&&ls'],
    ['$()', '$(id)'],
    ['backticks', '`id`'],
    ['a redirect', 'pve1>x'],
    ['path traversal', '../x'],
    ['a look-alike', '\u0440ve1'],
    ['an emoji', 'pve😀'],
    ['a line separator', 'pve1\u2028'],
    ['empty', ''],
  ])('pattern rejects %s', (_label, value) => expectInvalid(node, value, /invalid format/));

  it('an unparseable pattern fails closed instead of throwing', () => {
    const bad: JsonSchema = { type: 'string', pattern: '([a-z' };
    expect(() => validateJson(bad, 'abc')).not.toThrow();
    expectInvalid(bad, 'abc');
  });
});

describe('validateJson: integer', () => {
  const schema: JsonSchema = { type: 'integer', minimum: 100, maximum: 200 };
  it.each<Case>([
    ['the minimum', 100],
    ['the maximum', 200],
    ['an integral float literal', 150.0],
  ])('accepts %s', (_label, value) => expectValid(schema, value));
  it.each<Case>([
    ['below the minimum', 99],
    ['above the maximum', 201],
    ['a fraction', 150.5],
    ['a numeric string', '150'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['a bigint', 150n],
    ['a boolean', true],
    ['null', null],
    ['a Number object', new Number(150)],
  ])('rejects %s', (_label, value) => expectInvalid(schema, value));

  it('rejects integers beyond 2^53 even without bounds', () => {
    expectInvalid({ type: 'integer' }, 2 ** 53);
    expectValid({ type: 'integer' }, -(2 ** 53 - 1));
  });
});

describe('validateJson: boolean', () => {
  const schema: JsonSchema = { type: 'boolean' };
  it.each<Case>([
    ['true', true],
    ['false', false],
  ])('accepts %s', (_label, value) => expectValid(schema, value));
  it.each<Case>([
    ['"true"', 'true'],
    ['1', 1],
    ['0', 0],
    ['null', null],
    ['a Boolean object', new Boolean(true)],
  ])('rejects %s', (_label, value) => expectInvalid(schema, value, /must be a boolean/));
});

describe('validateJson: object', () => {
  const schema: JsonSchema = {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: { name: { type: 'string' }, count: { type: 'integer' }, on: { type: 'boolean' } },
  };
  it.each<Case>([
    ['the required field', { name: 'x' }],
    ['every field', { name: 'x', count: 1, on: false }],
    ['an optional field set to undefined', { name: 'x', count: undefined }],
    ['an object without a prototype', Object.assign(Object.create(null) as object, { name: 'x' })],
  ])('accepts %s', (_label, value) => expectValid(schema, value));

  it.each<[string, unknown, RegExp]>([
    ['a missing required field', { count: 1 }, /\$\.name is required/],
    ['a required field set to undefined', { name: undefined }, /\$\.name is required/],
    ['a wrong field type', { name: 1 }, /\$\.name must be a string/],
    ['an extra field', { name: 'x', extra: 1 }, /\$\.extra is not allowed/],
    ['an own __proto__ key', JSON.parse('{"name":"x","__proto__":{}}'), /__proto__ is not allowed/],
    ['a toString key', { name: 'x', toString: 'y' }, /toString is not allowed/],
    ['the required field only on the prototype', Object.create({ name: 'x' }), /\$\.name is required/],
    ['a field only on the prototype of a __proto__ literal', { __proto__: { name: 1 } }, /\$\.name is required/],
    [
      'a non-enumerable field of the wrong type',
      Object.defineProperty({}, 'name', { value: 1, enumerable: false }),
      /\$\.name/,
    ],
    [
      'a non-enumerable extra field',
      Object.defineProperty({ name: 'x' }, 'hidden', { value: 1, enumerable: false }),
      /hidden is not allowed/,
    ],
    ['a symbol-keyed extra field', { name: 'x', [Symbol('s')]: 1 }, /not allowed/],
    ['null', null, /must be an object/],
    ['an array', [], /must be an object/],
    ['a string', '{"name":"x"}', /must be an object/],
  ])('rejects %s', (_label, value, message) => expectInvalid(schema, value, message));

  it('reports every error, with paths', () => {
    const result = validateJson(schema, { count: 'x', on: 'y', extra: 1 });
    expect(result).toEqual({
      ok: false,
      errors: expect.arrayContaining([
        '$.name is required',
        '$.count must be an integer',
        '$.on must be a boolean',
        '$.extra is not allowed',
      ]),
    });
  });

  it('fails closed when a property getter throws', () => {
    const value = Object.defineProperty({}, 'name', {
      enumerable: true,
      get: (): string => {
        throw new Error('boom');
      },
    });
    expect(() => validateJson(schema, value)).not.toThrow();
    expectInvalid(schema, value);
  });

  it('allows extra fields when additionalProperties is not false, but still checks declared ones', () => {
    const open: JsonSchema = { type: 'object', properties: { n: { type: 'integer' } } };
    expectValid(open, { n: 1, other: 'x' });
    expectInvalid(open, { n: 'x', other: 'x' }, /\$\.n must be an integer/);
  });

  it('nested objects report nested paths', () => {
    const nested: JsonSchema = {
      type: 'object',
      properties: { inner: { type: 'object', required: ['a'], properties: { a: { type: 'boolean' } } } },
    };
    expectInvalid(nested, { inner: {} }, /\$\.inner\.a is required/);
    expectInvalid(nested, { inner: { a: 1 } }, /\$\.inner\.a must be a boolean/);
    expectValid(nested, { inner: { a: true } });
  });
});

describe('validateJson: what it does not understand is an error', () => {
  it.each<[string, unknown]>([
    ['type array', { type: 'array', items: { type: 'string' } }],
    ['type number', { type: 'number' }],
    ['type null', { type: 'null' }],
    ['no type', {}],
    ['a type list', { type: ['string', 'null'] }],
  ])('%s is unsupported', (_label, schema) => {
    expectInvalid(schema as JsonSchema, 'x', /unsupported schema/);
    expectInvalid(schema as JsonSchema, null, /unsupported schema/);
  });

  it('an object schema without properties fails closed instead of throwing', () => {
    const schema = { type: 'object', additionalProperties: false } as unknown as JsonSchema;
    expect(() => validateJson(schema, { a: 1 })).not.toThrow();
    expectInvalid(schema, { a: 1 });
  });

  it('uses the given root path', () => {
    const result = validateJson({ type: 'boolean' }, 1, 'args');
    expect(result).toEqual({ ok: false, errors: ['args must be a boolean'] });
  });
});
