import { proxmoxComponent } from '../../apps/api/src/health/health.service';

const ok = { status: 'ok' as const, latencyMs: 3 };
const A = { node: 'home', url: 'https://127.0.0.11:8006/api2/json', since: '2026-01-01T00:00:00.000Z' };
const B = { node: 'pve', url: 'https://127.0.0.12:8006/api2/json', since: '2026-01-01T00:00:00.000Z' };
const C = { node: 'agent', url: 'https://127.0.0.13:8006/api2/json', since: '2026-01-01T00:00:00.000Z' };

describe('the proxmox health component', () => {
  it('is ok with every trusted endpoint up, and names the one in use', () => {
    expect(
      proxmoxComponent(ok, [
        { ...A, state: 'active' },
        { ...B, state: 'healthy' },
        { ...C, state: 'untrusted', lastError: 'TLS' },
      ]),
    ).toEqual({
      status: 'ok',
      latencyMs: 3,
      detail: 'using https://127.0.0.11:8006/api2/json (home); 0 of 2 endpoints down, 1 untrusted (not used)',
    });
  });

  it('is degraded when a trusted endpoint is down but another answers', () => {
    expect(
      proxmoxComponent(ok, [
        { ...A, state: 'down', lastError: 'cannot reach the PVE API: connect ECONNREFUSED' },
        { ...B, state: 'active' },
      ]),
    ).toMatchObject({
      status: 'degraded',
      detail: 'using https://127.0.0.12:8006/api2/json (pve); 1 of 2 endpoints down',
    });
  });

  it('is down when none answers', () => {
    const reached = { status: 'down' as const, latencyMs: 5, detail: 'cannot reach the PVE API' };
    expect(
      proxmoxComponent(reached, [
        { ...A, state: 'down' },
        { ...B, state: 'down' },
      ]),
    ).toEqual({ status: 'down', latencyMs: 5, detail: 'cannot reach the PVE API; 2 of 2 endpoints down' });
  });
});
