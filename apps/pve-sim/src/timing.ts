export type TaskKind = 'start' | 'stop' | 'shutdown' | 'reboot' | 'suspend' | 'resume' | 'snapshot';

// Roughly what a small homelab VM takes on real hardware.
const REALISTIC_MS: Record<TaskKind, number> = {
  start: 1500,
  stop: 1000,
  shutdown: 3000,
  reboot: 3000,
  suspend: 1000,
  resume: 500,
  snapshot: 2000,
};

/**
 * Every delay the simulator uses, derived from one knob. With taskMs unset the numbers are
 * realistic; with taskMs set, each task takes taskMs and the slower background effects
 * (HA manager, node reboots, lock waits) are fixed multiples of it so tests stay fast.
 */
export class Timing {
  constructor(readonly taskMs: number | undefined) {}

  task(kind: TaskKind): number {
    return this.taskMs ?? REALISTIC_MS[kind];
  }

  /** A task that dies on its first check (locked, template) still runs briefly before it stops. */
  failFast(): number {
    return this.taskMs === undefined ? 100 : Math.min(this.taskMs, 50);
  }

  /** hastart/hastop only hand a request to the CRM, so they end "almost at once". */
  haTask(): number {
    return this.taskMs === undefined ? 150 : Math.round(this.taskMs / 10);
  }

  /** CRM + LRM round trip before the guest actually changes; the HA docs say "some seconds". */
  haApply(): number {
    return this.taskMs === undefined ? 4000 : this.taskMs * 2;
  }

  nodeGoingDown(): number {
    return this.taskMs === undefined ? 5000 : this.taskMs * 2;
  }

  nodeBoot(): number {
    return this.taskMs === undefined ? 45_000 : this.taskMs * 5;
  }

  /** lock_config waits 10 s for the guest's flock before "got timeout". */
  lockTimeout(): number {
    return this.taskMs === undefined ? 10_000 : Math.max(this.taskMs * 10, 100);
  }

  flapCrash(): number {
    return this.taskMs === undefined ? 5000 : Math.max(this.taskMs * 3, 10);
  }
}
