import { startSimulator } from '@jarvis/pve-sim';
import { assessCapabilities, type CapabilityId, type CapabilityStatus } from '@jarvis/policies';
import { ProxmoxClient } from '../../activities/src/proxmox/proxmox.client';
import { simControl, type SimControl } from './sim-control';

type Sim = Awaited<ReturnType<typeof startSimulator>>;

/**
 * The self-check end to end: the simulator's restricted token under each preset, read through the
 * real client's GET /access/permissions, judged by the capability table. The pure table is tested
 * in test/policies; this proves the two agree on PVE's wire shape.
 */
describe('the permission self-check against the simulator’s permission sets', () => {
  let sim: Sim;
  let client: ProxmoxClient;
  let control: SimControl;

  beforeAll(async () => {
    sim = await startSimulator({ port: 0, taskMs: 20, authFailDelayMs: 10 });
    control = simControl(sim);
    client = new ProxmoxClient({ baseUrl: sim.url, token: sim.restrictedToken, fingerprint: sim.fingerprint });
  });
  afterAll(async () => {
    await client.close();
    await control.close();
    await sim.close();
  });

  const preset = async (name: string): Promise<void> => {
    await control.call('PUT', '/permissions', { preset: name });
  };

  const table = async (): Promise<Record<CapabilityId, CapabilityStatus>> => {
    const assessed = assessCapabilities(await client.permissions());
    return Object.fromEntries(assessed.map((c) => [c.id, c.status])) as Record<CapabilityId, CapabilityStatus>;
  };

  it.each<[string, Record<CapabilityId, CapabilityStatus>]>([
    [
      'full',
      {
        'cluster.read': 'available',
        'storage.read': 'available',
        'guest.power': 'available',
        'guest.snapshot': 'available',
        'ha.manage': 'available',
        'node.power': 'available',
        'tasks.others': 'available',
      },
    ],
    [
      'auditor',
      {
        'cluster.read': 'available',
        'storage.read': 'available',
        'guest.power': 'unavailable',
        'guest.snapshot': 'unavailable',
        'ha.manage': 'available',
        'node.power': 'unavailable',
        'tasks.others': 'available',
      },
    ],
    [
      'pool-power',
      {
        'cluster.read': 'partial',
        'storage.read': 'unavailable',
        'guest.power': 'partial',
        'guest.snapshot': 'partial',
        'ha.manage': 'unavailable',
        'node.power': 'unavailable',
        'tasks.others': 'unavailable',
      },
    ],
    [
      'none',
      {
        'cluster.read': 'unavailable',
        'storage.read': 'unavailable',
        'guest.power': 'unavailable',
        'guest.snapshot': 'unavailable',
        'ha.manage': 'unavailable',
        'node.power': 'unavailable',
        'tasks.others': 'unavailable',
      },
    ],
  ])('%s', async (name, expected) => {
    await preset(name);
    expect(await table()).toEqual(expected);
  });
});
