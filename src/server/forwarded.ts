import { BlockList, isIP } from 'node:net';
import type { Middleware } from 'koa';

/** Headers a proxy in front may set; from anyone else they are the client's own invention. */
const FORWARDED_HEADERS = [
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-real-ip',
];

/**
 * An address as it appears in a socket or an X-Forwarded-For hop, reduced to what `BlockList`
 * compares: no port, no brackets, IPv4-mapped IPv6 as plain IPv4. Anything else: undefined.
 */
export function normalizeAddress(value: string | undefined): string | undefined {
  if (!value) return undefined;
  let address = value.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(address);
  if (bracketed) address = bracketed[1] as string;
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d+$/.exec(address);
  if (v4WithPort) address = v4WithPort[1] as string;
  address = address.toLowerCase();
  if (address.startsWith('::ffff:') && isIP(address.slice(7)) === 4) address = address.slice(7);
  return isIP(address) ? address : undefined;
}

/** The configured `trusted_proxies` (single addresses or CIDRs) as a matcher. */
export function trustedProxies(entries: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const entry of entries) {
    const [network = '', prefix] = entry.split('/');
    const family = isIP(network) === 6 ? 'ipv6' : 'ipv4';
    const bits = prefix === undefined ? (family === 'ipv6' ? 128 : 32) : Number(prefix);
    list.addSubnet(network, bits, family);
  }
  return (address) => list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/**
 * The client's address: walk from the socket peer leftwards through X-Forwarded-For while the
 * hop is a trusted proxy; the first one that is not is the client. Whatever a client writes to
 * the left of that hop is never read, so rotating the header changes nothing. A hop that is not
 * an address ends the walk at the trusted proxy that passed it on.
 */
export function clientAddress(
  peer: string,
  forwardedFor: string | undefined,
  isTrusted: (address: string) => boolean,
): string {
  let client = peer;
  if (!isTrusted(peer)) return client;
  const hops = (forwardedFor ?? '').split(',');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeAddress(hops[i]);
    if (!hop) break;
    client = hop;
    if (!isTrusted(hop)) break;
  }
  return client;
}

/**
 * Mounted first. Forwarded headers count only from `trusted_proxies`: from any other peer they
 * are deleted, so neither Koa (`proxy: true`) nor oidc-provider can read them. From a trusted
 * proxy, X-Forwarded-For is replaced by the one client address computed here, so every later
 * reader of `ctx.ip`, in any Koa context built on this request, sees the same client.
 * X-Forwarded-Host is dropped always: URLs are built from the issuer (see `issuer-origin.ts`).
 */
export function forwardedHeaders(entries: readonly string[]): Middleware {
  const isTrusted = trustedProxies(entries);
  return async (ctx, next) => {
    const headers = ctx.req.headers;
    const peer = normalizeAddress(ctx.req.socket.remoteAddress) ?? '';
    if (entries.length > 0 && peer && isTrusted(peer)) {
      const forwardedFor = headers['x-forwarded-for'];
      const client = clientAddress(
        peer,
        Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor,
        isTrusted,
      );
      delete headers['x-forwarded-host'];
      headers['x-forwarded-for'] = client;
      ctx.request.ip = client;
    } else {
      for (const name of FORWARDED_HEADERS) delete headers[name];
      ctx.request.ip = peer;
    }
    await next();
  };
}
