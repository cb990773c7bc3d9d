import { createHmac, randomInt as cryptoRandomInt, timingSafeEqual } from 'node:crypto';

/** Masking lives with delivery (the transports log masked addresses too); one implementation. */
export { maskAddress } from '../delivery/mask.ts';

/**
 * One-time codes for email/SMS: generation, the keyed hash that is stored instead of the code,
 * and the constant-time check. Storage decision (SECURITY.md): only HMAC-SHA256 of the code,
 * keyed with `otp.hmac_key` and bound to its session id, is ever stored.
 */

/** A CSPRNG integer in `[min, max)`, like `crypto.randomInt`; injected in tests. */
export type RandomInt = (min: number, max: number) => number;

/** Codes are at least 6 digits (>= 20 bits); 10 keeps `10^digits` inside `randomInt`'s 2^48 range. */
const MIN_DIGITS = 6;
const MAX_DIGITS = 10;

/**
 * A uniformly random numeric code with leading zeros kept (`"004711"`).
 * @param digits 6 to 10.
 * @param random CSPRNG in `[min, max)`. @default crypto.randomInt
 */
export function generateCode(digits: number, random: RandomInt = cryptoRandomInt): string {
  if (!Number.isInteger(digits) || digits < MIN_DIGITS || digits > MAX_DIGITS) {
    throw new RangeError(`digits must be an integer from ${MIN_DIGITS} to ${MAX_DIGITS}`);
  }
  // One draw over the whole range: randomInt rejects-and-redraws internally, so no modulo bias.
  return String(random(0, 10 ** digits)).padStart(digits, '0');
}

/**
 * The stored form of a code: HMAC-SHA256(key, `${sessionId}:${code}`), base64url. Binding the
 * session id means a hash copied onto another session (or a code sent for one) never matches.
 */
export function hashCode(key: Buffer, sessionId: string, code: string): string {
  return createHmac('sha256', key).update(`${sessionId}:${code}`).digest('base64url');
}

const WELL_FORMED = /^\d{6,10}$/;

/**
 * Whether `code` (as typed: spaces are ignored) is the code whose hash is `storedHash`.
 * Always computes one HMAC and one `timingSafeEqual`, whatever the input looks like, so timing
 * says nothing about how close a guess was; malformed input simply never matches.
 */
export function codeMatches(key: Buffer, sessionId: string, code: string, storedHash: string): boolean {
  const normalised = code.replace(/\s+/g, '');
  const wellFormed = WELL_FORMED.test(normalised);
  const candidate = createHmac('sha256', key).update(`${sessionId}:${normalised}`).digest();
  const stored = Buffer.from(storedHash, 'base64url');
  // A corrupt stored hash must not throw (timingSafeEqual needs equal lengths): compare with
  // itself to spend the same time, then refuse.
  const sameLength = stored.length === candidate.length;
  const equal = timingSafeEqual(candidate, sameLength ? stored : candidate);
  return equal && sameLength && wellFormed;
}

/** Trims and lower-cases, so `Alice@Example.com ` and `alice@example.com` share one limit. */
function normaliseAddress(address: string): string {
  return address.trim().toLowerCase();
}

/**
 * Keyed hash of an address (email or E.164 number), base64url: the rate-limit key per address,
 * and how a resend checks it goes to the address the session was created for, without the
 * address itself being stored. The `address:` label keeps it apart from code hashes.
 */
export function hashAddress(key: Buffer, address: string): string {
  return createHmac('sha256', key)
    .update(`address:${normaliseAddress(address)}`)
    .digest('base64url');
}
