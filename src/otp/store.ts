import type { CodeMessage } from '../delivery/types.ts';
import type { OtpSession } from './types.ts';

/**
 * Storage of OTP sessions (`adapters/redis-otp.ts`, `adapters/memory-otp.ts`). The store keeps
 * what it is given and makes the racy steps atomic; what a status means (expiry, the attempt
 * cap) is decided by the service (src/otp/service.ts).
 */

/** A session as stored: never the code or the address, only their keyed hashes. */
export type OtpRecord = OtpSession & {
  /** `hashCode(key, id, code)` of the code sent last. */
  codeHash: string;
  /** `hashAddress(key, to)`: a resend must go to the same address. */
  addressHash: string;
  /** What every message of this session says besides the code, so a resend needs only the id. */
  message: OtpMessageContext;
};

/** The parts of a {@link CodeMessage} that stay the same for every send of one session. */
export type OtpMessageContext = Pick<CodeMessage, 'purpose' | 'appName' | 'clientId' | 'locale'>;

/** Fields that change after creation. Final statuses are set only through {@link OtpStore.claim}. */
export type OtpRecordPatch = Partial<Pick<OtpRecord, 'codeHash' | 'sends' | 'lastSentAt'>>;

/** The final statuses a store records itself; `expired` and `max_attempts_reached` are computed. */
export type ClaimStatus = 'approved' | 'canceled';

/** Storage of OTP sessions. Every method is safe to call from many processes at once. */
export interface OtpStore {
  /**
   * Saves a new session, kept for `ttlSeconds` (longer than the code lives, so a late caller
   * still reads `expired` rather than "not found").
   */
  create(record: OtpRecord, ttlSeconds: number): Promise<void>;
  /** The session, its `status` being `approved` or `canceled` once claimed; `undefined` when gone. */
  get(id: string): Promise<OtpRecord | undefined>;
  /** Shallow patch; false when the session does not exist (never re-creates it). */
  update(id: string, patch: OtpRecordPatch): Promise<boolean>;
  /** Adds one attempt atomically and returns the new count; 0 when the session does not exist. */
  incrementAttempts(id: string): Promise<number>;
  /**
   * Records a final status once, atomically: true for the single caller that set it, false when
   * another status was claimed first (or the session is gone). Approval and cancellation share
   * this one slot, so a session can never end both approved and canceled.
   * @param status @default "approved"
   */
  claim(id: string, status?: ClaimStatus): Promise<boolean>;
  delete(id: string): Promise<void>;
}
