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
  FactorRequest,
  FactorView,
  KeyValueStore,
  VerifyResult,
} from '../types.ts';
import { amrOf, type PasskeyData, passkeyOf, toWebAuthnCredential } from './credential.ts';
import { WEBAUTHN_MESSAGES } from './messages.ts';
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
  const challengeKey = (req: FactorRequest, purpose: string) => `webauthn-challenge:${purpose}:${req.flowId}`;

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
  async function takeChallenge(req: FactorRequest, purpose: string): Promise<string | undefined> {
    const key = challengeKey(req, purpose);
    const challenge = await kv.get(key);
    if (!challenge) return undefined;
    await kv.delete(key);
    return (await kv.setIfAbsent(`webauthn-used:${challenge}`, '1', ttl)) ? challenge : undefined;
  }

  async function registrationPage(req: FactorRequest, error?: string): Promise<FactorView> {
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
    await kv.set(challengeKey(req, 'register'), opts.challenge, ttl);
    return page('enrol', { options: opts, ...(error ? { error } : {}) });
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
    amr: ['hwk', 'swk'],
    restricted: false,
    enrollable: true,
    backup: false,
    phishingResistant: true,
    messages: WEBAUTHN_MESSAGES,
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
        message?: string,
      ) => ({
        outcome: 'refused' as const,
        error,
        view: await registrationPage(req, message),
      });
      const answer = parse(input.response);
      if (!answer) return refused('malformed_code');
      const challenge = await takeChallenge(req, 'register');
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
        return refused('invalid_code', WEBAUTHN_MESSAGES.NOT_ALLOWED);
      if (!config.allow_synced && info.credentialDeviceType === 'multiDevice')
        return refused('invalid_code', WEBAUTHN_MESSAGES.NOT_ALLOWED);
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
      const { generateAuthenticationOptions } = await library();
      const opts = await generateAuthenticationOptions({
        rpID,
        allowCredentials: mine.map(({ passkey }) => ({
          id: passkey.credential_id,
          transports: passkey.transports,
        })),
        userVerification: config.user_verification,
        timeout: config.timeout_ms,
      });
      await kv.set(challengeKey(req, 'authenticate'), opts.challenge, ttl);
      return page('challenge', { options: opts });
    },

    async verify(req, input): Promise<VerifyResult> {
      const answer = parse(input.response) as { id?: unknown } | undefined;
      if (!answer || typeof answer.id !== 'string') return { ok: false, error: 'malformed_code' };
      const match = (await passkeys(req.account.id)).find((p) => p.passkey.credential_id === answer.id);
      if (!match) return { ok: false, error: 'not_enrolled' };
      const challenge = await takeChallenge(req, 'authenticate');
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
        await credentials.update(req.account.id, match.credential.id, {
          data: { ...match.passkey, counter: newCounter, backed_up: credentialBackedUp },
          last_used_at: Math.floor(now() / 1000),
        });
        return { ok: true, credentialId: match.credential.id, amr: amrOf(match.passkey, userVerified) };
      } catch (err) {
        // The library refuses a counter that did not move forward: a cloned authenticator.
        if (/counter/i.test(String(err))) {
          logger?.warn(
            { event: 'webauthn.counter_regressed', account: req.account.id, credential: match.credential.id },
            'passkey sign counter went backwards: possible cloned authenticator',
          );
          return { ok: false, error: 'replayed_code' };
        }
        return { ok: false, error: 'invalid_code' };
      }
    },
  };
  return factor;
}
