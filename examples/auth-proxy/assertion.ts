/**
 * Signed identity assertion for upstreams (like Pomerium's `X-Pomerium-Jwt-Assertion`).
 *
 * Plain identity headers are only as trustworthy as the network path to the upstream. An upstream
 * that verifies this short-lived JWT against the proxy's JWKS (and checks `aud` is itself) does
 * not have to trust that path: a request that bypassed the proxy, or an assertion minted for
 * another app, fails verification.
 *
 * The ES256 key is generated at start and lives only in memory: restarting rotates it, which is
 * harmless because assertions live for a minute and upstreams refetch the JWKS on an unknown
 * `kid`. The private key is created non-extractable; only the public half is ever exported.
 */
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import type { Identity } from './types.ts';

/** Options of {@link createAssertionSigner}. */
export interface AssertionSignerOptions {
  /** The proxy's own URL, used as `iss`. */
  issuer: string;
  /**
   * Lifetime of an assertion in seconds; one is minted per proxied request.
   * @default 60
   */
  ttlSeconds?: number;
  /**
   * How many signed assertions (session x audience) are kept for reuse.
   * @default 10000
   */
  cacheSize?: number;
  /**
   * Clock in milliseconds since the epoch (injected for tests).
   * @default Date.now
   */
  now?: () => number;
}

/** Signs assertions and publishes the matching public key. */
export interface AssertionSigner {
  /**
   * A JWT about `identity` for the upstream identified by `audience` (its origin, typically).
   * With `session` (the session's ticket hash) the signed JWT is reused for the same session,
   * audience and claims while more than half its lifetime remains (see {@link forget}).
   */
  sign(identity: Identity, audience: string, session?: string): Promise<string>;
  /** Drops the cached assertions of a session (call it when the session is destroyed). */
  forget(session: string): void;
  /** The public key set to serve at the proxy's JWKS endpoint; never contains private parts. */
  jwks(): { keys: JWK[] };
  /** Key id: the RFC 7638 thumbprint of the public key. */
  kid: string;
}

/** Signing algorithm of the assertion. */
export const ASSERTION_ALG = 'ES256';

/** Creates a signer with a freshly generated ES256 key pair. */
export async function createAssertionSigner(options: AssertionSignerOptions): Promise<AssertionSigner> {
  const ttl = options.ttlSeconds ?? 60;
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error('assertion ttlSeconds must be a positive integer');
  if (options.issuer === '') throw new Error('assertion issuer must not be empty');
  const now = options.now ?? Date.now;

  const { privateKey, publicKey } = await generateKeyPair(ASSERTION_ALG);
  const { kty, crv, x, y } = await exportJWK(publicKey);
  // Copy only the public members by name, so no private field can ever slip into the JWKS.
  const publicJwk: JWK = { kty, crv, x, y };
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
  const published = Object.freeze({ ...publicJwk, kid, alg: ASSERTION_ALG, use: 'sig' });

  const cacheSize = options.cacheSize ?? 10_000;
  // Signing (ECDSA on the thread pool) was the largest per-request cost of the proxy. A session
  // sends the same claims to the same upstream over and over, so the signed JWT is reused while
  // more than half its lifetime is left: upstreams always receive one valid for >= ttl/2.
  // Keyed by session, audience and the exact claims, so a refreshed session whose identity
  // changed (here or in another process) gets a new one; bounded LRU (a Map in use order).
  const cache = new Map<string, { jwt: string; reuseUntil: number; session: string }>();
  const bySession = new Map<string, Set<string>>();
  const drop = (key: string) => {
    const entry = cache.get(key);
    if (!entry) return;
    cache.delete(key);
    const keys = bySession.get(entry.session);
    keys?.delete(key);
    if (keys?.size === 0) bySession.delete(entry.session);
  };

  // The key spells out the exact claims; it is remembered per identity object, because a cached
  // session (session-cache.ts) hands the same frozen identity to every request.
  const keys = new WeakMap<Identity, Map<string, string>>();
  function cacheKey(identity: Identity, audience: string, session: string): string {
    let byTarget = keys.get(identity);
    if (!byTarget) {
      byTarget = new Map();
      keys.set(identity, byTarget);
    }
    const target = `${session} ${audience}`;
    let key = byTarget.get(target);
    if (key === undefined) {
      key = JSON.stringify([
        session,
        audience,
        identity.sub,
        identity.username,
        identity.email,
        identity.groups,
        identity.acr,
        identity.amr,
      ]);
      if (Object.isFrozen(identity)) byTarget.set(target, key);
    }
    return key;
  }

  function mint(identity: Identity, audience: string, iat: number): Promise<string> {
    // Unknown claims are `undefined`, which JSON serialisation leaves out (absent, not null).
    return new SignJWT({
      email: identity.email,
      groups: identity.groups,
      acr: identity.acr,
      amr: identity.amr,
      preferred_username: identity.username,
    })
      .setProtectedHeader({ alg: ASSERTION_ALG, kid, typ: 'JWT' })
      .setIssuer(options.issuer)
      .setSubject(identity.sub)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttl)
      .setJti(randomUUID())
      .sign(privateKey);
  }

  return {
    kid,
    jwks: () => ({ keys: [{ ...published }] }),
    async sign(identity, audience, session) {
      if (audience === '') throw new Error('assertion audience must not be empty');
      const nowMs = now();
      const iat = Math.floor(nowMs / 1000);
      if (session === undefined || cacheSize <= 0) return mint(identity, audience, iat);
      const key = cacheKey(identity, audience, session);
      const hit = cache.get(key);
      if (hit && hit.reuseUntil > nowMs) {
        cache.delete(key); // move to the most recently used end
        cache.set(key, hit);
        return hit.jwt;
      }
      const jwt = await mint(identity, audience, iat);
      drop(key);
      // Reuse while more than half of [iat, iat + ttl] is left (iat is rounded down: safe side).
      cache.set(key, { jwt, reuseUntil: (iat + ttl / 2) * 1000, session });
      const keys = bySession.get(session) ?? new Set<string>();
      keys.add(key);
      bySession.set(session, keys);
      while (cache.size > cacheSize) {
        const oldest = cache.keys().next().value;
        if (oldest === undefined) break;
        drop(oldest);
      }
      return jwt;
    },
    forget(session) {
      for (const key of [...(bySession.get(session) ?? [])]) drop(key);
    },
  };
}
