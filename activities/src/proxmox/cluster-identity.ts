import { normalizeFingerprint } from './tls';
import { type ParsedClusterStatus } from './normalize';
import { type PveNodeListEntry } from './pve-records';

/**
 * Which cluster Jarvis is talking to, as a string that stays the same while the cluster does:
 * its corosync name, the member with the lowest node ID, and that node's certificate
 * fingerprint (a reinstalled or different cluster has another). State recorded against one
 * cluster (the guardian's attempts) is dropped when another answers. Anything unreadable gives
 * no identity at all, never a partial one that would differ from the next read. Pure.
 */
export function clusterIdentityOf(
  status: ParsedClusterStatus,
  nodes: readonly Pick<PveNodeListEntry, 'name' | 'sslFingerprint'>[],
): string | undefined {
  const members = [...status.members].sort(
    (a, b) => (a.nodeid ?? Number.MAX_SAFE_INTEGER) - (b.nodeid ?? Number.MAX_SAFE_INTEGER) || byText(a.name, b.name),
  );
  const first = members[0];
  if (!first) return undefined;
  if (status.clusterName === undefined && members.length > 1) return undefined;
  const fingerprint = nodes.find((n) => n.name === first.name)?.sslFingerprint;
  if (fingerprint === undefined) return undefined;
  let pin: string;
  try {
    pin = normalizeFingerprint(fingerprint);
  } catch {
    return undefined;
  }
  return `${status.clusterName ?? '(standalone)'}/${first.name}/${pin}`;
}

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
