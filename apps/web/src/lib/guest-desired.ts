import { type ClusterGuest } from './api-types';

export interface DesiredMark {
  /** Short, for the row: `→ stopped`. */
  readonly text: string;
  /** Long, for the tooltip and screen readers. */
  readonly title: string;
}

/**
 * A mark for a guest whose desired state (what the operator last asked for) differs from its
 * status: a stop on its way, or a guest Jarvis will treat as crashed if it stays down. Nothing when
 * they agree, when the API sent none, or for a paused or unknown guest (neither running nor stopped).
 */
export function desiredMark(guest: Pick<ClusterGuest, 'status' | 'desired'>): DesiredMark | null {
  const { status, desired } = guest;
  if (desired === undefined || desired === status) return null;
  if (status !== 'running' && status !== 'stopped') return null;
  return {
    text: `→ ${desired}`,
    title:
      desired === 'stopped'
        ? 'Asked to stop: not running is expected, and a stop is not treated as a crash'
        : 'Wanted running: the monitor treats a stop nobody asked for as a crash',
  };
}
