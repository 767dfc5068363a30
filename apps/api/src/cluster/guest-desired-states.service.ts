import { Inject, Injectable, Logger } from '@nestjs/common';
import { type ClusterGuest, type ClusterState } from '@jarvis/activities';
import { DesiredStateRepository } from '@jarvis/db';
import { desiredFromHaState, type DesiredState } from '@jarvis/policies';
import { API_CONFIG, type ApiConfig } from '../api-config';

/**
 * Each guest's desired state on the cluster the API serves: the HA manager's request state for an
 * HA guest, else the wish recorded in Postgres (by a power action through Jarvis, or a Proxmox
 * task by another user), else what the guest is now, which is how the monitor reads a guest
 * nobody has asked anything of. Templates have none.
 */
const log = new Logger('DesiredStates');

@Injectable()
export class GuestDesiredStates {
  constructor(
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    private readonly repo: DesiredStateRepository,
  ) {}

  async apply(state: ClusterState): Promise<ClusterState> {
    let recorded = new Map<number, DesiredState>();
    try {
      const wishes = await this.repo.list(this.config.autonomy.cluster);
      recorded = new Map(wishes.map((w) => [w.vmid, w.desired]));
    } catch (err) {
      // The cluster still shows; only the marks are missing until the database answers.
      log.warn(`desired states could not be read: ${(err as Error).message}`);
    }
    return { ...state, guests: state.guests.map((g) => withDesired(g, recorded.get(g.vmid))) };
  }
}

function withDesired(g: ClusterGuest, recorded: DesiredState | undefined): ClusterGuest {
  if (g.template) return g;
  const desired =
    desiredFromHaState(g.hastate) ??
    recorded ??
    (g.status === 'running' ? 'running' : g.status === 'stopped' ? 'stopped' : undefined);
  return desired ? { ...g, desired } : g;
}
