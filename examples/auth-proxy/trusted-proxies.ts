/**
 * `trusted_proxies`: the addresses (IPs or CIDR ranges) whose forwarding headers count. From
 * anyone else `X-Forwarded-*` and `X-Original-URL` are ignored (CVE-2026-40575) and `/auth/*`
 * is refused, and the client address for audit lines is the socket's peer. Behind trusted
 * proxies it is the right-most `X-Forwarded-For` hop that is not itself trusted. The matching
 * and the walk are tollgate's own (src/server/forwarded.ts), so both read addresses alike.
 */
import { normalizeAddress, trustedProxies, clientAddress as walkForwardedFor } from 'tollgate';

export { normalizeAddress };

/** True when the address is in one of the configured entries. */
export type TrustedProxyTest = (address: string | undefined) => boolean;

const compiled = new WeakMap<readonly string[], TrustedProxyTest>();

/** A membership test for the entries, compiled once per (configuration) list. */
export function trustedProxyTest(entries: readonly string[]): TrustedProxyTest {
  const known = compiled.get(entries);
  if (known) return known;
  const inList = trustedProxies(entries);
  const test: TrustedProxyTest = (address) => {
    const peer = normalizeAddress(address);
    return entries.length > 0 && peer !== undefined && inList(peer);
  };
  compiled.set(entries, test);
  return test;
}

/**
 * The client's address: the peer, unless the peer is trusted; then the right-most
 * `X-Forwarded-For` hop that is not trusted. A hop that is not an IP address ends the walk:
 * the proxy that appended it is the last thing we can vouch for.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: TrustedProxyTest,
): string | undefined {
  const address = normalizeAddress(peer);
  if (address === undefined) return undefined;
  const chain = Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor;
  return walkForwardedFor(address, chain, trusted);
}
