import { type ClusterGuest, type PowerAction, type Tier } from './api-types';

/** Jarvis's own VM: the default of JARVIS_PROTECTED (policies' DEFAULT_PROTECTED). */
export const JARVIS_VM = { vmid: 103, node: 'agent1' } as const;

export const POWER_ACTIONS: readonly PowerAction[] = ['start', 'shutdown', 'reboot', 'stop'];

export interface TierPreview {
  readonly tier: Tier;
  readonly why: string;
}

/**
 * The tier a power action will most likely get, from the same defaults the policy ships with
 * (ARCHITECTURE "Default tiers"), so the operator sees it before sending. Only a preview: the
 * operator can change tiers and protect more resources, so the server's answer always wins.
 */
export function previewGuestTier(guest: Pick<ClusterGuest, 'vmid' | 'node' | 'hastate'>): TierPreview {
  if (guest.vmid === JARVIS_VM.vmid)
    return { tier: 'BLACK', why: "Jarvis's own VM is protected: the request will be refused and recorded" };
  if (guest.hastate !== undefined && guest.hastate !== 'ignored')
    return { tier: 'RED', why: 'HA-managed: needs two confirmations' };
  return { tier: 'YELLOW', why: 'needs an approval' };
}

/** Which power actions make sense for a guest in its current state. */
export function actionAllowed(guest: Pick<ClusterGuest, 'status' | 'template' | 'lock'>, action: PowerAction): boolean {
  if (guest.template) return false;
  if (action === 'start') return guest.status === 'stopped';
  return guest.status === 'running' || guest.status === 'paused';
}

export const TIER_MEANING: Readonly<Record<Tier, string>> = {
  GREEN: 'runs now',
  YELLOW: 'needs an approval',
  RED: 'needs two confirmations',
  BLACK: 'blocked',
};
