import { Inject, Injectable } from '@nestjs/common';
import { SettingsRepository } from '@jarvis/db';
import { defaultTierTable, findTool, isTier, type PolicyData, type Tier } from '@jarvis/policies';
import { API_CONFIG, type ApiConfig } from '../api-config';

/** The policy a new request is judged by: the default tier table, the operator's overrides, and the protected set. */
@Injectable()
export class PolicyDataService {
  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly settings: SettingsRepository,
  ) {}

  async current(): Promise<PolicyData> {
    const raw = await this.settings.get<unknown>('tier_overrides');
    const overrides: Record<string, Tier> = {};
    if (typeof raw === 'object' && raw !== null) {
      // A hand-edited settings row must not smuggle in unknown tools or tiers; those are skipped.
      for (const [tool, tier] of Object.entries(raw)) if (findTool(tool) && isTier(tier)) overrides[tool] = tier;
    }
    return { tiers: { ...defaultTierTable(), ...overrides }, protected: this.config.protectedResources };
  }
}
