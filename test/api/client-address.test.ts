import { cameOverHttps, resolveClientAddress, TrustedProxies } from '../../apps/api/src/common/client-address';

describe('the client address behind TRUSTED_PROXIES', () => {
  const { proxies, problems } = TrustedProxies.parse('10.0.0.1, 172.16.0.0/12, fd00::/8');
  it('parses addresses and CIDRs, and names a malformed entry', () => {
    expect(problems).toEqual([]);
    expect(TrustedProxies.parse('10.0.0.1,not-an-ip,10.0.0.0/33,::1/129,1.2.3.4/8/1').problems).toHaveLength(4);
    expect(TrustedProxies.parse(undefined).proxies.trusts('127.0.0.1')).toBe(false);
  });

  it.each([
    ['an untrusted peer, whatever it claims', '192.0.2.1', '6.6.6.6', '192.0.2.1'],
    ['a trusted peer without the header', '10.0.0.1', undefined, '10.0.0.1'],
    ['a trusted peer: the hop it appended', '10.0.0.1', '198.51.100.7', '198.51.100.7'],
    [
      'the right-most untrusted hop, not what the client wrote left of it',
      '10.0.0.1',
      '6.6.6.6, 198.51.100.7',
      '198.51.100.7',
    ],
    ['through a chain of trusted proxies', '::ffff:10.0.0.1', '6.6.6.6, 198.51.100.7, 172.20.1.1', '198.51.100.7'],
    ['all hops trusted: the left-most', '10.0.0.1', '172.16.0.5, 172.16.0.6', '172.16.0.5'],
    ['a garbage hop: the nearest trusted proxy', '10.0.0.1', 'garbage', '10.0.0.1'],
    ['IPv6 proxies', 'fd00::1', '2001:db8::9', '2001:db8::9'],
  ])('%s', (_name, peer, xff, expected) => {
    expect(resolveClientAddress(peer, xff, proxies)).toBe(expected);
  });

  it('believes X-Forwarded-Proto from a trusted proxy only', () => {
    expect(cameOverHttps(false, '10.0.0.1', 'https', proxies)).toBe(true);
    expect(cameOverHttps(false, '192.0.2.1', 'https', proxies)).toBe(false);
    expect(cameOverHttps(true, '192.0.2.1', undefined, proxies)).toBe(true);
    expect(cameOverHttps(false, '10.0.0.1', 'http', proxies)).toBe(false);
  });
});
