import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { verifyAuthenticationResponse, verifyRegistrationResponse } from '@simplewebauthn/server';
import { z } from 'zod';
import type { Logger } from '../../log.ts';
import type {
  CredentialStore,
  EnrolmentResult,
  Factor,
  FactorMessage,
  FactorRequest,
  FactorView,
  KeyValueStore,
  SignInResult,
  VerifyFailure,
  VerifyResult,
} from '../types.ts';
import { amrOf, type PasskeyData, passkeyOf, toWebAuthnCredential } from './credential.ts';
import { WEBAUTHN_CATALOGUES, type WebauthnTextKey } from './messages.ts';
import type { WebauthnOptions } from './options.ts';

/*
 * Passkeys (WebAuthn) as a second factor. Phishing-resistant: the browser binds each answer to
 * the origin, so a look-alike site gets nothing it can replay here. Challenges are single use
 * and bound to the flow (the interaction uid), kept in the key-value store with the ceremony's
 * timeout as TTL. A sign counter that does not move forward means a cloned authenticator: the
 * answer is refused and logged.
 */

/** Options of {@link createWebauthnFactor}. */
export interface WebauthnFactorOptions {
  config: WebauthnOptions;
  /** The issuer URL: rp id and origin default to its host and origin. */
  issuer: string;
  credentials: CredentialStore;
  kv: KeyValueStore;
  logger?: Pick<Logger, 'info' | 'warn'>;
  now?: () => number;
}

const FACTOR_ID = 'webauthn';
/** Views live beside this module (`npm run build` copies each factor's views/ into dist/). */
const VIEWS = fileURLToPath(new URL('./views/', import.meta.url));
const require = createRequire(import.meta.url);
/** Loaded on first use: a server without passkey logins never pays for the library. */
const library = () => import('@simplewebauthn/server');
/** The browser half, served from the installed package itself (no CDN). */
const BROWSER_BUNDLE = join(
  dirname(require.resolve('@simplewebauthn/browser')),
  '..',
  'dist',
  'bundle',
  'index.umd.min.js',
);
/** The page half: reads the options block, runs the ceremony, posts the answer. */
const PAGE_SCRIPT = join(VIEWS, 'page.js');

/** Script URLs the passkey pages load (served by the interaction router from {@link Factor.assets}). */
const SCRIPTS = [`/assets/${FACTOR_ID}/simplewebauthn-browser.js`, `/assets/${FACTOR_ID}/page.js`];

/** What a challenge is for: enrolment, a second factor, or a sign-in before any username. */
type Purpose = 'register' | 'authenticate' | 'sign-in';

/** The parts of a browser's assertion read before the library checks it. */
type Answer = { id?: unknown; response?: { userHandle?: unknown } };

/** An authenticator the configuration refuses (`aaguids`, `allow_synced`): a key of ./messages.ts. */
const NOT_ALLOWED: FactorMessage = { key: 'NOT_ALLOWED' satisfies WebauthnTextKey };

/** A JSON answer from the browser, up to 8 KiB. */
const response = z.string().min(2).max(8192);

/** The passkey factor. */
export function createWebauthnFactor(options: WebauthnFactorOptions): Factor {
  const { config, credentials, kv, logger } = options;
  const now = options.now ?? Date.now;
  const issuer = new URL(options.issuer);
  const rpID = config.rp_id ?? issuer.hostname;
  const origins = config.origins ?? [issuer.origin];
  const ttl = Math.ceil(config.timeout_ms / 1000);
  const challengeKey = (flowId: string, purpose: Purpose) => `webauthn-challenge:${purpose}:${flowId}`;

  const passkeys = async (accountId: string) =>
    (await credentials.list(accountId))
      .filter((c) => c.factor === FACTOR_ID)
      .flatMap((c) => {
        const p = passkeyOf(c);
        return p ? [{ credential: c, passkey: p }] : [];
      });

  const page = (name: string, data: Record<string, unknown>): FactorView => ({
    view: join(VIEWS, name),
    // `<` escaped: the options sit in a <script type="application/json"> data block.
    data: { ...data, options: JSON.stringify(data.options).replace(/</g, '\\u003c'), scripts: SCRIPTS },
  });

  /** Takes the flow's challenge once: a second use of the same answer finds none. */
  async function takeChallenge(flowId: string, purpose: Purpose): Promise<string | undefined> {
    const key = challengeKey(flowId, purpose);
    const challenge = await kv.get(key);
    if (!challenge) return undefined;
    await kv.delete(key);
    return (await kv.setIfAbsent(`webauthn-used:${challenge}`, '1', ttl)) ? challenge : undefined;
  }

  async function registrationPage(req: FactorRequest, error?: FactorMessage): Promise<FactorView> {
    const existing = await passkeys(req.account.id);
    const { generateRegistrationOptions } = await library();
    const opts = await generateRegistrationOptions({
      rpName: config.rp_name,
      rpID,
      userName: req.account.username,
      userID: new TextEncoder().encode(req.account.id),
      attestationType: config.attestation,
      excludeCredentials: existing.map(({ passkey }) => ({
        id: passkey.credential_id,
        transports: passkey.transports,
      })),
      authenticatorSelection: { residentKey: 'preferred', userVerification: config.user_verification },
      timeout: config.timeout_ms,
    });
    await kv.set(challengeKey(req.flowId, 'register'), opts.challenge, ttl);
    return { ...page('enrol', { options: opts }), ...(error ? { error } : {}) };
  }

  const parse = (raw: string | undefined): unknown => {
    try {
      return JSON.parse(raw ?? '');
    } catch {
      return undefined;
    }
  };

  const factor: Factor = {
    id: FACTOR_ID,
    label: 'Passkey',
    // "Passkey 2" when the user named it nothing; a name they gave stays as it is.
    credentialName(credential, { label }) {
      const made = /^Passkey( \d+)?$/.exec(credential.label ?? 'Passkey');
      return made ? `${label}${made[1] ?? ''}` : (credential.label as string);
    },
    amr: ['hwk', 'swk'],
    restricted: false,
    enrollable: true,
    backup: false,
    multiple: true,
    phishingResistant: true,
    // Its English too: labels, messages and its pages' texts, by key (./messages.ts).
    catalogues: WEBAUTHN_CATALOGUES,
    inputs: {
      login: z.object({ response }),
      enrol: z.object({ response: response.optional(), label: z.string().max(64).optional() }),
      remove: z.object({ response }),
    },
    assets: { 'simplewebauthn-browser.js': BROWSER_BUNDLE, 'page.js': PAGE_SCRIPT },

    async isEnrolled(accountId) {
      return (await passkeys(accountId)).length > 0;
    },

    startEnrolment: (req) => registrationPage(req),

    async finishEnrolment(req, input): Promise<EnrolmentResult> {
      const refused = async (
        error: 'invalid_code' | 'expired_code' | 'malformed_code',
        message?: FactorMessage,
      ) => ({
        outcome: 'refused' as const,
        error,
        view: await registrationPage(req, message),
      });
      const answer = parse(input.response);
      if (!answer) return refused('malformed_code');
      const challenge = await takeChallenge(req.flowId, 'register');
      if (!challenge) return refused('expired_code');
      let info: Awaited<ReturnType<typeof verifyRegistrationResponse>>['registrationInfo'];
      try {
        const { verifyRegistrationResponse } = await library();
        const result = await verifyRegistrationResponse({
          response: answer as Parameters<typeof verifyRegistrationResponse>[0]['response'],
          expectedChallenge: challenge,
          expectedOrigin: origins,
          expectedRPID: rpID,
          requireUserVerification: config.user_verification === 'required',
        });
        info = result.verified ? result.registrationInfo : undefined;
      } catch (err) {
        logger?.info(
          { event: 'webauthn.registration_refused', account: req.account.id, reason: String(err) },
          'passkey refused',
        );
      }
      if (!info) return refused('invalid_code');
      if (config.aaguids && !config.aaguids.includes(info.aaguid))
        return refused('invalid_code', NOT_ALLOWED);
      if (!config.allow_synced && info.credentialDeviceType === 'multiDevice')
        return refused('invalid_code', NOT_ALLOWED);
      const data: PasskeyData = {
        credential_id: info.credential.id,
        public_key: Buffer.from(info.credential.publicKey).toString('base64url'),
        counter: info.credential.counter,
        transports: (info.credential.transports ?? []) as PasskeyData['transports'],
        aaguid: info.aaguid,
        device_type: info.credentialDeviceType,
        backed_up: info.credentialBackedUp,
      };
      const label = input.label?.trim() || `Passkey ${(await passkeys(req.account.id)).length + 1}`;
      const credential = await credentials.create({
        account_id: req.account.id,
        factor: FACTOR_ID,
        label,
        data: { ...data },
      });
      return { outcome: 'enrolled', credential, amr: amrOf(data, info.userVerified) };
    },

    async challenge(req) {
      const mine = await passkeys(req.account.id);
      const opts = await authenticationOptions(mine.map(({ passkey }) => passkey));
      await kv.set(challengeKey(req.flowId, 'authenticate'), opts.challenge, ttl);
      return page('challenge', { options: opts });
    },

    async verify(req, input): Promise<VerifyResult> {
      const answer = parse(input.response) as Answer | undefined;
      if (!answer || typeof answer.id !== 'string') return { ok: false, error: 'malformed_code' };
      const result = await check(req.flowId, 'authenticate', req.account.id, answer);
      return result.ok ? { ok: true, credentialId: result.credentialId, amr: result.amr } : result;
    },

    // Passwordless: the browser offers the discoverable passkeys it holds for this site (from a
    // button or the username field's autofill); the answer's user handle names the account.
    signIn: {
      async offer(req) {
        const opts = await authenticationOptions([]);
        await kv.set(challengeKey(req.flowId, 'sign-in'), opts.challenge, ttl);
        return page('sign-in', { options: opts, autofill: 'webauthn' });
      },
      async identify(req, input): Promise<SignInResult> {
        const answer = parse(input.response) as Answer | undefined;
        if (!answer || typeof answer.id !== 'string') return { ok: false, error: 'malformed_code' };
        const handle = answer.response?.userHandle;
        // A credential that is not discoverable has no user handle: it cannot name an account.
        if (typeof handle !== 'string' || handle.length > 200) return { ok: false, error: 'not_enrolled' };
        const accountId = Buffer.from(handle, 'base64url').toString('utf8');
        const result = await check(req.flowId, 'sign-in', accountId, answer);
        return result.ok ? { ...result, accountId } : result;
      },
    },
  };

  /** Options of an assertion: for the given passkeys, or any discoverable one when empty. */
  async function authenticationOptions(allowed: PasskeyData[]) {
    const { generateAuthenticationOptions } = await library();
    return generateAuthenticationOptions({
      rpID,
      allowCredentials: allowed.map((p) => ({ id: p.credential_id, transports: p.transports })),
      userVerification: config.user_verification,
      timeout: config.timeout_ms,
    });
  }

  /**
   * Checks an assertion against the account's passkey it names and the flow's challenge (taken
   * once); moves the sign counter forward. A counter that did not move is a clone: refused, logged.
   */
  async function check(
    flowId: string,
    purpose: Purpose,
    accountId: string,
    answer: Answer,
  ): Promise<{ ok: true; credentialId: string; amr: string[] } | { ok: false; error: VerifyFailure }> {
    const match = (await passkeys(accountId)).find((p) => p.passkey.credential_id === answer.id);
    if (!match) return { ok: false, error: 'not_enrolled' };
    const challenge = await takeChallenge(flowId, purpose);
    if (!challenge) return { ok: false, error: 'expired_code' };
    try {
      const { verifyAuthenticationResponse } = await library();
      const result = await verifyAuthenticationResponse({
        response: answer as Parameters<typeof verifyAuthenticationResponse>[0]['response'],
        expectedChallenge: challenge,
        expectedOrigin: origins,
        expectedRPID: rpID,
        credential: toWebAuthnCredential(match.passkey),
        requireUserVerification: config.user_verification === 'required',
      });
      if (!result.verified) return { ok: false, error: 'invalid_code' };
      const { newCounter, userVerified, credentialBackedUp } = result.authenticationInfo;
      await credentials.update(accountId, match.credential.id, {
        data: { ...match.passkey, counter: newCounter, backed_up: credentialBackedUp },
        last_used_at: Math.floor(now() / 1000),
      });
      return { ok: true, credentialId: match.credential.id, amr: amrOf(match.passkey, userVerified) };
    } catch (err) {
      // The library refuses a counter that did not move forward: a cloned authenticator.
      if (/counter/i.test(String(err))) {
        logger?.warn(
          { event: 'webauthn.counter_regressed', account: accountId, credential: match.credential.id },
          'passkey sign counter went backwards: possible cloned authenticator',
        );
        return { ok: false, error: 'replayed_code' };
      }
      return { ok: false, error: 'invalid_code' };
    }
  }
  return factor;
}
