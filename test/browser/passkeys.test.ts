// Passkeys in a real browser: Debian's Chromium (playwright-core) with the CDP WebAuthn domain's
// virtual authenticator (ctap2, internal, resident key, user verification). openid-client is the
// RP and checks acr/amr in the ID tokens. Pages are saved to test-artifacts/passkeys/.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { type Browser, type CDPSession, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import {
  APP_SECRET,
  addUser,
  type RunningTollgate,
  startTollgate,
} from '../helpers/tollgate.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts/passkeys';
const PASSWORD = 'a long enough password';
const ACR_PHR = 'urn:tollgate:acr:phr';
/** The relying party's callback: a real listener (set in beforeAll); openid-client redeems the code. */
let RP_CALLBACK = '';
let callbackServer: Server | undefined;

let redis: RedisServer | undefined;
let tg: RunningTollgate | undefined;
let browser: Browser | undefined;
let shot = 0;
const warnings: Record<string, unknown>[] = [];

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  callbackServer = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>back at the app</h1>');
  });
  await new Promise<void>((resolve) => callbackServer?.listen(0, '127.0.0.1', resolve));
  RP_CALLBACK = `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback`;
  redis = await startRedis();
  // WebAuthn needs a domain: the issuer is http://localhost (a secure context), not an IP.
  tg = await startTollgate({
    redisUrl: redis.url,
    hostname: 'localhost',
    logger: captureWarnings(),
    overrides: {
      mfa: {
        factors: ['totp', 'webauthn', 'recovery'],
        encryption_keys: [{ id: 'k1', key: Buffer.alloc(32, 7).toString('base64') }],
      },
      clients: [
        {
          client_id: 'web',
          client_secret: APP_SECRET,
          redirect_uris: [RP_CALLBACK],
          first_party: true,
          mfa: 'required',
        },
        {
          client_id: 'strict',
          client_secret: APP_SECRET,
          redirect_uris: [RP_CALLBACK],
          first_party: true,
          mfa: { policy: 'required', require_phishing_resistant: true },
        },
      ],
    },
  });
  await addUser(tg, 'pat', PASSWORD);
});

afterAll(async () => {
  await browser?.close();
  await tg?.stop();
  await redis?.stop();
  callbackServer?.close();
});

/** A logger that keeps warnings (the cloned-authenticator event) and prints nothing. */
const captureWarnings = () =>
  createLogger('warn', {
    write: (line: string) => void warnings.push(JSON.parse(line) as Record<string, unknown>),
  });

async function snap(page: Page, name: string) {
  shot += 1;
  await page.screenshot({
    path: `${ARTIFACTS}/${String(shot).padStart(2, '0')}-${name}.png`,
    fullPage: true,
  });
}

/** Starts a login at `clientId` in `page`; resolves with the ID token claims once back at the RP. */
async function signIn(page: Page, clientId: string, steps: (page: Page) => Promise<void>, extra = {}) {
  const config = await oidc.discovery(
    new URL(tg?.url as string),
    clientId,
    undefined,
    oidc.ClientSecretBasic(APP_SECRET),
    {
      execute: [oidc.allowInsecureRequests],
    },
  );
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: RP_CALLBACK,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 'st',
    ...extra,
  });
  await page.goto(url.href);
  await steps(page);
  await page.waitForURL(`${RP_CALLBACK}**`);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), {
    pkceCodeVerifier: verifier,
    expectedState: 'st',
  });
  return tokens.claims() as { acr?: string; amr?: string[] };
}

async function password(page: Page) {
  await page.getByLabel('Username').fill('pat');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** A virtual platform authenticator with user verification, on this page's CDP session. */
async function authenticator(page: Page): Promise<{ cdp: CDPSession; id: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, id: authenticatorId };
}

async function launchChromium(): Promise<Browser> {
  accessSync(CHROMIUM, constants.X_OK);
  return chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
}

describe('passkeys in Chromium', () => {
  it('enrols a passkey from the login flow, signs in with it, and refuses a cloned one', async () => {
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const { cdp, id } = await authenticator(page);

    // Enrolment from the login flow: password, choose "Passkey", create it, save recovery codes.
    const enrolled = await signIn(page, 'web', async (p) => {
      await password(p);
      await p.getByRole('heading', { name: 'Set up a second factor' }).waitFor();
      await snap(p, 'choose');
      await p.getByRole('link', { name: 'Passkey' }).click();
      await p.getByRole('heading', { name: 'Add a passkey' }).waitFor();
      await snap(p, 'passkey-enrol');
      await p.getByLabel('Name for this passkey').fill('Test laptop');
      await p.getByRole('button', { name: 'Create passkey' }).click();
      await p.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
      await p.getByLabel('I have saved these codes').check();
      await p.getByRole('button', { name: 'Continue' }).click();
    });
    // A platform passkey with user verification, beside the password: phishing-resistant.
    expect(enrolled.acr).toBe(ACR_PHR);
    expect(enrolled.amr).toEqual(['pwd', 'hwk', 'user', 'mfa']);
    const account = await tg?.tollgate.store.accounts.findByUsername('pat');
    const [stored] =
      (await tg?.tollgate.mfa.credentials.list(account?.id as string))?.filter(
        (c) => c.factor === 'webauthn',
      ) ?? [];
    expect(stored?.label).toBe('Test laptop');
    expect(stored?.data).toMatchObject({
      counter: expect.any(Number),
      device_type: 'singleDevice',
      backed_up: false,
    });
    expect(String(stored?.data.aaguid)).toMatch(/^[0-9a-f-]{36}$/);

    // A later sign-in to the client that requires phishing resistance: password, then the passkey.
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: id });
    const before = credentials[0];
    const again = await signIn(
      page,
      'strict',
      async (p) => {
        await password(p);
        await p.getByRole('heading', { name: 'Use your passkey' }).waitFor();
        await snap(p, 'passkey-challenge');
        await p.getByRole('button', { name: 'Use passkey' }).click();
      },
      { prompt: 'login' },
    );
    expect(again.acr).toBe(ACR_PHR);
    expect(again.amr).toEqual(['pwd', 'hwk', 'user', 'mfa']);

    // A clone: the same key with the old sign counter. The answer is refused and logged.
    if (!before) throw new Error('the virtual authenticator holds no credential');
    await cdp.send('WebAuthn.removeCredential', { authenticatorId: id, credentialId: before.credentialId });
    await cdp.send('WebAuthn.addCredential', {
      authenticatorId: id,
      credential: { ...before, signCount: before.signCount },
    });
    const config = await oidc.discovery(
      new URL(tg?.url as string),
      'strict',
      undefined,
      oidc.ClientSecretBasic(APP_SECRET),
      {
        execute: [oidc.allowInsecureRequests],
      },
    );
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: RP_CALLBACK,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      prompt: 'login',
    });
    await page.goto(url.href);
    await password(page);
    await page.getByRole('button', { name: 'Use passkey' }).click();
    await page.getByText('That passkey answer was refused.').waitFor();
    await snap(page, 'passkey-cloned');
    expect(warnings.some((w) => w.event === 'webauthn.counter_regressed')).toBe(true);
    await context.close();
    // Three Chromium journeys in one test: more than the default 30 s on a loaded machine.
  }, 90_000);
});
