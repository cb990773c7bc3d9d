/**
 * `trusted_proxies`: the addresses (IPs or CIDR ranges) whose forwarding headers count. From
 * anyone else `X-Forwarded-*` and `X-Original-URL` are ignored (CVE-2026-40575), and the client
 * address for audit lines and limits is the socket's peer. Behind trusted proxies it is the
 * right-most `X-Forwarded-For` hop that is not itself trusted: each proxy appends the address
 * it saw, so entries left of the first untrusted one were written by the client and prove nothing.
 */
import { BlockList, isIP } from 'node:net';

/** True when the address is in one of the configured entries. */
export type TrustedProxyTest = (address: string | undefined) => boolean;

/** `10.0.0.0/8` -> address and prefix; a plain IP is a full-length prefix; else undefined. */
export function parseTrustedProxy(
  entry: string,
): { address: string; prefix: number; family: 4 | 6 } | undefined {
  const [address = '', prefixText, extra] = entry.split('/');
  const family = isIP(address);
  if ((family !== 4 && family !== 6) || extra !== undefined) return undefined;
  const max = family === 4 ? 32 : 128;
  if (prefixText === undefined) return { address, prefix: max, family };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return undefined;
  return { address, prefix: Number(prefixText), family };
}

/** `::ffff:10.0.0.1` -> `10.0.0.1`; IPv6 in canonical form; anything else unchanged. */
export function normalizeAddress(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1];
  if (!address.includes(':')) return address;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address;
  }
}

const compiled = new WeakMap<readonly string[], TrustedProxyTest>();

/** A membership test for the entries (compiled once per list); throws on an invalid entry. */
export function trustedProxyTest(entries: readonly string[]): TrustedProxyTest {
  const known = compiled.get(entries);
  if (known) return known;
  const list = new BlockList();
  for (const entry of entries) {
    const parsed = parseTrustedProxy(entry);
    if (!parsed)
      throw new Error(`trusted_proxies: ${JSON.stringify(entry)} is not an IP address or CIDR range`);
    const type = parsed.family === 4 ? 'ipv4' : 'ipv6';
    list.addSubnet(normalizeAddress(parsed.address) ?? parsed.address, parsed.prefix, type);
  }
  const test: TrustedProxyTest = (address) => {
    const peer = normalizeAddress(address);
    const family = peer ? isIP(peer) : 0;
    if (!peer || family === 0 || entries.length === 0) return false;
    return list.check(peer, family === 4 ? 'ipv4' : 'ipv6');
  };
  compiled.set(entries, test);
  return test;
}

/**
 * The client's address: the peer, unless the peer is trusted; then the right-most
 * `X-Forwarded-For` hop that is not trusted (or the left-most one when all are). A hop that is
 * not an IP address ends the walk: the proxy that appended it is the last thing we can vouch for.
 */
export function clientAddress(
  peer: string | undefined,
  forwardedFor: string | string[] | undefined,
  trusted: TrustedProxyTest,
): string | undefined {
  let client = normalizeAddress(peer);
  if (!trusted(client) || forwardedFor === undefined) return client;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeAddress(hops[i]?.trim());
    if (!hop || isIP(hop) === 0) return client;
    client = hop;
    if (!trusted(hop)) return hop;
  }
  return client;
}
