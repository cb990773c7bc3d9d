import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AssertionSigner, createAssertionSigner } from '../../examples/auth-proxy/assertion.ts';
import type { Identity } from '../../examples/auth-proxy/types.ts';

/*
 * The signed assertion lets an upstream check, without trusting the network path, that a
 * request came through the proxy and was meant for it (aud), and is fresh (exp).
 */

const ISSUER = 'https://proxy.example.com';
const APP = 'https://app.example.com';
const identity: Identity = {
  sub: 'sub-1',
  username: 'alice',
  email: 'alice@example.com',
  name: 'Alice',
  groups: ['admins', 'staff'],
  acr: 'urn:tollgate:acr:2fa',
  amr: ['pwd', 'otp', 'mfa'],
};

describe('assertion signer', () => {
  let signer: AssertionSigner;
  beforeAll(async () => {
    signer = await createAssertionSigner({ issuer: ISSUER });
  });

  it('signs a JWT that verifies against its JWKS with issuer and audience', async () => {
    const jwt = await signer.sign(identity, APP);
    const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(signer.jwks()), {
      issuer: ISSUER,
      audience: APP,
      algorithms: ['ES256'],
      typ: 'JWT',
    });
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: signer.kid, typ: 'JWT' });
    expect(payload).toMatchObject({
      iss: ISSUER,
      sub: 'sub-1',
      aud: APP,
      email: 'alice@example.com',
      groups: ['admins', 'staff'],
      acr: 'urn:tollgate:acr:2fa',
      amr: ['pwd', 'otp', 'mfa'],
      preferred_username: 'alice',
    });
    expect(payload.exp).toBe((payload.iat ?? 0) + 60);
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gives each assertion its own jti', async () => {
    const a = decodeJwt(await signer.sign(identity, APP));
    const b = decodeJwt(await signer.sign(identity, APP));
    expect(a.jti).not.toBe(b.jti);
  });

  it('fails verification for another audience', async () => {
    const jwt = await signer.sign(identity, APP);
    await expect(
      jwtVerify(jwt, createLocalJWKSet(signer.jwks()), {
        issuer: ISSUER,
        audience: 'https://other.example.com',
      }),
    ).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);
  });

  it('fails verification against another signer key', async () => {
    const other = await createAssertionSigner({ issuer: ISSUER });
    const jwt = await other.sign(identity, APP);
    await expect(
      jwtVerify(jwt, createLocalJWKSet(signer.jwks()), { issuer: ISSUER, audience: APP }),
    ).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
  });

  it('expires after ttl (injected clock)', async () => {
    let clock = Date.now();
    const timed = await createAssertionSigner({ issuer: ISSUER, ttlSeconds: 30, now: () => clock });
    clock -= 31_000;
    const jwt = await timed.sign(identity, APP);
    const decoded = decodeJwt(jwt);
    expect((decoded.exp ?? 0) - (decoded.iat ?? 0)).toBe(30);
    await expect(
      jwtVerify(jwt, createLocalJWKSet(timed.jwks()), { issuer: ISSUER, audience: APP }),
    ).rejects.toBeInstanceOf(errors.JWTExpired);
  });

  it('publishes only the public key', () => {
    const { keys } = signer.jwks();
    expect(keys).toHaveLength(1);
    const [key] = keys;
    expect(key).not.toHaveProperty('d');
    expect(Object.keys(key ?? {}).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig', kid: signer.kid });
  });

  it('jwks() returns copies that callers cannot use to change the published key', () => {
    const first = signer.jwks();
    const [key] = first.keys;
    if (key) key.kid = 'tampered';
    expect(signer.jwks().keys[0]?.kid).toBe(signer.kid);
  });

  it('leaves unknown claims out instead of sending nulls', async () => {
    const jwt = await signer.sign({ sub: 'sub-2', groups: [], amr: ['pwd'] }, APP);
    const payload = decodeJwt(jwt);
    expect(payload).not.toHaveProperty('email');
    expect(payload).not.toHaveProperty('preferred_username');
    expect(payload).not.toHaveProperty('acr');
    expect(payload.groups).toEqual([]);
    expect(decodeProtectedHeader(jwt).kid).toBe(signer.kid);
  });

  it('refuses bad options', async () => {
    await expect(createAssertionSigner({ issuer: ISSUER, ttlSeconds: 0 })).rejects.toThrow(/ttlSeconds/);
    await expect(createAssertionSigner({ issuer: '' })).rejects.toThrow(/issuer/);
    await expect(signer.sign(identity, '')).rejects.toThrow(/audience/);
  });
});
