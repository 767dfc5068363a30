import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { PermissionReport } from '@jarvis/policies';
import { http, isHttpError } from '../api/http';

const message = (err: unknown): string => (isHttpError(err) ? err.message : String(err));

/**
 * What Jarvis's Proxmox token can do, as the API last checked it, and "check again". The report
 * is the API's (the wire type is the policies' own, imported as a type only).
 */
export const useProxmoxPermissionsStore = defineStore('proxmoxPermissions', () => {
  const report = shallowRef<PermissionReport | null>(null);
  const busy = ref(false);
  const error = ref<string | null>(null);

  async function run(call: () => Promise<PermissionReport>): Promise<void> {
    busy.value = true;
    try {
      report.value = Object.freeze(await call());
      error.value = null;
    } catch (err) {
      error.value = message(err);
    } finally {
      busy.value = false;
    }
  }

  const load = (): Promise<void> => run(() => http.get<PermissionReport>('/api/proxmox/permissions'));
  const checkAgain = (): Promise<void> => run(() => http.post<PermissionReport>('/api/proxmox/permissions/check', {}));

  return { report, busy, error, load, checkAgain };
});
