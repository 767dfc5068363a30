import { cameOverHttps, resolveClientAddress, TrustedProxies } from '../../apps/api/src/common/client-address';

describe('the client address behind TRUSTED_PROXIES', () => {
  const { proxies, problems } = TrustedProxies.parse('127.0.10.1, 127.16.0.0/12, ::1/128');
  it('parses addresses and CIDRs, and names a malformed entry', () => {
    expect(problems).toEqual([]);
    expect(TrustedProxies.parse('127.0.10.1,not-an-ip,127.0.0.0/33,::1/129,192.0.2.4/8/1').problems).toHaveLength(4);
    expect(TrustedProxies.parse(undefined).proxies.trusts('127.0.0.1')).toBe(false);
  });

  it.each([
    ['an untrusted peer, whatever it claims', '192.0.2.1', '203.0.113.66', '192.0.2.1'],
    ['a trusted peer without the header', '127.0.10.1', undefined, '127.0.10.1'],
    ['a trusted peer: the hop it appended', '127.0.10.1', '198.51.100.7', '198.51.100.7'],
    [
      'the right-most untrusted hop, not what the client wrote left of it',
      '127.0.10.1',
      '203.0.113.66, 198.51.100.7',
      '198.51.100.7',
    ],
    [
      'through a chain of trusted proxies',
      '::ffff:127.0.10.1',
      '203.0.113.66, 198.51.100.7, 127.20.1.1',
      '198.51.100.7',
    ],
    ['all hops trusted: the left-most', '127.0.10.1', '127.16.0.5, 127.16.0.6', '127.16.0.5'],
    ['a garbage hop: the nearest trusted proxy', '127.0.10.1', 'garbage', '127.0.10.1'],
    ['IPv6 proxies', '::1', '2001:db8::9', '2001:db8::9'],
  ])('%s', (_name, peer, xff, expected) => {
    expect(resolveClientAddress(peer, xff, proxies)).toBe(expected);
  });

  it('believes X-Forwarded-Proto from a trusted proxy only', () => {
    expect(cameOverHttps(false, '127.0.10.1', 'https', proxies)).toBe(true);
    expect(cameOverHttps(false, '192.0.2.1', 'https', proxies)).toBe(false);
    expect(cameOverHttps(true, '192.0.2.1', undefined, proxies)).toBe(true);
    expect(cameOverHttps(false, '127.0.10.1', 'http', proxies)).toBe(false);
  });
});
