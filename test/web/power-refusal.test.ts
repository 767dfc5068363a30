import { assessCapabilities, type PermissionReport } from '@jarvis/policies';
import { powerRefusal } from '../../apps/web/src/lib/power-refusal';

/** The guest panel's power buttons, against reports the real capability table builds. */
const report = (permissions: unknown): PermissionReport => ({
  checkedAt: '2026-12-03T12:00:00.000Z',
  tokenUser: 'jarvis@pve!ops',
  capabilities: assessCapabilities(permissions),
});
const ALL = { 'VM.Audit': 1, 'VM.PowerMgmt': 1 } as const;

describe('powerRefusal: the guest panel says when Proxmox will refuse a power action', () => {
  it('nothing to say without a check, or with power everywhere', () => {
    expect(powerRefusal(null, 100)).toBeNull();
    expect(powerRefusal(report({ '/': { ...ALL, 'Sys.Audit': 1 } }), 100)).toBeNull();
  });

  it('an auditor token: refused on every guest, naming the privilege and path to grant', () => {
    const text = powerRefusal(report({ '/': { 'Sys.Audit': 1, 'VM.Audit': 1, 'Datastore.Audit': 1 } }), 100);
    expect(text).toBe("Jarvis's Proxmox token cannot power this guest: it needs VM.PowerMgmt on /vms.");
  });

  it('granted on some guests: refused on the others, never on those', () => {
    const some = report({ '/': { 'Sys.Audit': 1 }, '/vms': { 'VM.Audit': 1 }, '/vms/101': ALL });
    expect(powerRefusal(some, 101)).toBeNull();
    expect(powerRefusal(some, 100)).toContain('VM.PowerMgmt');
  });

  it('granted on a pool: left to Proxmox, since the panel cannot tell a guest’s pool', () => {
    expect(powerRefusal(report({ '/pool/lab': ALL }), 100)).toBeNull();
  });

  it('a check that could not read the privileges judges nothing: Proxmox decides', () => {
    expect(powerRefusal({ ...report({}), error: 'connect ECONNREFUSED' }, 100)).toBeNull();
  });
});
