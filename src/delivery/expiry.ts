/**
 * Whole minutes a code is still valid, at least 1: what emails, text messages and pages say
 * ("expires in 10 minutes"), from the code's own expiry (`otp.ttl`). Rounded down so a message
 * never promises more time than there is, with a few seconds of slack so a fresh 600 s code
 * reads "10".
 */
export function minutesLeft(expiresAt: Date, now: number = Date.now()): number {
  return Math.max(1, Math.floor((expiresAt.getTime() - now + 5_000) / 60_000));
}
