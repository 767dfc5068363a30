/**
 * A call Proxmox refused or cannot serve, as an operator reads it: which privilege on which path
 * the token lacks (PVE's `Permission check failed (<path>, <privilege>)`), and what to do about it.
 * Pure, so workflows can use it too.
 */

/** `Permission check failed (/vms/100, VM.PowerMgmt)` → the path and the privilege(s) it wants. */
export function missingPermission(message: string): { path: string; privileges: string[] } | undefined {
  const m = /Permission check failed \(([^,()]+),\s*([^()]+)\)/.exec(message);
  if (!m?.[1] || !m[2]) return undefined;
  return {
    path: m[1].trim(),
    privileges: m[2]
      .split('|')
      .map((p) => p.trim())
      .filter(Boolean),
  };
}

/**
 * What an operator can do about a refused call, in one sentence: which privilege on which path,
 * a token that Proxmox does not accept, or an API this PVE does not have.
 */
export function refusalAdvice(code: string, message: string): string | undefined {
  if (code === 'PERMISSION') {
    const missing = missingPermission(message);
    if (missing) {
      const privs = missing.privileges.join(' or ');
      return `Grant the Jarvis API token ${privs} on ${missing.path} (Datacenter → Permissions, with propagate), or do this in Proxmox yourself.`;
    }
    return "Proxmox refused the Jarvis API token this call: check the token's permissions (Datacenter → Permissions).";
  }
  if (code === 'AUTH')
    return 'Proxmox did not accept the Jarvis API token: check that it exists, has not expired, and matches PVE_TOKEN.';
  if (code === 'NOT_IMPLEMENTED') return 'This Proxmox version does not offer that call: check the PVE version.';
  if (code === 'NODE_UNREACHABLE') return 'The node cannot be reached: check that it is up and in the cluster.';
  return undefined;
}
