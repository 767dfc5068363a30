import { type SettingsRepository } from './settings.repository';

/** The settings key under which the last check of the Proxmox token's privileges is kept, per cluster. */
export const proxmoxPermissionsSetting = (cluster: string): string => `proxmox_permissions:${cluster}`;

/**
 * One check of the API token, as stored: PVE's `/access/permissions` answer as it came (the
 * capability table in @jarvis/policies judges it when it is read, so a change to the table never
 * leaves a stale verdict behind). Written by the worker and by the API's "check again".
 */
export interface StoredPermissionCheck {
  readonly checkedAt: string;
  /** `user@realm!tokenid` of the token checked. */
  readonly tokenUser: string;
  /** PVE's answer: `{ path: { privilege: 0|1 } }`; `{}` when it could not be read. */
  readonly privileges: unknown;
  /** Why the privileges could not be read, when they could not. */
  readonly error?: string;
}

/** The last check, or null before the first one or when what is stored is not a check. */
export async function readPermissionCheck(
  settings: Pick<SettingsRepository, 'get'>,
  cluster: string,
): Promise<StoredPermissionCheck | null> {
  const raw = await settings.get<Record<string, unknown>>(proxmoxPermissionsSetting(cluster));
  if (typeof raw !== 'object' || raw === null) return null;
  const { checkedAt, tokenUser, privileges, error } = raw;
  if (typeof checkedAt !== 'string' || Number.isNaN(Date.parse(checkedAt)) || typeof tokenUser !== 'string')
    return null;
  return { checkedAt, tokenUser, privileges, ...(typeof error === 'string' ? { error } : {}) };
}

export function writePermissionCheck(
  settings: Pick<SettingsRepository, 'set'>,
  cluster: string,
  check: StoredPermissionCheck,
  by: string,
): Promise<void> {
  return settings.set(proxmoxPermissionsSetting(cluster), check, by);
}
