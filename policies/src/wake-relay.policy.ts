/**
 * Which node sends a wake-on-LAN packet for a node that is down. Proxmox does not proxy
 * `POST /nodes/{target}/wakeonlan`: the node whose API receives it sends the packet, and it refuses
 * to wake itself. So the request goes to another node's own endpoint: a member the cluster's
 * membership shows online. Quorum is not required: with two of four nodes down the cluster has
 * none, and waking a node is how it gets it back; a magic packet to a machine that is in fact
 * running (on the other side of a split) does nothing. Without quorum the choice says so.
 * Pure and deterministic: the same cluster and the same failed relays give the same choice.
 */
import { isNodeName } from './identifiers';

/** One node as the cluster's membership (`/cluster/status`) shows it. */
export interface RelayCandidate {
  readonly name: string;
  readonly online: boolean;
  /**
   * Whether Jarvis can reach this node's own API endpoint (trusted and answering), when known.
   * Nodes known to be unreachable are asked last: their request could not even be sent.
   */
  readonly reachable?: boolean;
}

export interface WakeRelayInput {
  /** The node to wake. */
  readonly target: string;
  /** Whether the cluster has quorum, as the membership view says. */
  readonly quorate: boolean;
  readonly members: readonly RelayCandidate[];
  /** Relays already tried for this wake that failed: they are skipped. */
  readonly tried?: readonly string[];
}

export type WakeRelayRuleId = 'invalid-input' | 'no-other-node-online' | 'every-relay-tried' | 'relay-chosen';

export type WakeRelayChoice =
  | { readonly kind: 'relay'; readonly node: string; readonly ruleId: 'relay-chosen'; readonly reason: string }
  | {
      readonly kind: 'none';
      readonly ruleId: Exclude<WakeRelayRuleId, 'relay-chosen'>;
      readonly reason: string;
    };

const none = (ruleId: Exclude<WakeRelayRuleId, 'relay-chosen'>, reason: string): WakeRelayChoice => ({
  kind: 'none',
  ruleId,
  reason,
});

/** Code-unit order: the same in every locale, so every replay chooses alike. */
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The first online member (by name, those whose endpoint Jarvis cannot reach last) other than the
 * target that has not been tried, or why there is none. Malformed input, or a cluster without quorum, chooses nobody.
 */
export function chooseWakeRelay(input: WakeRelayInput): WakeRelayChoice {
  try {
    const target = input.target;
    if (!isNodeName(target)) return none('invalid-input', 'the node to wake is not a valid node name');
    const members: unknown = input.members;
    const given: unknown = input.tried;
    if (!Array.isArray(members) || typeof input.quorate !== 'boolean') {
      return none('invalid-input', 'the cluster membership could not be read');
    }
    const tried = new Set((Array.isArray(given) ? (given as unknown[]) : []).filter((t) => typeof t === 'string'));
    const online = (members as unknown[])
      .map((m) => (typeof m === 'object' && m !== null ? (m as Partial<RelayCandidate>) : {}))
      .filter((m) => m.online === true && isNodeName(m.name) && m.name !== target);
    const unreachable = new Set(online.filter((m) => m.reachable === false).map((m) => m.name as string));
    const others = [...new Set(online.map((m) => m.name as string))].sort(
      (a, b) => Number(unreachable.has(a)) - Number(unreachable.has(b)) || byName(a, b),
    );
    if (others.length === 0) return none('no-other-node-online', `no node other than ${target} is online to wake it`);
    const next = others.find((n) => !tried.has(n));
    if (next === undefined) {
      return none('every-relay-tried', `every other online node failed to wake ${target}: ${others.join(', ')}`);
    }
    const reason = `${next} is online and is not ${target}${input.quorate ? '' : ' (the cluster has no quorum: waking a node is how it gets it back)'}`;
    return { kind: 'relay', node: next, ruleId: 'relay-chosen', reason };
  } catch {
    return none('invalid-input', 'the cluster membership could not be read');
  }
}
