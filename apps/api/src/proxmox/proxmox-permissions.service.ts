import { Inject, Injectable } from '@nestjs/common';
import { PermissionSelfCheck, ProxmoxClient, settingsPermissionStore } from '@jarvis/activities';
import { SettingsRepository } from '@jarvis/db';
import { type PermissionReport } from '@jarvis/policies';
import { API_CONFIG, type ApiConfig } from '../api-config';
import { ApiError } from '../errors/api-error';

/**
 * The token self-check on the API: the last report (the worker's, or an operator's "check
 * again"), and a check run now with the API's own client. Both store to the same row the worker
 * reads, so the crashed-VM runbook's cap follows a check made here at once.
 */
@Injectable()
export class ProxmoxPermissionsService {
  /** One check at a time, whoever asks. */
  readonly #check: PermissionSelfCheck;

  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    proxmox: ProxmoxClient,
    private readonly settings: SettingsRepository,
  ) {
    this.#check = new PermissionSelfCheck({
      pve: proxmox,
      store: settingsPermissionStore(settings, config.autonomy.cluster, 'api'),
    });
  }

  /** The last report; before any, one made now. */
  async last(): Promise<PermissionReport> {
    const report = await this.#check.lastKnown();
    return report ?? this.run();
  }

  /** A check now. */
  async run(): Promise<PermissionReport> {
    try {
      return await this.#check.checkNow();
    } catch (err) {
      // The check itself never throws for Proxmox: only its store can fail.
      throw new ApiError('DATABASE_UNAVAILABLE', 'the permission check could not be stored', undefined, {
        cause: err,
      });
    }
  }
}
