import ipaddr from 'ipaddr.js';

/**
 * What an MLS request may reach: the URL schemes and the addresses a source's host may resolve
 * to. `mlsSourcePolicy` builds it from `LISTINGS_MLS_ALLOW_PRIVATE_SOURCES`.
 */
export interface MlsSourcePolicy {
  /** URL schemes allowed, as `URL.protocol` spells them (`'https:'`). */
  protocols: readonly string[];
  /**
   * Whether a resolved address may be connected to. When set, every address of a host must pass
   * and the request connects to the address that was checked; null: any address, and the system
   * resolver picks it (local development and tests only).
   */
  allowsAddress: ((address: string) => boolean) | null;
}

/**
 * The policy of the service: https to public addresses only; with `allowPrivate` (tests and
 * local development, `LISTINGS_MLS_ALLOW_PRIVATE_SOURCES=true`) http too and any address.
 */
export function mlsSourcePolicy(allowPrivate: boolean): MlsSourcePolicy {
  return allowPrivate ? { protocols: ['https:', 'http:'], allowsAddress: null } : { protocols: ['https:'], allowsAddress: isPublicAddress };
}

/** NAT64 well-known prefix (RFC 6052): the IPv4 address it reaches is in the last 32 bits. */
const NAT64 = ipaddr.IPv6.parseCIDR('64:ff9b::/96');
/** IPv6 global unicast (RFC 4291, IANA): everything outside it is special or unallocated. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');

/**
 * True when `address` (an IPv4 or IPv6 literal, as a resolver answers it) is a public unicast
 * address: not private (RFC 1918, unique local fc00::/7), loopback, link-local (169.254/16,
 * fe80::/10), carrier-grade NAT, unspecified, broadcast, multicast, documentation, benchmarking
 * or otherwise reserved (ipaddr.js's special ranges; IPv6 also only inside 2000::/3). IPv4-mapped
 * IPv6 and NAT64 addresses are judged by the IPv4 address they reach; 6to4 and Teredo are refused.
 * Anything that does not parse is not public.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.process(address);
  if (parsed instanceof ipaddr.IPv4) return parsed.range() === 'unicast';
  if (parsed.match(NAT64)) return isPublicAddress(ipaddr.fromByteArray(parsed.toByteArray().slice(12)).toString());
  return parsed.match(GLOBAL_UNICAST_V6) && parsed.range() === 'unicast';
}

/**
 * What is wrong with `url` as an MLS request target before any address is looked at: a scheme
 * the policy does not allow, or credentials in the URL. Null when nothing. The words name no
 * address or port, so they may be shown to the caller and kept on a run record.
 */
export function sourceUrlProblem(url: URL, policy: MlsSourcePolicy): string | null {
  if (!policy.protocols.includes(url.protocol)) return `must be an ${policy.protocols.map((p) => p.slice(0, -1)).join(' or ')} URL`;
  if (url.username || url.password) return 'must not carry credentials (the token is configured apart)';
  return null;
}

/** The host of `url` as a resolver or an address check takes it (IPv6 literals without brackets). */
export function bareHostname(url: URL): string {
  return url.hostname.startsWith('[') && url.hostname.endsWith(']') ? url.hostname.slice(1, -1) : url.hostname;
}
