import { Injectable } from '@nestjs/common';
import { ProxmoxClient, type PveRrdRow, type RrdCf, type RrdTimeframe } from '@jarvis/activities';
import { ClusterService } from '../cluster/cluster.service';
import { ApiError } from '../errors/api-error';

export interface NodeRrd {
  readonly node: string;
  readonly timeframe: RrdTimeframe;
  readonly items: PveRrdRow[];
}

@Injectable()
export class NodeRrdService {
  constructor(
    private readonly cluster: ClusterService,
    private readonly pve: ProxmoxClient,
  ) {}

  /**
   * A node's RRD history for the dashboard's sparklines. The node is checked against the shared
   * snapshot first: PVE answers an unknown node with a 500 ("hostname lookup failed"), which
   * would reach the operator as an upstream fault instead of a plain 404.
   */
  async rrd(node: string, timeframe: RrdTimeframe = 'hour', cf?: RrdCf): Promise<NodeRrd> {
    const state = await this.cluster.state();
    if (!state.nodes.some((n) => n.name === node)) throw new ApiError('NOT_FOUND', `no node ${node}`, { node });
    return { node, timeframe, items: await this.pve.nodeRrd(node, timeframe, cf) };
  }
}
