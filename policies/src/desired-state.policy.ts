/**
 * The desired state of a guest (ARCHITECTURE.md, "Desired state"): what the operator last asked
 * for, through Jarvis or Proxmox's own UI. The monitor compares it with what it observes; a stop
 * that was asked for is not a crash. These are the only places that map an action, a Proxmox
 * task or an HA request onto a desired state.
 */
import { isVmid } from './identifiers';

export type DesiredState = 'running' | 'stopped';

/** One guest's desired state as the incident policy reads it. */
export interface GuestDesiredState {
  readonly vmid: number;
  readonly desired: DesiredState;
  /** When it was set (epoch ms). */
  readonly setAt?: number;
  /**
   * For a `running` wish that replaced a `stopped` one: until when (epoch ms) the stop was wished.
   * A stop seen by a look whose previous look came before then may be that wished stop, shown late
   * by a lagging cache, so it is not a crash.
   */
  readonly stoppedUntil?: number;
}

export function isDesiredState(value: unknown): value is DesiredState {
  return value === 'running' || value === 'stopped';
}

/**
 * The desired state a guest power action records before it is issued. start, resume and reboot
 * want it running; stop and shutdown want it stopped. suspend records nothing: a suspended guest
 * is `paused`, which is neither, and only running → stopped can be a crash, so the last wish
 * (running) still stands for when it is resumed. `reset` is a reboot in place.
 */
export function desiredAfterAction(action: string): DesiredState | undefined {
  switch (action) {
    case 'start':
    case 'resume':
    case 'reboot':
    case 'reset':
      return 'running';
    case 'stop':
    case 'shutdown':
      return 'stopped';
    default:
      return undefined;
  }
}

/**
 * The desired state a Proxmox worker task expresses: the qm/vz power tasks, and the HA manager's
 * hastart/hastop that PVE forks for an HA guest. Anything else (a snapshot, a migration, a
 * suspend) says nothing about whether the operator wants the guest up.
 */
export function desiredFromTaskType(type: string): DesiredState | undefined {
  const m = /^(?:qm|vz|ha)(start|stop|shutdown|reboot|resume|reset)$/.exec(type);
  if (!m?.[1]) return undefined;
  // hareboot and haresume do not exist in PVE; only the verbs it has for HA count.
  if (type.startsWith('ha') && m[1] !== 'start' && m[1] !== 'stop') return undefined;
  return desiredAfterAction(m[1]);
}

/**
 * An HA guest's desired state is the HA manager's request state (`ha-manager set --state`):
 * `started` wants it running, `stopped` and `disabled` want it stopped. `ignored` hands the
 * guest back to the operator, and error/fence/freeze states are the manager's, not a wish.
 */
export function desiredFromHaState(hastate: unknown): DesiredState | undefined {
  if (hastate === 'started') return 'running';
  if (hastate === 'stopped' || hastate === 'disabled') return 'stopped';
  return undefined;
}

/**
 * Desired states by VMID from untrusted input: malformed entries are dropped, and two entries for
 * one guest that disagree make it ambiguous, which reads as "no recorded wish" (the default: a stop
 * nobody asked for is a crash).
 */
export function indexDesiredStates(raw: unknown): Map<number, GuestDesiredState> {
  const out = new Map<number, GuestDesiredState>();
  const ambiguous = new Set<number>();
  if (!Array.isArray(raw)) return out;
  for (const entry of raw as unknown[]) {
    try {
      if (typeof entry !== 'object' || entry === null) continue;
      const own = (k: string): unknown =>
        Object.prototype.hasOwnProperty.call(entry, k) ? (entry as Record<string, unknown>)[k] : undefined;
      const vmid = own('vmid');
      const desired = own('desired');
      if (!isVmid(vmid) || !isDesiredState(desired)) continue;
      const time = (k: string): number | undefined => {
        const v = own(k);
        return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
      };
      const setAt = time('setAt');
      const stoppedUntil = time('stoppedUntil');
      const parsed: GuestDesiredState = {
        vmid,
        desired,
        ...(setAt !== undefined ? { setAt } : {}),
        ...(stoppedUntil !== undefined ? { stoppedUntil } : {}),
      };
      const held = out.get(vmid);
      if (held && JSON.stringify(held) !== JSON.stringify(parsed)) ambiguous.add(vmid);
      else out.set(vmid, parsed);
    } catch {
      // A getter that throws makes this entry malformed, nothing more.
    }
  }
  for (const vmid of ambiguous) out.delete(vmid);
  return out;
}
