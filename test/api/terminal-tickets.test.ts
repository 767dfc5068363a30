import { stepUpClaims } from '../../apps/api/src/terminal/terminal-access.service';
import { TerminalTickets, TICKET_TTL_MS } from '../../apps/api/src/terminal/terminal-tickets';

/** The terminal's step-up pieces on their own clock: ticket lifetime and binding, and the claims read. */
describe('terminal tickets', () => {
  it('are single use, bound to one operator and node, and expire after a minute', () => {
    let now = 1_000_000;
    const tickets = new TerminalTickets(() => now);
    const a = tickets.issue('operator', 'pve', now + 3_600_000);
    expect(a.ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.expiresAtMs).toBe(now + TICKET_TTL_MS);
    expect(tickets.peek(a.ticket)).toMatchObject({ operator: 'operator', node: 'pve' });
    expect(tickets.redeem(a.ticket, 'operator', 'pve')).toMatchObject({ ok: true });
    expect(tickets.redeem(a.ticket, 'operator', 'pve')).toEqual({ ok: false, reason: expect.stringMatching(/used/) });
    expect(tickets.peek(a.ticket)).toBeUndefined();

    const b = tickets.issue('operator', 'pve', now + 3_600_000);
    now += TICKET_TTL_MS;
    expect(tickets.peek(b.ticket)).toBeUndefined();
    expect(tickets.redeem(b.ticket, 'operator', 'pve')).toEqual({
      ok: false,
      reason: expect.stringMatching(/expired/),
    });

    // A wrong operator or node uses the ticket up too: it cannot be tried again elsewhere.
    const c = tickets.issue('operator', 'pve', now + 3_600_000);
    expect(tickets.redeem(c.ticket, 'second', 'pve')).toMatchObject({ ok: false });
    expect(tickets.redeem(c.ticket, 'operator', 'pve')).toMatchObject({ ok: false });
    const d = tickets.issue('operator', 'pve', now + 3_600_000);
    expect(tickets.redeem(d.ticket, 'operator', 'home')).toMatchObject({ ok: false });
    // Never outlives the token that asked for it.
    expect(tickets.issue('operator', 'pve', now + 5000).expiresAtMs).toBe(now + 5000);
  });
});

describe('step-up claims', () => {
  const token = (claims: Record<string, unknown>): string =>
    `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;

  it('reads auth_time when present, falls back to iat, and never takes a login time later than iat', () => {
    expect(stepUpClaims(token({ sub: 'op', iat: 2000, exp: 3000, jti: 'j', auth_time: 1000 }))).toEqual({
      sub: 'op',
      exp: 3000,
      authTime: 1000,
      key: 'jti:j',
    });
    expect(stepUpClaims(token({ sub: 'op', iat: 2000, exp: 3000, jti: 'j' }))?.authTime).toBe(2000);
    expect(stepUpClaims(token({ sub: 'op', iat: 2000, exp: 3000, jti: 'j', auth_time: 9999 }))?.authTime).toBe(2000);
    expect(stepUpClaims(token({ sub: 'op', iat: 2000, exp: 3000, jti: 'j', auth_time: '1000' }))?.authTime).toBe(2000);
    expect(stepUpClaims(token({ sub: 'op', iat: 2000, exp: 3000, jti: 'j', sid: 's1' }))?.key).toBe('sid:s1');
    expect(stepUpClaims(token({ sub: 'op', iat: 2000, exp: 3000 }))).toBeUndefined();
    expect(stepUpClaims('not-a-token')).toBeUndefined();
  });
});
