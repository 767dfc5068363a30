/**
 * The one grammar of a systemd service name, used by the tool catalog's schemas, the SSH
 * allowlist, the incident policy, the activities and the configuration. A plain service name:
 * lower-case letters, digits, `_` and inner `-`, optionally written with its `.service` suffix.
 * No dots otherwise (that rules out `reboot.target`, sockets, mounts and slices), no template
 * `@`, no upper case: what this refuses, the SSH allowlist could never run anyway.
 */
export const SERVICE_UNIT_PATTERN = '^[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?(?:\\.service)?$';
/** The longest name the pattern accepts (64 characters plus `.service`). */
export const SERVICE_UNIT_MAX_LENGTH = 72;

const SERVICE_UNIT = new RegExp(SERVICE_UNIT_PATTERN);
const SERVICE_SUFFIX = '.service';

/** Whether `value` is a service name in the one grammar (with or without `.service`). */
export function isServiceUnit(value: unknown): value is string {
  return typeof value === 'string' && value.length <= SERVICE_UNIT_MAX_LENGTH && SERVICE_UNIT.test(value);
}

/** The name without its `.service` suffix: how the allowlist and the incident keys spell it. */
export function serviceUnitName(unit: string): string {
  return unit.endsWith(SERVICE_SUFFIX) ? unit.slice(0, -SERVICE_SUFFIX.length) : unit;
}
