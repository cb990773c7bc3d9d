import type { Account } from '../accounts/types.ts';

/**
 * The factor plugin interface. A factor is metadata (id, label, amr, restricted, enrollable)
 * plus per-request behaviour (challenge, verify) and enrolment. It never knows its place in
 * the flow: whether it is required, optional or off is per-client configuration
 * (src/policy/mfa.ts). Credentials are kept by a {@link CredentialStore}; the factor decides
 * how its secret is stored (plain, hashed or encrypted) inside `Credential.data`.
 */

/** A second factor bound to an account: a TOTP seed, a set of recovery codes, a passkey... */
export interface Credential {
  id: string;
  account_id: string;
  /** Id of the factor that owns it. */
  factor: string;
  /** User-visible name ("Authenticator app", "Pixel 9"). */
  label?: string;
  /** Epoch seconds. */
  created_at: number;
  /** Epoch seconds. */
  last_used_at?: number;
  /** Factor-owned, JSON-serialisable. Secrets in here are encrypted or hashed by the factor. */
  data: Record<string, unknown>;
}

/** Storage of credentials (`adapters/redis-credentials.ts`, `adapters/memory-credentials.ts`). */
export interface CredentialStore {
  create(input: Omit<Credential, 'id' | 'created_at'>): Promise<Credential>;
  /** Every credential of an account, oldest first. */
  list(accountId: string): Promise<Credential[]>;
  get(accountId: string, id: string): Promise<Credential | undefined>;
  /** Shallow patch; `undefined` when the credential does not exist. */
  update(
    accountId: string,
    id: string,
    patch: Partial<Pick<Credential, 'data' | 'label' | 'last_used_at'>>,
  ): Promise<Credential | undefined>;
  delete(accountId: string, id: string): Promise<boolean>;
  /** Deletes every credential of the account (of one factor when given); returns how many. */
  deleteAll(accountId: string, factor?: string): Promise<number>;
}

/**
 * Small key-value store with TTLs for short-lived state: pending logins, used TOTP steps,
 * one-time markers (`adapters/redis-kv.ts`, `adapters/memory-kv.ts`).
 */
export interface KeyValueStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
  /** Sets only when absent (Redis `SET NX EX`): true when this call set it. Atomic across processes. */
  setIfAbsent(key: string, value: string, ttlSeconds: number): Promise<boolean>;
  delete(key: string): Promise<void>;
}

/** What a factor is given for one request of a login or enrolment. */
export interface FactorRequest {
  account: Account;
  clientId: string;
  /** Id of the flow (the interaction uid): codes and pending secrets are bound to it. */
  flowId: string;
  /** Remote address, for delivery logs and limits. */
  ip: string;
  /** Name of the app being signed in to, for messages that carry a code. */
  clientName?: string;
  /**
   * The factor's scratch state for this flow (e.g. a pending TOTP secret, encrypted). The
   * caller persists whatever the factor leaves here, so a closed page resumes where it was.
   */
  state: Record<string, unknown>;
}

/** A page a factor wants shown: a template under views/ and its data. */
export interface FactorView {
  view: string;
  data: Record<string, unknown>;
}

/** Why a code was refused: typed results, not exceptions, for expected failures. */
export type VerifyFailure =
  | 'invalid_code'
  | 'replayed_code'
  | 'expired_code'
  | 'not_enrolled'
  | 'malformed_code';

export type VerifyResult =
  | {
      ok: true;
      credentialId: string;
      /** For factors with a supply of codes (recovery): how many remain. */
      remaining?: number;
    }
  | { ok: false; error: VerifyFailure };

export type EnrolmentResult =
  | {
      ok: true;
      credential: Credential;
      /** A page to show once before going on (e.g. recovery codes). */
      show?: FactorView;
    }
  | {
      ok: false;
      error: VerifyFailure;
      view: FactorView;
      /**
       * Not a failure but a next step of a multi-step enrolment (address entered, code sent):
       * show `view` without an error and without counting an attempt.
       */
      continue?: boolean;
    };

/** One second factor. */
export interface Factor {
  /** Stable id used in config, URLs and credentials: `totp`, `recovery`, `email`, `sms`, `webauthn`. */
  readonly id: string;
  /** Name shown to users ("Authenticator app"). */
  readonly label: string;
  /** RFC 8176 methods this factor proves (`otp`, `sms`, `hwk`, ...). */
  readonly amr: readonly string[];
  /** NIST "restricted" authenticators (email, SMS): clients can forbid them. */
  readonly restricted: boolean;
  /** Whether users can set it up themselves. */
  readonly enrollable: boolean;
  /** A fallback that only exists beside another factor (recovery codes): never enrolled alone. */
  readonly backup: boolean;
  /** Bound to the origin (passkeys): satisfies `phishing_resistant` requests. @default false */
  readonly phishingResistant?: boolean;
  isEnrolled(accountId: string): Promise<boolean>;
  /** First enrolment page; resumes with the secret kept in `req.state` when there is one. */
  startEnrolment(req: FactorRequest): Promise<FactorView>;
  /** Checks the user's proof (e.g. a first code) and only then saves the credential. */
  finishEnrolment(req: FactorRequest, input: Record<string, string>): Promise<EnrolmentResult>;
  /** Shows the code entry page, sending a code first when the factor delivers one. */
  challenge(req: FactorRequest): Promise<FactorView>;
  verify(req: FactorRequest, input: Record<string, string>): Promise<VerifyResult>;
  /** Sends a new code (factors that deliver codes): the challenge page again, with a notice. */
  resend?(req: FactorRequest): Promise<FactorView>;
}
