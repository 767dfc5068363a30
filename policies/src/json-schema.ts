/**
 * A deliberately small JSON-schema subset: the tool catalog only declares flat objects of
 * strings, integers, booleans and enums, and a validator we can read in full is one we can
 * trust to fail closed. Anything the validator does not understand is a validation error.
 */
export type JsonSchema =
  | {
      type: 'object';
      properties: Record<string, JsonSchema>;
      required?: readonly string[];
      additionalProperties?: false;
      description?: string;
    }
  | {
      type: 'string';
      enum?: readonly string[];
      pattern?: string;
      maxLength?: number;
      minLength?: number;
      description?: string;
    }
  | { type: 'integer'; minimum?: number; maximum?: number; description?: string }
  | { type: 'boolean'; description?: string };

export type ValidationResult = { ok: true } | { ok: false; errors: string[] };

export function validateJson(schema: JsonSchema, value: unknown, at = '$'): ValidationResult {
  const errors: string[] = [];
  try {
    check(schema, value, at, errors);
  } catch {
    // A schema we cannot compile or a value we cannot read is a failure, never a pass.
    errors.push(`${at} could not be validated`);
  }
  return errors.length === 0 ? { ok: true } : { ok: false, errors };
}

function check(schema: JsonSchema, value: unknown, at: string, errors: string[]): void {
  switch (schema.type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        errors.push(`${at} must be an object`);
        return;
      }
      // Every own key counts, enumerable or not, symbols too: an inherited, hidden or computed field
      // would otherwise reach the caller unchecked (or read differently on the next access).
      const own = new Map<string, unknown>();
      for (const key of Reflect.ownKeys(value)) {
        const name = typeof key === 'symbol' ? `[${String(key.description)}]` : key;
        const property = Object.getOwnPropertyDescriptor(value, key)!;
        if (typeof key === 'symbol') {
          errors.push(`${at}.${name} is not allowed`);
          continue;
        }
        if (!('value' in property)) {
          errors.push(`${at}.${name} must be a plain value`);
          continue;
        }
        own.set(key, property.value);
      }
      for (const key of schema.required ?? []) {
        if (own.get(key) === undefined) errors.push(`${at}.${key} is required`);
      }
      for (const [key, v] of own) {
        const sub = Object.prototype.hasOwnProperty.call(schema.properties, key) ? schema.properties[key] : undefined;
        if (!sub) {
          if (schema.additionalProperties === false) errors.push(`${at}.${key} is not allowed`);
          continue;
        }
        if (v !== undefined) check(sub, v, `${at}.${key}`, errors);
      }
      return;
    }
    case 'string': {
      if (typeof value !== 'string') {
        errors.push(`${at} must be a string`);
        return;
      }
      if (schema.maxLength !== undefined && value.length > schema.maxLength)
        errors.push(`${at} is longer than ${schema.maxLength}`);
      if (schema.minLength !== undefined && value.length < schema.minLength)
        errors.push(`${at} is shorter than ${schema.minLength}`);
      if (schema.enum && !schema.enum.includes(value)) errors.push(`${at} must be one of ${schema.enum.join(', ')}`);
      if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
        errors.push(`${at} has an invalid format`);
      return;
    }
    case 'integer': {
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
        errors.push(`${at} must be an integer`);
        return;
      }
      if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${at} must be ≥ ${schema.minimum}`);
      if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${at} must be ≤ ${schema.maximum}`);
      return;
    }
    case 'boolean': {
      if (typeof value !== 'boolean') errors.push(`${at} must be a boolean`);
      return;
    }
    default: {
      errors.push(`${at} has an unsupported schema`);
    }
  }
}
