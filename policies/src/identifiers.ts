/** PVE node names are hostnames: letters, digits and inner hyphens (pve-common `pve-node` format). */
export const NODE_NAME_PATTERN = '^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$';
/** PVE accepts VMIDs 100..999999999 (`pve-vmid` format). */
export const VMID_MIN = 100;
export const VMID_MAX = 999_999_999;
/** Workflow, approval, incident and session IDs: letters, digits and `:_.-` only (CONTRACT.md). */
export const ENTITY_ID_PATTERN = '^[A-Za-z0-9:_.-]{1,200}$';

export function isNodeName(value: unknown): value is string {
  return typeof value === 'string' && new RegExp(NODE_NAME_PATTERN).test(value);
}

export function isVmid(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= VMID_MIN && value <= VMID_MAX;
}

export function isEntityId(value: unknown): value is string {
  return typeof value === 'string' && new RegExp(ENTITY_ID_PATTERN).test(value) && !value.includes('..');
}

/** PVE's snapshot name format (`pve-configid`): a letter, then letters, digits, `_` and `-`. */
export const SNAPSHOT_NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_-]{1,39}$';

export function isSnapshotName(value: unknown): value is string {
  return typeof value === 'string' && new RegExp(SNAPSHOT_NAME_PATTERN).test(value);
}
