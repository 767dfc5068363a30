import { Injectable } from '@nestjs/common';
import { AuditRepository, SettingsRepository } from '@jarvis/db';
import { type AuthUser } from '../common/http.types';
import { ulid } from '../guests/workflow-id';

export interface KillSwitchState {
  readonly engaged: boolean;
  readonly updatedBy?: string;
  readonly updatedAt?: string;
}

/** Audit rows need a workflow ID; operator setting changes share this pseudo-workflow (feed source "guardrails"). */
const GUARDRAILS_STREAM = 'guardrails:kill-switch';

@Injectable()
export class GuardrailsService {
  constructor(
    private readonly settings: SettingsRepository,
    private readonly audit: AuditRepository,
  ) {}

  async get(): Promise<{ killSwitch: KillSwitchState }> {
    return { killSwitch: await this.killSwitch() };
  }

  /**
   * Who and when travel inside the setting's value as well as in the settings row, so readers of
   * `kill_switch` (the worker's guardrails) see one self-describing object. Every change is audited.
   */
  async setKillSwitch(engaged: boolean, user: AuthUser): Promise<KillSwitchState> {
    const at = new Date().toISOString();
    const state: KillSwitchState = { engaged, updatedBy: user.username, updatedAt: at };
    await this.settings.set('kill_switch', state, user.username);
    await this.audit.record({
      workflowId: GUARDRAILS_STREAM,
      activityId: `kill-switch:${ulid()}`,
      kind: engaged ? 'kill-switch-engaged' : 'kill-switch-released',
      title: `${user.username} ${engaged ? 'engaged' : 'released'} the kill switch`,
      actor: user.username,
      detail: { engaged },
      at,
    });
    return state;
  }

  private async killSwitch(): Promise<KillSwitchState> {
    const raw = await this.settings.get<Record<string, unknown>>('kill_switch');
    // A missing or malformed row reads as released: the switch is an extra brake, not a gate on operators.
    const engaged = raw?.['engaged'] === true;
    const updatedBy = typeof raw?.['updatedBy'] === 'string' ? raw['updatedBy'] : undefined;
    const updatedAt = typeof raw?.['updatedAt'] === 'string' ? raw['updatedAt'] : undefined;
    return { engaged, ...(updatedBy ? { updatedBy } : {}), ...(updatedAt ? { updatedAt } : {}) };
  }
}
