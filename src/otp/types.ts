import type { Channel } from '../delivery/types.ts';

/**
 * OTP sessions: one code sent to one address, with its own TTL, attempt cap and resend
 * cooldown. Used by the email/SMS factors (bound to a login interaction) and by the OTP API
 * (bound to the calling client). Only an HMAC of the code is stored.
 */

export type OtpStatus = 'pending' | 'approved' | 'expired' | 'max_attempts_reached' | 'canceled';

export interface OtpSession {
  id: string;
  /** Who may see and verify it: `client:{clientId}` for the API, `login:{interactionUid}` for factors. */
  owner: string;
  channel: Channel;
  /** The address, masked for display (`a***@example.com`, `+1******4567`). */
  toMasked: string;
  status: OtpStatus;
  attempts: number;
  maxAttempts: number;
  /** Sends so far (the first one included). */
  sends: number;
  /** Epoch ms. */
  createdAt: number;
  /** Epoch ms. */
  expiresAt: number;
  /** Epoch ms of the last send, for the resend cooldown. */
  lastSentAt?: number;
  externalId?: string;
  metadata?: Record<string, string>;
}

/** Result of checking a code. */
export interface OtpVerification {
  status: OtpStatus;
  /** True only for the call that approved it. */
  approved: boolean;
  attemptsLeft: number;
}
