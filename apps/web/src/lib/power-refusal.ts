import type { PermissionReport } from '@jarvis/policies';

/**
 * Whether the token's last self-check says Proxmox will refuse power actions on this guest, and
 * what it needs: on every guest (unavailable), or on this one while only other guests are granted.
 * A grant on a pool is not judged here (the dashboard does not know a guest's pool), nor a check
 * that could not read the privileges: Proxmox decides.
 */
export function powerRefusal(report: PermissionReport | null, vmid: number): string | null {
  if (!report || report.error !== undefined) return null;
  const power = report.capabilities.find((c) => c.id === 'guest.power');
  if (!power || power.status === 'available') return null;
  if (power.status === 'partial') {
    if (power.grantedOn.includes(`/vms/${vmid}`) || power.grantedOn.some((p) => p.startsWith('/pool/'))) return null;
  }
  const needs = power.missing.map((m) => `${m.privilege} on ${m.path}`).join(', ');
  return `Jarvis's Proxmox token cannot power this guest${needs ? `: it needs ${needs}` : ''}.`;
}
