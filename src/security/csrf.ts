import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** Issues and checks CSRF tokens bound to one login interaction. */
export interface Csrf {
  token(binding: string): string;
  /** Constant-time check; false for a missing or malformed token. */
  verify(binding: string, token: unknown): boolean;
}

/**
 * Stateless CSRF tokens: HMAC-SHA256 of the interaction uid under a key derived from the
 * cookie key. The uid alone is not enough to forge one, and a token from an attacker's own
 * interaction does not fit the victim's.
 */
export function createCsrf(secret: string): Csrf {
  const key = Buffer.from(hkdfSync('sha256', secret, 'tollgate', 'csrf-token-v1', 32));
  const mac = (binding: string) => createHmac('sha256', key).update(binding).digest();
  return {
    token: (binding) => mac(binding).toString('base64url'),
    verify(binding, token) {
      if (typeof token !== 'string' || token.length !== 43) return false;
      const given = Buffer.from(token, 'base64url');
      const expected = mac(binding);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
