import { ref, shallowRef } from 'vue';
import { http, isHttpError } from '../api/http';
import { type ClusterGuest, type GuestActionAccepted, type PowerAction, type Tier } from '../lib/api-types';
import { TIER_MEANING } from '../lib/tiers';
import { useTimelineStore } from '../stores/timeline';

export interface ActionOutcome {
  readonly ok: boolean;
  readonly action: PowerAction;
  readonly vmid: number;
  readonly message: string;
  readonly tier?: Tier;
  readonly workflowId?: string;
}

/** Sends a power action and reports the server's answer, which is the tier that counts. */
export function useGuestActions() {
  const sending = ref<PowerAction | null>(null);
  const outcome = shallowRef<ActionOutcome | null>(null);
  const timeline = useTimelineStore();

  async function send(guest: ClusterGuest, action: PowerAction, reason: string): Promise<ActionOutcome> {
    sending.value = action;
    let result: ActionOutcome;
    try {
      const res = await http.post<GuestActionAccepted>(`/api/guests/${guest.node}/${guest.vmid}/actions`, {
        action,
        ...(reason.trim() ? { reason: reason.trim() } : {}),
      });
      result = {
        ok: true,
        action,
        vmid: guest.vmid,
        tier: res.tier,
        workflowId: res.workflowId,
        message: `${action} ${guest.vmid} requested: ${res.tier}, ${TIER_MEANING[res.tier]}${
          res.state === 'queued' ? ' (queued: no worker has picked it up yet)' : ''
        }.`,
      };
    } catch (err) {
      const details = isHttpError(err) ? err.details : undefined;
      const workflowId = typeof details?.['workflowId'] === 'string' ? details['workflowId'] : undefined;
      result = {
        ok: false,
        action,
        vmid: guest.vmid,
        ...(isHttpError(err) && err.code === 'POLICY_BLOCKED' ? { tier: 'BLACK' as const } : {}),
        ...(workflowId ? { workflowId } : {}),
        message: isHttpError(err) ? err.message : String(err),
      };
    } finally {
      sending.value = null;
    }
    outcome.value = result;
    if (result.workflowId) void timeline.select(result.workflowId);
    return result;
  }

  return { sending, outcome, send };
}
