import { randomBytes } from 'node:crypto';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A ULID: 48 bits of milliseconds and 80 random bits in Crockford base32, so workflow IDs sort
 * by creation time in Temporal's UI and in the audit list, and never collide in practice.
 */
export function ulid(nowMs = Date.now()): string {
  let time = '';
  let t = Math.max(0, Math.floor(nowMs));
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  // 16 random bytes, 5 bits each: 80 bits of randomness, as the ULID spec asks.
  const random = [...randomBytes(16)].map((b) => CROCKFORD[b & 31]!).join('');
  return time + random;
}

export function vmActionWorkflowId(node: string, vmid: number, action: string, nowMs = Date.now()): string {
  return `vm-action:${node}:${vmid}:${action}:${ulid(nowMs)}`;
}
