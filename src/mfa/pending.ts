import type { KeyValueStore } from '../factors/types.ts';

/**
 * A login that passed its first factor (or a signed-in session stepping up) and still owes a
 * second one. Kept in the store keyed by the interaction uid, never in the interaction result,
 * so nothing counts as signed in before every required factor passed.
 */
export interface PendingLogin {
  accountId: string;
  /** Methods already proven in this flow (or by the session, when stepping up). */
  amr: string[];
  /** True when no password was asked in this flow (step-up of an existing session). */
  stepUp: boolean;
  /** The factor the user is answering now. */
  factor?: string;
  /** Wrong codes in this challenge, for display; the count that caps it is atomic (src/security/attempts.ts). */
  failures: number;
  /** Id of the challenge whose attempts this login spends (`challengeId`, src/security/attempts.ts). */
  challenge?: string;
  /** Factor scratch state (pending enrolment secrets), by factor id. */
  factorState: Record<string, Record<string, unknown>>;
  /**
   * Methods proven by enrolling a factor in this flow, awaiting the confirmation of its recovery
   * codes: they count only once the enrolment is over (interactions/enrol.ts).
   */
  enrolledAmr?: string[];
  /** Id of the factor enrolled in this flow, while its recovery codes await confirmation. */
  enrolledFactor?: string;
}

/** Pending-login storage over a {@link KeyValueStore}. */
export function createPendingStore(kv: KeyValueStore, ttlSeconds: number) {
  const key = (uid: string) => `pending:${uid}`;
  return {
    async get(uid: string): Promise<PendingLogin | undefined> {
      const json = await kv.get(key(uid));
      return json ? (JSON.parse(json) as PendingLogin) : undefined;
    },
    async set(uid: string, pending: PendingLogin): Promise<void> {
      await kv.set(key(uid), JSON.stringify(pending), ttlSeconds);
    },
    async delete(uid: string): Promise<void> {
      await kv.delete(key(uid));
    },
  };
}

export type PendingStore = ReturnType<typeof createPendingStore>;
