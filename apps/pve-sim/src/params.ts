import { paramError } from './pve-errors';

/** A small subset of pve-common JSONSchema, with its exact error strings. */
export type ParamSpec =
  | { type: 'boolean'; optional?: boolean }
  | { type: 'integer'; optional?: boolean; minimum?: number; maximum?: number }
  | {
      type: 'string';
      optional?: boolean;
      enum?: readonly string[];
      maxLength?: number;
      /** Returns an error text when the value is not in the format. */
      format?: (value: string) => string | undefined;
    };

export type ParamSchema = Readonly<Record<string, ParamSpec>>;
export type ParamValue = string | number | boolean;
export type Params = Record<string, ParamValue>;

export const NODE_PARAM: ParamSpec = {
  type: 'string',
  format: (v) =>
    /^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/.test(v)
      ? undefined
      : 'invalid format - value does not look like a valid node name\n',
};
export const VMID_PARAM: ParamSpec = { type: 'integer', minimum: 100, maximum: 999_999_999 };
export const STORAGE_PARAM: ParamSpec = {
  type: 'string',
  format: (v) =>
    /^[a-z][a-z0-9\-_.]*[a-z0-9]$/i.test(v)
      ? undefined
      : `invalid format - storage ID '${v}' contains illegal characters\n`,
};

function checkOne(spec: ParamSpec, raw: string): { value?: ParamValue; error?: string } {
  switch (spec.type) {
    case 'boolean':
      // JSONSchema.pm accepts exactly '1' and '0' (a JSON true stringifies to '1' before this check).
      if (raw === '1') return { value: true };
      if (raw === '0') return { value: false };
      return { error: `type check ('boolean') failed - got '${raw}'` };
    case 'integer': {
      if (!/^-?\d+$/.test(raw)) return { error: `type check ('integer') failed - got '${raw}'` };
      const n = Number(raw);
      if (spec.minimum !== undefined && n < spec.minimum)
        return { error: `value must have a minimum value of ${spec.minimum}` };
      if (spec.maximum !== undefined && n > spec.maximum)
        return { error: `value must have a maximum value of ${spec.maximum}` };
      return { value: n };
    }
    case 'string': {
      if (spec.maxLength !== undefined && raw.length > spec.maxLength) {
        return { error: `value may only be ${spec.maxLength} characters long` };
      }
      if (spec.enum && !spec.enum.includes(raw)) {
        return { error: `value '${raw}' does not have a value in the enumeration '${spec.enum.join(', ')}'` };
      }
      const formatError = spec.format?.(raw);
      return formatError ? { error: formatError } : { value: raw };
    }
  }
}

/** Validates every parameter at once, as PVE does, and reports all failures in one 400. */
export function verifyParams(schema: ParamSchema, raw: Record<string, string>): Params {
  const errors: Record<string, string> = {};
  const out: Params = {};
  for (const key of Object.keys(raw)) {
    if (!(key in schema))
      errors[key] = 'property is not defined in schema and the schema does not allow additional properties';
  }
  for (const [key, spec] of Object.entries(schema)) {
    const value = raw[key];
    if (value === undefined) {
      if (!spec.optional) errors[key] = 'property is missing and it is not optional';
      continue;
    }
    const result = checkOne(spec, value);
    if (result.error !== undefined) errors[key] = result.error;
    else if (result.value !== undefined) out[key] = result.value;
  }
  if (Object.keys(errors).length > 0) throw paramError(errors);
  return out;
}

export function str(p: Params, key: string): string | undefined {
  const v = p[key];
  return typeof v === 'string' ? v : undefined;
}

export function int(p: Params, key: string): number | undefined {
  const v = p[key];
  return typeof v === 'number' ? v : undefined;
}

export function bool(p: Params, key: string): boolean {
  return p[key] === true;
}
