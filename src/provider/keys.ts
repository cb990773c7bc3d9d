import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { JWK } from 'oidc-provider';

/** A JWKS with private keys, as oidc-provider's `jwks` option takes it. */
export interface PrivateJwks {
  keys: JWK[];
}

/** Generates a signing JWKS: ES256 (P-256) and RS256 (2048-bit), each with a `kid`. */
export function generateJwks(): PrivateJwks {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  return {
    keys: [
      { ...ec, kid: randomUUID(), alg: 'ES256', use: 'sig' },
      { ...rsa, kid: randomUUID(), alg: 'RS256', use: 'sig' },
    ] as JWK[],
  };
}

/**
 * Loads a JWKS file and checks it holds private signing keys, with an RS256-capable key
 * (OIDC's mandatory-to-implement ID token algorithm).
 */
export function loadJwks(path: string): PrivateJwks {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`jwks.file ${path}: cannot read it as JSON (${(err as Error).message})`);
  }
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) throw new Error(`jwks.file ${path}: no "keys" array`);
  for (const [i, key] of keys.entries()) {
    if (!key || typeof key !== 'object' || !('d' in key)) {
      throw new Error(`jwks.file ${path}: key ${i} has no private part ("d")`);
    }
  }
  if (!keys.some((k: JWK) => k.kty === 'RSA'))
    throw new Error(`jwks.file ${path}: needs an RSA key for RS256`);
  return { keys: keys as JWK[] };
}
