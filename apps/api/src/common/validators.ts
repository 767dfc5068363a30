import { Transform } from 'class-transformer';
import { registerDecorator, type ValidationOptions } from 'class-validator';
import { isEntityId, isNodeName, VMID_MAX, VMID_MIN } from '@jarvis/policies';

/**
 * Identifier rules come from @jarvis/policies, the same functions the workflows use, so the
 * API can never accept an identifier the rest of the system would read differently.
 */
function fromPredicate(name: string, test: (v: unknown) => boolean, message: string) {
  return (options?: ValidationOptions): PropertyDecorator =>
    (target: object, propertyName: string | symbol) =>
      registerDecorator({
        name,
        target: target.constructor,
        propertyName: String(propertyName),
        options: { message, ...options },
        validator: { validate: (value: unknown) => test(value) },
      });
}

export const IsNodeName = fromPredicate(
  'isNodeName',
  isNodeName,
  '$property must be a node name (letters, digits and inner hyphens)',
);
export const IsEntityId = fromPredicate(
  'isEntityId',
  isEntityId,
  '$property may contain only letters, digits and :_.- (at most 200)',
);

export const VMID_MESSAGE = `vmid must be an integer between ${VMID_MIN} and ${VMID_MAX}`;

/**
 * Path and query values arrive as strings. Only plain decimal digits become numbers: `Number()`
 * alone would also accept "0x64", "1e3" or " 100 ", which are not what an operator typed.
 */
export const ToInteger = (): PropertyDecorator =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^[0-9]{1,15}$/.test(value) ? Number(value) : value,
  );
