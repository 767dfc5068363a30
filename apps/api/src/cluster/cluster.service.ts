import { Injectable } from '@nestjs/common';
import { ClusterSnapshot, type ClusterGuest, type ClusterState } from '@jarvis/activities';
import { GuestDesiredStates } from './guest-desired-states.service';
import { NodeTemperatures } from './node-temperatures.service';

@Injectable()
export class ClusterService {
  constructor(
    private readonly snapshot: ClusterSnapshot,
    private readonly temperatures: NodeTemperatures,
    private readonly desired: GuestDesiredStates,
  ) {}

  /**
   * The shared snapshot with the nodes' temperatures (SSH) and the guests' desired states merged
   * in; a ProxmoxError (no cached state to fall back on) reaches the filter as a 502.
   */
  async state(): Promise<ClusterState> {
    return this.desired.apply(this.temperatures.apply(await this.snapshot.get()));
  }

  async findGuest(node: string, vmid: number): Promise<{ guest?: ClusterGuest; state: ClusterState }> {
    const state = await this.snapshot.get();
    const guest = state.guests.find((g) => g.vmid === vmid && g.node === node);
    return guest ? { guest, state } : { state };
  }
}
