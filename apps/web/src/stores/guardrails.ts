import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { FailureHistoryEntry, IncidentFailureHistory } from '@jarvis/policies';
import { http, isHttpError } from '../api/http';

export type { FailureHistoryEntry, IncidentFailureHistory };

export type AutonomyLevel = 'L0' | 'L1' | 'L2' | 'L3' | 'L4';

export const AUTONOMY_LABELS: Readonly<Record<AutonomyLevel, string>> = Object.freeze({
  L0: 'L0 · observe',
  L1: 'L1 · alert',
  L2: 'L2 · recommend (asks)',
  L3: 'L3 · act and report',
  L4: 'L4 · act silently',
});

export interface KillSwitchState {
  readonly engaged: boolean;
  readonly updatedBy?: string;
  readonly updatedAt?: string;
  readonly applied?: boolean;
}

export interface RunbookView {
  readonly class: string;
  readonly autonomy: AutonomyLevel;
  readonly defaultAutonomy: AutonomyLevel;
  readonly actionTool: string | null;
  readonly tier: string;
  readonly steps: readonly string[];
}

export interface GuardrailsView {
  readonly killSwitch: KillSwitchState;
  readonly limits: Readonly<Record<string, number>>;
  readonly runbooks: readonly RunbookView[];
  readonly guardian?: {
    readonly running: boolean;
    readonly waiting?: readonly string[];
    readonly clusterIdentity?: string;
  };
  readonly failures?: readonly IncidentFailureHistory[];
}

const message = (err: unknown): string => (isHttpError(err) ? err.message : String(err));

/**
 * The kill switch and the runbooks' autonomy levels, as the API holds them (the guardian workflow
 * is the authority; the API keeps the state for display and reload). Nothing is assumed locally:
 * the switch shows what the API answered, so a failed PUT never shows a state that is not in force.
 */
export const useGuardrailsStore = defineStore('guardrails', () => {
  const view = shallowRef<GuardrailsView | null>(null);
  const busy = ref(false);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    try {
      view.value = Object.freeze(await http.get<GuardrailsView>('/api/guardrails'));
      error.value = null;
    } catch (err) {
      error.value = message(err);
    }
  }

  async function setKillSwitch(engaged: boolean): Promise<boolean> {
    busy.value = true;
    try {
      const state = await http.put<KillSwitchState>('/api/guardrails/kill-switch', { engaged });
      if (view.value) view.value = Object.freeze({ ...view.value, killSwitch: state });
      error.value = null;
      return true;
    } catch (err) {
      error.value = message(err);
      return false;
    } finally {
      busy.value = false;
    }
  }

  async function setAutonomy(incidentClass: string, level: AutonomyLevel): Promise<boolean> {
    try {
      const updated = await http.put<RunbookView>(`/api/guardrails/autonomy/${incidentClass}`, { level });
      if (view.value)
        view.value = Object.freeze({
          ...view.value,
          runbooks: view.value.runbooks.map((r) => (r.class === incidentClass ? updated : r)),
        });
      error.value = null;
      return true;
    } catch (err) {
      error.value = message(err);
      return false;
    }
  }

  /** Resets one incident's failures through the guardian (audited), then reloads what counts now. */
  async function resetFailures(incidentKey: string, reason?: string): Promise<boolean> {
    busy.value = true;
    try {
      await http.post(`/api/guardrails/failures/${incidentKey}/reset`, reason ? { reason } : {});
      error.value = null;
      await load();
      return true;
    } catch (err) {
      error.value = message(err);
      return false;
    } finally {
      busy.value = false;
    }
  }

  /** A live change (another operator's, or this one's in another tab). */
  function applyKillSwitch(state: KillSwitchState): void {
    if (view.value) view.value = Object.freeze({ ...view.value, killSwitch: state });
  }

  function reset(): void {
    view.value = null;
    error.value = null;
  }

  return { view, busy, error, load, setKillSwitch, setAutonomy, resetFailures, applyKillSwitch, reset };
});
