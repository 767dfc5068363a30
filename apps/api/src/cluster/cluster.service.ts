import { Injectable } from '@nestjs/common';
import { ClusterSnapshot, type ClusterGuest, type ClusterState } from '@jarvis/activities';

@Injectable()
export class ClusterService {
  constructor(private readonly snapshot: ClusterSnapshot) {}

  /** The shared snapshot; a ProxmoxError (no cached state to fall back on) reaches the filter as a 502. */
  state(): Promise<ClusterState> {
    return this.snapshot.get();
  }

  async findGuest(node: string, vmid: number): Promise<{ guest?: ClusterGuest; state: ClusterState }> {
    const state = await this.snapshot.get();
    const guest = state.guests.find((g) => g.vmid === vmid && g.node === node);
    return guest ? { guest, state } : { state };
  }
}
