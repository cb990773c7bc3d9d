import { createHmac, randomBytes as cryptoRandomBytes, timingSafeEqual } from 'node:crypto';
import type {
  Credential,
  CredentialStore,
  EnrolmentResult,
  Factor,
  FactorMessage,
  FactorRequest,
  FactorView,
  KeyValueStore,
  VerifyResult,
} from '../types.ts';

/*
 * Recovery (backup) codes: a list of one-time codes the user prints or saves, for when the real
 * second factor is lost. Stored as ONE credential per account (`factor: 'recovery'`) holding the
 * whole set, salted and hashed; the plain codes exist only in the enrolment response.
 *
 * Single use is claimed with `KeyValueStore.setIfAbsent` (Redis SET NX EX), which is atomic across
 * processes; `used_at` in the credential is the durable bookkeeping written afterwards.
 */

/** Crockford base32: no I, L, O, U, so codes read aloud or copied by hand are unambiguous. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 16 symbols x 5 bits = 80 bits per code (SECURITY.md asks for >= 64). */
const CODE_LENGTH = 16;
const CODE_BYTES = (CODE_LENGTH * 5) / 8;
const GROUP = 4;
const SALT_BYTES = 16;
/**
 * How long a "this code was used" marker lives. It only has to outlive the race between claiming
 * the code and writing `used_at` into the credential; 400 days also covers a store restored from
 * an old backup in which `used_at` was not yet written.
 */
const USED_MARKER_TTL_SECONDS = 400 * 24 * 60 * 60;
const MAX_COUNT = 100;

/** Views of this factor, under views/. */
export const RECOVERY_VIEWS = {
  /** The new codes, shown once, with the "I have saved these codes" confirmation. */
  codes: 'factors/recovery-codes',
  /** Code entry at login. */
  challenge: 'factors/recovery-challenge',
  /**
   * Offered by the interaction router after a login that used the last code (`remaining === 0`):
   * "Create new codes" (`regenerate=1`) or "Not now" (`regenerate=0`).
   */
  regenerate: 'factors/recovery-regenerate',
} as const;

/*
 * Its messages are tollgate's catalogue's `factor.recovery.<code>` (src/i18n/locales): the flow
 * finds them by failure code, and the page's own by its key.
 */

/** Refused enrolment: the "saved" box was not ticked, so a new set is shown. */
export const CONFIRM_REQUIRED: FactorMessage = { key: 'factor.recovery.confirmRequired' };

/** Options of {@link createRecoveryFactor}. */
export interface RecoveryFactorOptions {
  /** Codes per set. @default 10 */
  count?: number;
  credentials: CredentialStore;
  /** Holds the single-use markers; must be shared by every process (Redis in production). */
  kv: KeyValueStore;
  /** Clock in epoch ms. @default Date.now */
  now?: () => number;
  /** CSPRNG, injectable for tests. @default node:crypto randomBytes */
  randomBytes?: (size: number) => Uint8Array;
}

/** The recovery-code factor, plus set management for account settings and the router. */
export interface RecoveryFactor extends Factor {
  /**
   * Creates a new set and returns its codes, grouped `XXXX-XXXX-XXXX-XXXX`. Replaces any previous
   * set: its codes stop working. Show the result once; it is not kept in plain text anywhere.
   */
  generate(accountId: string): Promise<string[]>;
  /** Unused codes of the account (0 when it has none). */
  remaining(accountId: string): Promise<number>;
}

/** One stored code: never the code itself. */
interface StoredCode {
  /** base64url, 16 random bytes. */
  salt: string;
  /** base64url HMAC-SHA256(key = salt, message = normalised code). */
  hash: string;
  /** Epoch seconds. */
  used_at?: number;
}

/**
 * Brings user input to the canonical 16-symbol form: drops spaces and dashes, uppercases, and
 * reads O as 0 and I/L as 1 (Crockford's decoding rules). `undefined` when the result is not a
 * well-formed code.
 */
export function normaliseRecoveryCode(input: string): string | undefined {
  const code = input
    .replace(/[\s-]+/g, '')
    .toUpperCase()
    .replace(/O/g, '0')
    .replace(/[IL]/g, '1');
  if (code.length !== CODE_LENGTH) return undefined;
  for (const ch of code) if (!ALPHABET.includes(ch)) return undefined;
  return code;
}

/** `ABCDEFGHJKMNPQRS` -> `ABCD-EFGH-JKMN-PQRS`. */
export function formatRecoveryCode(code: string): string {
  const groups: string[] = [];
  for (let i = 0; i < code.length; i += GROUP) groups.push(code.slice(i, i + GROUP));
  return groups.join('-');
}

/** 10 random bytes -> 16 Crockford symbols, 5 bits each, no bias (80 bits split exactly). */
function encodeCode(bytes: Uint8Array): string {
  let bits = 0n;
  for (const b of bytes) bits = (bits << 8n) | BigInt(b);
  let out = '';
  for (let i = CODE_LENGTH - 1; i >= 0; i--) out += ALPHABET[Number((bits >> BigInt(i * 5)) & 31n)];
  return out;
}

/*
 * Why HMAC-SHA256 with a per-code salt and not argon2: a slow hash protects low-entropy secrets
 * (passwords) against offline guessing. A recovery code carries 80 random bits; even at 10^12
 * guesses per second an offline search needs ~38,000 years per code, and the salt stops
 * precomputation and cross-code or cross-account matching. Argon2 at OWASP cost (~50 ms) over the
 * 10 unused codes every attempt checks would spend ~0.5 s of CPU per login attempt - a
 * denial-of-service lever - for no security gain.
 */
function hashCode(salt: Buffer, code: string): Buffer {
  return createHmac('sha256', salt).update(code, 'utf8').digest();
}

/**
 * Reads `credential.data.codes`. A set with any entry not of the stored shape counts as empty:
 * positions are part of the single-use marker keys, so skipping one entry would shift the rest.
 */
function readCodes(credential: Credential): StoredCode[] {
  const raw = credential.data.codes;
  if (!Array.isArray(raw)) return [];
  const out: StoredCode[] = [];
  for (const entry of raw as unknown[]) {
    if (typeof entry !== 'object' || entry === null) return [];
    const { salt, hash, used_at } = entry as Record<string, unknown>;
    if (typeof salt !== 'string' || typeof hash !== 'string') return [];
    out.push(typeof used_at === 'number' ? { salt, hash, used_at } : { salt, hash });
  }
  return out;
}

/**
 * Creates the recovery-code factor. amr is `otp`: RFC 8176 has no value for backup codes, and a
 * one-time code taken from a list is a one-time password. It is a `backup` factor: offered only
 * beside a real second factor, never as the only one.
 */
export function createRecoveryFactor(options: RecoveryFactorOptions): RecoveryFactor {
  const { credentials, kv } = options;
  const count = options.count ?? 10;
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) {
    throw new RangeError(`recovery: count must be an integer from 1 to ${MAX_COUNT}, got ${count}`);
  }
  const now = options.now ?? Date.now;
  const random = options.randomBytes ?? ((size: number) => cryptoRandomBytes(size));
  const nowSeconds = () => Math.floor(now() / 1000);
  const markerKey = (credentialId: string, index: number) => `recovery-used:${credentialId}:${index}`;

  async function recoveryCredentials(accountId: string): Promise<Credential[]> {
    return (await credentials.list(accountId)).filter((c) => c.factor === 'recovery');
  }

  /**
   * Codes neither marked `used_at` nor claimed in the KV store. The marker check catches a code
   * whose `used_at` was lost when two different codes were used at once (the credential update
   * is a read-modify-write, the claim is atomic).
   */
  async function countUnused(credential: Credential): Promise<number> {
    const claimed = await Promise.all(
      readCodes(credential).map(async (c, i) =>
        c.used_at === undefined ? (await kv.get(markerKey(credential.id, i))) !== undefined : true,
      ),
    );
    return claimed.filter((used) => !used).length;
  }

  async function remaining(accountId: string): Promise<number> {
    let n = 0;
    for (const credential of await recoveryCredentials(accountId)) n += await countUnused(credential);
    return n;
  }

  async function generate(accountId: string): Promise<string[]> {
    const codes: string[] = [];
    const stored: StoredCode[] = [];
    for (let i = 0; i < count; i++) {
      const bytes = random(CODE_BYTES);
      if (bytes.length !== CODE_BYTES) throw new Error('recovery: randomBytes returned the wrong size');
      const code = encodeCode(bytes);
      const salt = Buffer.from(random(SALT_BYTES));
      codes.push(formatRecoveryCode(code));
      stored.push({ salt: salt.toString('base64url'), hash: hashCode(salt, code).toString('base64url') });
    }
    // Delete before create: if the delete fails, nothing new was issued and the old set stands;
    // the other order could leave both sets valid.
    await credentials.deleteAll(accountId, 'recovery');
    await credentials.create({
      account_id: accountId,
      factor: 'recovery',
      label: 'Recovery codes',
      data: { codes: stored },
    });
    return codes;
  }

  /**
   * Builds the "save your codes" page around a freshly generated set. The page offers them as a
   * text file too, headed in its language with the account's name and the day they were made.
   */
  async function codesPage(req: FactorRequest, error?: FactorMessage): Promise<FactorView> {
    const codes = await generate(req.account.id);
    const data: Record<string, unknown> = {
      codes,
      count: codes.length,
      username: req.account.username,
      created: new Date(now()).toISOString().slice(0, 10),
    };
    return { view: RECOVERY_VIEWS.codes, data, ...(error ? { error } : {}) };
  }

  return {
    id: 'recovery',
    label: 'Recovery code',
    credentialName: (credential, { plural }) =>
      credential.label === undefined || credential.label === 'Recovery codes'
        ? `${plural.charAt(0).toUpperCase()}${plural.slice(1)}`
        : credential.label,
    // RFC 8176 has no value for backup codes. `recovery` is tollgate's documented custom value:
    // reusing `otp` would let a recovery-code session pass a client that accepts only TOTP.
    amr: ['recovery'],
    restricted: false,
    enrollable: true,
    backup: true,
    generate,
    remaining,

    async isEnrolled(accountId) {
      return (await remaining(accountId)) > 0;
    },

    // The codes are shown once, now: every call issues a new set and invalidates the previous one.
    startEnrolment(req) {
      return codesPage(req);
    },

    /*
     * Only the confirmation checkbox is checked: the codes were stored by startEnrolment. When it
     * is missing, the page cannot show the same codes again because no plain copy is kept (not
     * even in the pending-flow state, which would put them in Redis in the clear). So a new set
     * is generated and shown with the error; the unconfirmed set stops working.
     */
    async finishEnrolment(req, input): Promise<EnrolmentResult> {
      const current = (await recoveryCredentials(req.account.id)).at(-1);
      if (input.confirm === '1' && current !== undefined) return { outcome: 'enrolled', credential: current };
      return {
        outcome: 'refused',
        error: 'malformed_code',
        view: await codesPage(req, CONFIRM_REQUIRED),
      };
    },

    async challenge(req) {
      return { view: RECOVERY_VIEWS.challenge, data: { remaining: await remaining(req.account.id) } };
    },

    async verify(req, input): Promise<VerifyResult> {
      const code = normaliseRecoveryCode(input.code ?? '');
      if (code === undefined) return { ok: false, error: 'malformed_code' };
      const accountId = req.account.id;
      const creds = await recoveryCredentials(accountId);
      if (creds.length === 0) return { ok: false, error: 'not_enrolled' };

      // Hash and compare against every unused code, without stopping at a match, so the time
      // taken says nothing about which code (or whether one) matched.
      let match: { credential: Credential; index: number } | undefined;
      for (const credential of creds) {
        const entries = readCodes(credential);
        for (let index = 0; index < entries.length; index++) {
          const entry = entries[index];
          if (entry === undefined || entry.used_at !== undefined) continue;
          const expected = Buffer.from(entry.hash, 'base64url');
          const actual = hashCode(Buffer.from(entry.salt, 'base64url'), code);
          const equal = expected.length === actual.length && timingSafeEqual(expected, actual);
          if (equal && match === undefined) match = { credential, index };
        }
      }
      if (match === undefined) return { ok: false, error: 'invalid_code' };
      const { credential, index } = match;

      const claimed = await kv.setIfAbsent(markerKey(credential.id, index), '1', USED_MARKER_TTL_SECONDS);
      // Re-read: another request may have marked other codes since the list above.
      const fresh = await credentials.get(accountId, credential.id);
      if (fresh === undefined) return { ok: false, error: 'invalid_code' }; // set replaced meanwhile
      const codes = readCodes(fresh);
      const entry = codes[index];
      if (entry === undefined) return { ok: false, error: 'invalid_code' };
      if (entry.used_at === undefined) {
        // Also repairs a `used_at` lost to a concurrent update when the claim already existed.
        entry.used_at = nowSeconds();
        const patch: Parameters<CredentialStore['update']>[2] = { data: { ...fresh.data, codes } };
        if (claimed) patch.last_used_at = entry.used_at;
        const updated = await credentials.update(accountId, fresh.id, patch);
        if (updated === undefined) return { ok: false, error: 'invalid_code' };
      }
      if (!claimed) return { ok: false, error: 'replayed_code' };
      const left = await remaining(accountId);
      return {
        ok: true,
        credentialId: credential.id,
        remaining: left,
        ...(left === 0 ? { renewal: { view: RECOVERY_VIEWS.regenerate, data: {} } } : {}),
      };
    },
  };
}
