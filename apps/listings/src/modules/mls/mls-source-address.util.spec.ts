import { bareHostname, isPublicAddress, mlsSourcePolicy, sourceUrlProblem } from './mls-source-address.util';

describe('isPublicAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.10.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.254', 'private'],
    ['192.168.1.10', 'private'],
    ['169.254.169.254', 'link-local (cloud metadata)'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['192.0.2.10', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['240.0.0.1', 'reserved'],
    ['::1', 'IPv6 loopback'],
    ['::', 'IPv6 unspecified'],
    ['fe80::1', 'IPv6 link-local'],
    ['fd00::1', 'IPv6 unique local'],
    ['fc00::1', 'IPv6 unique local'],
    ['ff02::1', 'IPv6 multicast'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['::ffff:10.0.0.1', 'IPv4-mapped private'],
    ['::7f00:1', 'IPv4-compatible (outside 2000::/3)'],
    ['64:ff9b::a9fe:a9fe', 'NAT64 of a link-local address'],
    ['64:ff9b::7f00:1', 'NAT64 of loopback'],
    ['2002:7f00:1::1', '6to4'],
    ['2001:0:4136:e378::1', 'Teredo'],
    ['2001:db8::1', 'IPv6 documentation'],
    ['not an address', 'not an address'],
    ['', 'empty'],
  ])('refuses %s (%s)', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each([
    '93.184.215.14',
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:82b::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
  ])('accepts the public address %s', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('sourceUrlProblem', () => {
  const strict = mlsSourcePolicy(false);
  const local = mlsSourcePolicy(true);

  it('accepts an https URL and refuses http, other schemes and credentials under the default policy', () => {
    expect(sourceUrlProblem(new URL('https://api.mls.example/reso/odata'), strict)).toBeNull();
    expect(sourceUrlProblem(new URL('http://api.mls.example/reso'), strict)).toBe('must be an https URL');
    expect(sourceUrlProblem(new URL('ftp://api.mls.example/reso'), strict)).toBe('must be an https URL');
    expect(sourceUrlProblem(new URL('https://user:pass@api.mls.example/reso'), strict)).toMatch(/credentials/);
  });

  it('accepts http when private sources are allowed, still not credentials', () => {
    expect(sourceUrlProblem(new URL('http://127.0.0.1:9/reso'), local)).toBeNull();
    expect(sourceUrlProblem(new URL('http://user@127.0.0.1:9/reso'), local)).toMatch(/credentials/);
    expect(local.allowsAddress).toBeNull();
    expect(strict.allowsAddress?.('127.0.0.1')).toBe(false);
  });
});

describe('bareHostname', () => {
  it('strips the brackets of IPv6 literals and keeps names and IPv4 as the URL normalised them', () => {
    expect(bareHostname(new URL('https://[::1]:8443/x'))).toBe('::1');
    expect(bareHostname(new URL('https://[::ffff:127.0.0.1]/x'))).toBe('::ffff:7f00:1');
    expect(bareHostname(new URL('https://0x7f.1/x'))).toBe('127.0.0.1');
    expect(bareHostname(new URL('https://MLS.Example/x'))).toBe('mls.example');
  });
});
