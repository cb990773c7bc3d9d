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
   * Clock in milliseconds since the epoch (injected for tests).
   * @default Date.now
   */
  now?: () => number;
}

/** Signs assertions and publishes the matching public key. */
export interface AssertionSigner {
  /** A JWT about `identity` for the upstream identified by `audience` (its origin, typically). */
  sign(identity: Identity, audience: string): Promise<string>;
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

  return {
    kid,
    jwks: () => ({ keys: [{ ...published }] }),
    async sign(identity, audience) {
      if (audience === '') throw new Error('assertion audience must not be empty');
      const iat = Math.floor(now() / 1000);
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
    },
  };
}
