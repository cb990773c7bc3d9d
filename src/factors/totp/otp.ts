import { randomBytes, timingSafeEqual } from 'node:crypto';
import { HOTP, Secret } from 'otpauth';

/*
 * The project's one HOTP/TOTP code path (RFC 4226 / RFC 6238). The HMAC truncation comes from
 * otpauth; what we add is the parts that decide security: which counters are tried, that a
 * code is compared in constant time, and that malformed input never reaches the HMAC.
 */

/** HMAC algorithms a TOTP credential may use. */
export type OtpAlgorithm = 'SHA1' | 'SHA256' | 'SHA512';

/** Parameters of an HOTP code. */
export interface HotpParams {
  algorithm: OtpAlgorithm;
  /** Code length: 6 or 8. */
  digits: number;
}

/** Parameters of a TOTP code. */
export interface TotpParams extends HotpParams {
  /** Time step in seconds. */
  period: number;
}

/** Parameters for checking a TOTP code. */
export interface TotpMatchParams extends TotpParams {
  /** Steps accepted either side of the current one (0 = only the current step). */
  window: number;
}

/** NIST SP 800-63B: a TOTP seed carries at least 160 bits. */
export const MIN_SECRET_BYTES = 20;

/**
 * otpauth wraps `new Uint8Array(buffer)` around the ArrayBuffer it is given. A small Node
 * Buffer is a view into a shared 8 KiB pool, so handing over `buf.buffer` would key the HMAC
 * with the whole pool. Copy into an ArrayBuffer of exactly the secret's bytes.
 */
function toSecret(secret: Uint8Array): Secret {
  return new Secret({ buffer: Uint8Array.from(secret).buffer });
}

/** The HOTP code for one counter value (RFC 4226). */
export function hotp(secret: Uint8Array, counter: number, params: HotpParams): string {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError('hotp: bad counter');
  return HOTP.generate({
    secret: toSecret(secret),
    algorithm: params.algorithm,
    digits: params.digits,
    counter,
  });
}

/** The time step that contains `timeMs` (RFC 6238 T, with T0 = 0). */
export function timeStep(timeMs: number, period: number): number {
  return Math.floor(timeMs / 1000 / period);
}

/** The TOTP code at `timeMs` (epoch milliseconds, RFC 6238). */
export function totp(secret: Uint8Array, timeMs: number, params: TotpParams): string {
  return hotp(secret, timeStep(timeMs, params.period), params);
}

/**
 * Checks `code` against the steps `now - window .. now + window`, nearest first, and returns
 * the matching step (counter) or `undefined`. Codes that are not exactly `digits` ASCII digits
 * are refused before any HMAC is computed. Every candidate is computed and compared in
 * constant time, so the response time does not tell which step matched.
 */
export function matchTotp(
  secret: Uint8Array,
  code: string,
  params: TotpMatchParams,
  timeMs: number,
): number | undefined {
  if (code.length !== params.digits || !/^[0-9]+$/.test(code)) return undefined;
  const given = Buffer.from(code, 'ascii');
  const now = timeStep(timeMs, params.period);
  let found: number | undefined;
  for (const counter of nearestFirst(now, params.window)) {
    if (counter < 0) continue;
    const expected = Buffer.from(hotp(secret, counter, params), 'ascii');
    // Keep the first (nearest) match but do not stop: the loop costs the same either way.
    if (timingSafeEqual(expected, given) && found === undefined) found = counter;
  }
  return found;
}

/** now, now-1, now+1, now-2, now+2, ... */
function nearestFirst(now: number, window: number): number[] {
  const out = [now];
  for (let d = 1; d <= window; d++) out.push(now - d, now + d);
  return out;
}

/** A fresh seed from the CSPRNG. @param bytes at least 20 (160 bits). @default 20 */
export function generateSecret(bytes: number = MIN_SECRET_BYTES): Buffer {
  if (!Number.isInteger(bytes) || bytes < MIN_SECRET_BYTES) {
    throw new RangeError(`TOTP secrets need at least ${MIN_SECRET_BYTES} bytes`);
  }
  return randomBytes(bytes);
}

/** RFC 4648 base32, upper case, without `=` padding (what key URIs and apps expect). */
export function base32Encode(bytes: Uint8Array): string {
  return toSecret(bytes).base32;
}
