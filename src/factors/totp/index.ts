import { createHash } from 'node:crypto';
import type { SecretBox } from '../../security/secret-box.ts';
import type {
  Credential,
  CredentialStore,
  EnrolmentResult,
  Factor,
  FactorRequest,
  FactorView,
  KeyValueStore,
  VerifyFailure,
  VerifyResult,
} from '../types.ts';
import { keyUri, qrSvg } from './key-uri.ts';
import type { TotpOptions } from './options.ts';
import { base32Encode, generateSecret, matchTotp, type OtpAlgorithm, type TotpParams } from './otp.ts';

/*
 * Storage decision: the seed is kept ENCRYPTED (AES-256-GCM via SecretBox, AAD = the account
 * id), never hashed (we need it to compute codes) and never in plain text. Its parameters are
 * stored beside it, so a later change of `mfa.totp` in the configuration does not break the
 * apps people already set up. Replay: each (credential, time step) is accepted once, marked
 * with an atomic SET NX EX in the key-value store, so two processes cannot both accept it.
 */

/** Options for {@link createTotpFactor}. */
export interface TotpFactorOptions {
  /** `mfa.totp` from the configuration: parameters for new enrolments, and the window. */
  config: TotpOptions;
  credentials: CredentialStore;
  /** Remembers used time steps; must be shared by every process (Redis in production). */
  kv: KeyValueStore;
  /** Seals seeds at rest. */
  box: SecretBox;
  /** Clock in epoch milliseconds. @default Date.now */
  now?: () => number;
}

/** What a TOTP credential keeps in `Credential.data`. */
export interface TotpCredentialData extends TotpParams {
  /** The seed, sealed by the SecretBox with context `totp:{accountId}`. */
  secret: string;
}

const FACTOR_ID = 'totp';
const LABEL = 'Authenticator app';
/** The names this factor gives its credentials: "Authenticator app", "Authenticator app 2"... */
const GENERATED_NAME = /^Authenticator app( \d+)?$/;
const ENROL_VIEW = 'factors/totp-enrol';
const CHALLENGE_VIEW = 'factors/totp-challenge';
/* Its messages are tollgate's catalogue's `factor.totp.<code>` (src/i18n/locales), by failure code. */

/** Key of the sealed pending seed in `FactorRequest.state`. */
const PENDING = 'pendingSecret';
const ALGORITHMS: readonly string[] = ['SHA1', 'SHA256', 'SHA512'];

const sealContext = (accountId: string) => `totp:${accountId}`;
const pendingContext = (req: FactorRequest) => `totp-pending:${req.account.id}:${req.flowId}`;

/** Users type codes with spaces ("123 456") and apps show them so: spaces carry no meaning. */
const normalizeCode = (input: Record<string, string>) => (input.code ?? '').replace(/\s+/g, '');
/** Shapes any credential could have (6 or 8 digits); anything else never reaches the HMAC. */
const WELL_FORMED = /^(?:[0-9]{6}|[0-9]{8})$/;

/** "JBSW Y3DP EHPK 3PXP": easier to copy by hand; apps ignore the spaces. */
function groupKey(base32: string): string {
  return base32.match(/.{1,4}/g)?.join(' ') ?? base32;
}

/** Reads a stored credential; a broken record is a server fault, never "wrong code". */
function readData(credential: Credential): TotpCredentialData {
  const { secret, algorithm, digits, period } = credential.data;
  if (
    typeof secret !== 'string' ||
    typeof algorithm !== 'string' ||
    !ALGORITHMS.includes(algorithm) ||
    (digits !== 6 && digits !== 8) ||
    typeof period !== 'number' ||
    !(period > 0)
  ) {
    throw new Error(`totp: credential ${credential.id} has malformed data`);
  }
  return { secret, algorithm: algorithm as OtpAlgorithm, digits, period };
}

/**
 * The TOTP factor (RFC 6238 authenticator apps), amr `otp`.
 * Enrolment keeps the new seed sealed in the flow state until the user proves it with a code.
 */
export function createTotpFactor(options: TotpFactorOptions): Factor {
  const { config, credentials, kv, box } = options;
  const now = options.now ?? Date.now;

  /** Seconds a used step must be remembered: until it has left every window it could match. */
  const replayTtl = (period: number) => period * (2 * config.window + 2);

  const newParams = (): TotpParams => ({
    algorithm: config.algorithm,
    digits: config.digits,
    period: config.period,
  });

  /** The pending seed of this flow, creating one when there is none (or it no longer opens). */
  function pendingSeed(req: FactorRequest): Buffer {
    const sealed = req.state[PENDING];
    if (typeof sealed === 'string') {
      try {
        return box.open(sealed, pendingContext(req));
      } catch {
        // Scratch state sealed under a retired key or for another flow: start over.
      }
    }
    const seed = generateSecret(config.secret_bytes);
    req.state[PENDING] = box.seal(seed, pendingContext(req));
    return seed;
  }

  async function enrolView(req: FactorRequest, seed: Buffer): Promise<FactorView> {
    const params = newParams();
    const uri = keyUri({ issuer: config.issuer, account: req.account.username, secret: seed, ...params });
    return {
      view: ENROL_VIEW,
      data: {
        qrSvg: await qrSvg(uri),
        secret: groupKey(base32Encode(seed)),
        uri,
        issuer: config.issuer,
        account: req.account.username,
        ...params,
      },
    };
  }

  async function totpCredentials(accountId: string): Promise<Credential[]> {
    return (await credentials.list(accountId)).filter((c) => c.factor === FACTOR_ID);
  }

  return {
    id: FACTOR_ID,
    label: LABEL,
    credentialName(credential, { label }) {
      const made = GENERATED_NAME.exec(credential.label ?? LABEL);
      return made ? `${label}${made[1] ?? ''}` : (credential.label as string);
    },
    amr: ['otp'],
    restricted: false,
    enrollable: true,
    backup: false,
    // A second app (a phone and a tablet): verify tries each of the account's keys.
    multiple: true,

    async isEnrolled(accountId) {
      return (await totpCredentials(accountId)).length > 0;
    },

    async startEnrolment(req) {
      return await enrolView(req, pendingSeed(req));
    },

    async finishEnrolment(req, input): Promise<EnrolmentResult> {
      const hadPending = typeof req.state[PENDING] === 'string';
      const seed = pendingSeed(req);
      // Failures show the same key again, so the user can retry without rescanning.
      const fail = async (error: VerifyFailure): Promise<EnrolmentResult> => ({
        outcome: 'refused',
        error,
        view: await enrolView(req, seed),
      });
      // No seed was shown for this flow: the code cannot be for the key now on screen.
      if (!hadPending) return await fail('expired_code');
      const code = normalizeCode(input);
      const params = newParams();
      if (code.length !== params.digits || !/^[0-9]+$/.test(code)) return await fail('malformed_code');
      const counter = matchTotp(seed, code, { ...params, window: config.window }, now());
      if (counter === undefined) return await fail('invalid_code');
      // A double submit of the same form must not create two credentials; a second app set up in
      // the same session and time step is another key, so the key shown is part of the marker.
      const shown = createHash('sha256').update(String(req.state[PENDING])).digest('base64url').slice(0, 16);
      const first = await kv.setIfAbsent(
        `totp-enrol:${req.account.id}:${req.flowId}:${shown}:${counter}`,
        '1',
        replayTtl(params.period),
      );
      if (!first) return await fail('replayed_code');

      const data: TotpCredentialData = { secret: box.seal(seed, sealContext(req.account.id)), ...params };
      const others = (await totpCredentials(req.account.id)).length;
      const credential = await credentials.create({
        account_id: req.account.id,
        factor: FACTOR_ID,
        label: others === 0 ? LABEL : `${LABEL} ${others + 1}`,
        data: { ...data },
      });
      // The code that proved the enrolment must not also sign in.
      await kv.set(`totp-used:${credential.id}:${counter}`, '1', replayTtl(params.period));
      delete req.state[PENDING];
      return { outcome: 'enrolled', credential };
    },

    async challenge(req) {
      // Size the field for the longest code among the user's apps (8 when any uses 8).
      const lengths = (await totpCredentials(req.account.id)).map((c) => c.data.digits);
      const digits = lengths.includes(8) ? 8 : lengths.includes(6) ? 6 : config.digits;
      // The app lists the code under the issuer name the key was set up with, not the client's.
      return { view: CHALLENGE_VIEW, data: { digits, issuer: config.issuer } };
    },

    async verify(req, input): Promise<VerifyResult> {
      const code = normalizeCode(input);
      if (!WELL_FORMED.test(code)) return { ok: false, error: 'malformed_code' };
      const list = await totpCredentials(req.account.id);
      if (list.length === 0) return { ok: false, error: 'not_enrolled' };
      const time = now();
      for (const credential of list) {
        const data = readData(credential);
        const seed = box.open(data.secret, sealContext(req.account.id));
        const counter = matchTotp(seed, code, { ...data, window: config.window }, time);
        seed.fill(0);
        if (counter === undefined) continue;
        const first = await kv.setIfAbsent(
          `totp-used:${credential.id}:${counter}`,
          '1',
          replayTtl(data.period),
        );
        if (!first) return { ok: false, error: 'replayed_code' };
        await credentials.update(req.account.id, credential.id, { last_used_at: Math.floor(time / 1000) });
        return { ok: true, credentialId: credential.id };
      }
      return { ok: false, error: 'invalid_code' };
    },
  };
}
