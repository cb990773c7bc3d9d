import type { z } from 'zod';
import type { RedisClient } from '../../adapters/redis-client.ts';
import type { Account, AccountStore } from '../accounts/types.ts';
import type { MessageKey, MessageVars } from '../i18n/index.ts';
import type { Logger } from '../log.ts';
import type { OtpService } from '../otp/service.ts';
import type { SendLimiter } from '../security/regulation.ts';
import type { SecretBox } from '../security/secret-box.ts';

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
  /**
   * Shallow patch; `undefined` when the credential does not exist. `current`: the credential as
   * the caller read it, a store may try it first instead of reading it again (it must still
   * apply the patch only over what it holds).
   */
  update(
    accountId: string,
    id: string,
    patch: Partial<Pick<Credential, 'data' | 'label' | 'last_used_at'>>,
    options?: { current?: Credential },
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
  /** Language of the flow's pages (the login's): codes sent by email or SMS use it. @default the default language */
  locale?: string;
  /**
   * The factor's scratch state for this flow (e.g. a pending TOTP secret, encrypted). The
   * caller persists whatever the factor leaves here, so a closed page resumes where it was.
   */
  state: Record<string, unknown>;
}

/**
 * A message a factor's page shows, as a key and its variables, never as a sentence: the page
 * translates it into its own language when it renders. The key is looked up in the factor's
 * `catalogues` for the page's language, then in tollgate's catalogue as `factor.<id>.<key>` and
 * as itself (`address.tooManySends`), then in the factor's English (`catalogues.en`, `messages`).
 */
export interface FactorMessage {
  key: MessageKey | (string & {});
  /** The `{name}` placeholders of the text; a number `count` picks its `_one` / `_other` form. */
  vars?: MessageVars;
}

/**
 * A page a factor wants shown: a template and its data. `view` is a path under the package's
 * views/ or an absolute path (a factor's own `views/` folder); an operator's views folder, when
 * configured, overrides either by the same relative name (see src/render.ts). The template gets
 * `t`, the page's translator with the factor's own catalogues first (see {@link FactorMessage}).
 */
export interface FactorView {
  view: string;
  data: Record<string, unknown>;
  /** What went wrong on this page (a failed send, a refused answer): the template's `error`. */
  error?: FactorMessage;
  /** What went right ("a new code is on its way"): the template's `notice`. */
  notice?: FactorMessage;
}

/** Why a code was refused: typed results, not exceptions, for expected failures. */
export type VerifyFailure =
  | 'invalid_code'
  | 'replayed_code'
  | 'expired_code'
  | 'not_enrolled'
  | 'malformed_code'
  /** An enrolment's address (email, phone number) is not one: a typo, never a wrong code. */
  | 'invalid_address';

export type VerifyResult =
  | {
      ok: true;
      credentialId: string;
      /** For factors with a supply of codes (recovery): how many remain. */
      remaining?: number;
      /** Methods this proof showed, when they vary (a passkey with user verification adds `user`). @default the factor's amr */
      amr?: string[];
      /** A page offering a new supply (the last backup code was used), shown before going on. */
      renewal?: FactorView;
    }
  | { ok: false; error: VerifyFailure };

/**
 * How one enrolment step ended. Only `refused` is a failure that uses an attempt; `next` is a
 * further step of a multi-step enrolment (address entered, code sent) and `undelivered` a code
 * that could not be sent (the user did nothing wrong).
 */
export type EnrolmentResult =
  | {
      outcome: 'enrolled';
      credential: Credential;
      /** Methods the enrolment itself proved, when they vary. @default the factor's amr */
      amr?: string[];
      /** A page to show once before going on (e.g. recovery codes). */
      show?: FactorView;
    }
  | { outcome: 'next'; view: FactorView }
  /** `limited`: the send limits refused another code (429); else the channel failed (503). */
  | { outcome: 'undelivered'; view: FactorView; limited?: boolean }
  | { outcome: 'refused'; error: VerifyFailure; view: FactorView };

/**
 * Form input schemas of a factor, per step. The generic flow parses the posted form with them
 * (CSRF token removed) and hands the result to the factor; input they refuse is a
 * `malformed_code` without calling the factor.
 * @default `{ code: string <= 64 }` for login and removal; any string fields <= 256 for enrolment
 */
export interface FactorInputs {
  login?: z.ZodType<Record<string, string>>;
  enrol?: z.ZodType<Record<string, string>>;
  /** Confirming a removal on the account page with this factor (its fresh proof). */
  remove?: z.ZodType<Record<string, string>>;
}

/** What a first-factor sign-in (no account known yet) is given for one request. */
export interface SignInRequest {
  /** Id of the flow (the interaction uid): the challenge is bound to it. */
  flowId: string;
  ip: string;
}

/** How a first-factor sign-in ended. */
export type SignInResult =
  | {
      ok: true;
      /** The account the answer proved. */
      accountId: string;
      credentialId: string;
      /** Methods the answer proved (a passkey with user verification adds `user`). */
      amr: string[];
    }
  /** `not_enrolled`: the answer names a credential nobody here has (deleted, or another site's). */
  | { ok: false; error: VerifyFailure };

/**
 * A factor that can also start a login on its own, before any username is known (passkeys:
 * the browser offers the credentials it holds for this site). The login page shows the factor's
 * `offer` beside the password form; the answer is posted to `/interaction/:uid/sign-in/<id>`.
 */
export interface SignInCapability {
  /** A fragment of the login page (its view, e.g. a "Sign in with a passkey" form) with its data. */
  offer(req: SignInRequest): Promise<FactorView>;
  /** Checks the posted answer (parsed by `inputs.login`) and names the account it proves. */
  identify(req: SignInRequest, input: Record<string, string>): Promise<SignInResult>;
}

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
  /** An account may hold several (passkeys): the account page offers to add another. @default false */
  readonly multiple?: boolean;
  /** Bound to the origin (passkeys): satisfies `phishing_resistant` requests. @default false */
  readonly phishingResistant?: boolean;
  /** Form schemas per step. @default see {@link FactorInputs} */
  readonly inputs?: FactorInputs;
  /**
   * English messages, by failure code (and any key of the factor's own): shown by the generic
   * flow instead of its defaults. The same as `catalogues.en`, for a factor with English only.
   */
  readonly messages?: Partial<Record<VerifyFailure, string>> & Record<string, string>;
  /**
   * The factor's own texts per language (`{ en: {...}, de: { label: '...', invalid_code: '...' } }`):
   * its `label`, its messages by failure code or own key ({@link FactorMessage}) and its pages'
   * texts (`t('key')` in its templates). A page in that language takes them first, then
   * tollgate's catalogue (`factor.<id>.<key>`, `failure.<code>`, the key itself), then the
   * factor's English (`catalogues.en`, then `messages`). @default none
   */
  readonly catalogues?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * Static files the factor's pages load (scripts), by file name -> absolute path; served at
   * `/assets/<factor id>/<name>` and allowed by the pages' CSP as `'self'`.
   */
  readonly assets?: Readonly<Record<string, string>>;
  /**
   * How one of its credentials is named on a page, given the factor's `label` and `plural` in the
   * page's language: a name the factor made up at set-up ("Authenticator app 2", "Email code
   * (a***@example.com)", stored in English) reads in that language; a name the user chose stays.
   * @default the stored label, else `names.label`
   */
  credentialName?(credential: Credential, names: { label: string; plural: string }): string;
  /** Backup factors: unused codes left (0 after the last). The flow offers a new set at 0. */
  remaining?(accountId: string): Promise<number>;
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
  /** Passwordless sign-in with this factor alone (see {@link SignInCapability}). */
  readonly signIn?: SignInCapability;
}

/** What a factor factory is built from (see src/factors/registry.ts). */
export interface FactorContext<Options = unknown> {
  /** This factor's options: `mfa.<id>` parsed by its {@link FactorDefinition.options}. */
  options: Options;
  credentials: CredentialStore;
  kv: KeyValueStore;
  /** Seals secrets at rest (`mfa.encryption_keys`). */
  box?: SecretBox;
  /** Sends and checks email/SMS codes. */
  otp?: OtpService;
  logger?: Logger;
  /** Clock in epoch ms. */
  now: () => number;
  redis?: RedisClient;
  keyPrefix: string;
  /** The server's issuer URL (passkeys derive their relying party from it). */
  issuer?: string;
  /** Overrides send limits of code-sending factors (tests). */
  sendLimits?: { perAccount: SendLimiter; perAddress: SendLimiter };
  /** The accounts, for factors that prove a profile field (the email factor: `email_verified`). */
  accounts?: Pick<AccountStore, 'findById' | 'update'>;
}

/**
 * A factor as a plug-in: one folder exports one of these. Registering it merges its options
 * schema into the configuration (`mfa.<id>`) and lets `mfa.factors` name it.
 */
export interface FactorDefinition<Options = unknown> {
  readonly id: string;
  /** Schema of `mfa.<id>`; it must accept `{}` (defaults). */
  readonly options?: z.ZodType<Options>;
  create(context: FactorContext<Options>): Factor;
}
