import { BlockList, isIP } from 'node:net';

/**
 * Which peers may tell us the client's address (TRUSTED_PROXIES: addresses or CIDRs, comma-
 * separated; none by default). Only a trusted peer's `X-Forwarded-For` is believed, and within it
 * only the hops that trusted proxies appended: the right-most address that is not itself a
 * trusted proxy is the client. Anything left of it was written by the client and is ignored, so a
 * client cannot pick its own address (and with it a fresh login rate-limit budget).
 */
export class TrustedProxies {
  private constructor(
    private readonly list: BlockList,
    readonly size: number,
  ) {}

  static readonly none = new TrustedProxies(new BlockList(), 0);

  /** Parses the setting; a malformed entry is reported, never silently dropped. */
  static parse(raw: string | undefined): { proxies: TrustedProxies; problems: string[] } {
    const list = new BlockList();
    const problems: string[] = [];
    const entries = (raw ?? '')
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e.length > 0);
    for (const entry of entries) {
      const [address = '', prefix, extra] = entry.split('/');
      const family = isIP(address);
      const bits = prefix === undefined ? undefined : Number(prefix);
      const maxBits = family === 6 ? 128 : 32;
      if (
        family === 0 ||
        extra !== undefined ||
        (bits !== undefined && (!/^\d{1,3}$/.test(prefix ?? '') || bits > maxBits))
      ) {
        problems.push(`TRUSTED_PROXIES: "${entry.slice(0, 64)}" is not an IP address or CIDR`);
        continue;
      }
      const type = family === 6 ? 'ipv6' : 'ipv4';
      if (bits === undefined) list.addAddress(address, type);
      else list.addSubnet(address, bits, type);
    }
    return { proxies: new TrustedProxies(list, entries.length), problems };
  }

  trusts(address: string): boolean {
    const family = isIP(address);
    return family !== 0 && this.size > 0 && this.list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  }
}

/** `::ffff:127.0.0.1` (a dual-stack socket's view of an IPv4 peer) as `127.0.0.1`. */
export function normaliseAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped?.[1] ?? address;
}

/** The client's address: the peer, or through trusted proxies the right-most untrusted hop. */
export function resolveClientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: TrustedProxies,
): string {
  let client = normaliseAddress(peer ?? 'unknown');
  if (!trusted.trusts(client) || forwardedFor === undefined) return client;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
    .split(',')
    .map((h) => normaliseAddress(h.trim()));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] ?? '';
    // A hop that is not an address was not written by a proxy we trust to write addresses:
    // the nearest trusted proxy is then the best we know.
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!trusted.trusts(hop)) return hop;
  }
  return client;
}

/** Whether the client reached us over HTTPS: TLS on this socket, or a trusted proxy saying so. */
export function cameOverHttps(
  encrypted: boolean,
  peer: string | undefined,
  forwardedProto: string | string[] | undefined,
  trusted: TrustedProxies,
): boolean {
  if (encrypted) return true;
  if (!trusted.trusts(normaliseAddress(peer ?? '')) || forwardedProto === undefined) return false;
  const first = (Array.isArray(forwardedProto) ? forwardedProto.join(',') : forwardedProto).split(',')[0];
  return first?.trim().toLowerCase() === 'https';
}
