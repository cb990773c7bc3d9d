/**
 * `trusted_proxies`: the addresses (IPs or CIDR ranges) whose forwarding headers count. From
 * anyone else `X-Forwarded-*` and `X-Original-URL` are ignored (CVE-2026-40575) and `/auth/*`
 * is refused, and the client address for audit lines is the socket's peer. Behind trusted
 * proxies it is the right-most `X-Forwarded-For` hop that is not itself trusted. The matching
 * and the walk are tollgate's own (src/server/forwarded.ts), so both read addresses alike.
 */
import { normalizeAddress as normalize, trustedProxies, clientAddress as walkForwardedFor } from 'tollgate';

/** True when the address is in one of the configured entries. */
export type TrustedProxyTest = (address: string | undefined) => boolean;

const compiled = new WeakMap<readonly string[], TrustedProxyTest>();
/** Most addresses remembered per memo before it starts over. */
const MEMO_SIZE = 4096;

/**
 * `fn` remembered per address: every request asks about its socket peer several times (client
 * address, trusted or not, X-Forwarded-For), and a keep-alive connection keeps its peer.
 */
function memo<R>(fn: (address: string) => R): (address: string) => R {
  const seen = new Map<string, R>();
  return (address) => {
    // Longer than any address with brackets and port: not worth remembering (nor its memory).
    if (address.length > 64) return fn(address);
    if (seen.has(address)) return seen.get(address) as R;
    const result = fn(address);
    if (seen.size >= MEMO_SIZE) seen.clear();
    seen.set(address, result);
    return result;
  };
}

const normalizeKnown = memo(normalize);

/** The address in canonical form (no port or brackets, IPv4-mapped IPv6 as IPv4), or undefined. */
export function normalizeAddress(value: string | undefined): string | undefined {
  return value ? normalizeKnown(value) : undefined;
}

/** A membership test for the entries, compiled once per (configuration) list. */
export function trustedProxyTest(entries: readonly string[]): TrustedProxyTest {
  const known = compiled.get(entries);
  if (known) return known;
  const inList = trustedProxies(entries);
  const check = memo((address) => {
    const peer = normalizeAddress(address);
    return peer !== undefined && inList(peer);
  });
  const test: TrustedProxyTest = (address) => entries.length > 0 && address !== undefined && check(address);
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
