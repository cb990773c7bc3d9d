// Passkeys in a real browser: Debian's Chromium (playwright-core) with the CDP WebAuthn domain's
// virtual authenticator (ctap2, internal, resident key, user verification). openid-client is the
// RP and checks acr/amr in the ID tokens. Pages are saved to test-artifacts/passkeys/.
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.ts';
import { enrolTotp } from '../faults/helpers.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { APP_SECRET, addUser, type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';
import { Authenticator } from '../helpers/totp.ts';

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
  await addUser(tg, 'kim', PASSWORD);
});

afterAll(async () => {
  await browser?.close();
  await tg?.stop();
  await redis?.stop();
  callbackServer?.close();
});

/** A logger that keeps the audit events (the cloned-authenticator warning too) and prints nothing. */
const captureWarnings = () =>
  createLogger('info', {
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

async function password(page: Page, username = 'pat') {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
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

/** Whether the virtual authenticator answers at once (as if touched) or waits. */
async function presence(cdp: CDPSession, authenticatorId: string, enabled: boolean) {
  await cdp.send('WebAuthn.setAutomaticPresenceSimulation', { authenticatorId, enabled });
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
    // The login page also offers the passkey in the username field's autofill, which a virtual
    // authenticator answers at once: held back here, so this sign-in takes the password first.
    await presence(cdp, id, false);
    const again = await signIn(
      page,
      'strict',
      async (p) => {
        await password(p);
        await presence(cdp, id, true);
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
    await presence(cdp, id, false);
    await page.goto(url.href);
    await password(page);
    await presence(cdp, id, true);
    await page.getByRole('button', { name: 'Use passkey' }).click();
    await page.getByText('That passkey answer was refused.').waitFor();
    await snap(page, 'passkey-cloned');
    expect(warnings.some((w) => w.event === 'webauthn.counter_regressed')).toBe(true);
    await context.close();
    // Three Chromium journeys in one test: more than the default 30 s on a loaded machine.
  }, 90_000);
  it('adds a passkey on /account, signs in without a password from the button and from autofill, removes it, then refuses it', async () => {
    browser ??= await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    await authenticator(page);

    // /account: password, then "Add passkey", then the recovery codes that come with a first factor.
    await page.goto(`${tg?.url}/account`);
    await password(page, 'kim');
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.getByRole('button', { name: 'Add passkey' }).click();
    await page.getByRole('heading', { name: 'Add a passkey' }).waitFor();
    await page.getByLabel('Name for this passkey').fill('Kim phone');
    await page.getByRole('button', { name: 'Create passkey' }).click();
    await page.getByRole('heading', { name: 'Save your recovery codes' }).waitFor();
    const codes = await page.locator('ol code').allTextContents();
    expect(codes.length).toBeGreaterThan(0);
    await page.getByLabel('I have saved these codes').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.getByText('Kim phone').first().waitFor();
    await snap(page, 'account-passkey-added');

    // Passwordless from autofill (conditional UI): the page asks quietly on load and the
    // virtual authenticator picks the passkey as a user would from the username field's list;
    // nothing is clicked or typed.
    const autofill = await signIn(page, 'strict', async () => {}, { prompt: 'login' });
    expect(autofill.acr).toBe(ACR_PHR);
    expect(autofill.amr).toEqual(['hwk', 'user', 'mfa']);

    // Passwordless from the button: a discoverable passkey with user verification is two
    // factors, one of them phishing-resistant, for a client that requires MFA.
    // A browser without conditional UI (the autofill above answers at once in this one).
    await page.addInitScript(() => {
      Object.defineProperty(
        (globalThis as unknown as { PublicKeyCredential: object }).PublicKeyCredential,
        'isConditionalMediationAvailable',
        { value: async () => false },
      );
    });
    const button = await signIn(
      page,
      'web',
      async (p) => {
        await p.getByRole('button', { name: 'Sign in with a passkey' }).waitFor();
        expect(await p.getByLabel('Username').getAttribute('autocomplete')).toBe('username webauthn');
        await snap(p, 'login-with-passkey-button');
        await p.getByRole('button', { name: 'Sign in with a passkey' }).click();
      },
      { prompt: 'login' },
    );
    expect(button.acr).toBe(ACR_PHR);
    expect(button.amr).toEqual(['hwk', 'user', 'mfa']);

    // Removal on /account, confirmed with a recovery code; the codes go with the last real factor.
    await page.goto(`${tg?.url}/account`);
    // The passkey's own entry (the recovery codes, added the same second, may be listed first).
    const entry = page.locator('li', { hasText: 'Kim phone' });
    await entry.getByText('Remove', { exact: true }).click();
    await entry.getByLabel('Code from').selectOption({ label: 'Recovery code' });
    await entry.getByLabel('Code', { exact: true }).fill(codes[0] as string);
    await entry.getByRole('button', { name: 'Remove Kim phone' }).click();
    await page.getByText('Kim phone was removed, and so were your recovery codes.').waitFor();
    await snap(page, 'account-passkey-removed');
    const audit = (event: string) => warnings.filter((w) => w.event === event);
    expect(audit('factor.enrolled').some((e) => e.factor === 'webauthn')).toBe(true);
    expect(audit('login.passwordless_ok').filter((e) => e.factor === 'webauthn')).toHaveLength(2);
    expect(audit('login.succeeded').some((e) => e.factor === 'webauthn')).toBe(true);
    expect(audit('factor.removed').at(-1)).toMatchObject({ factor: 'webauthn' });
    const kim = await tg?.tollgate.store.accounts.findByUsername('kim');
    expect(await tg?.tollgate.mfa.credentials.list(kim?.id as string)).toEqual([]);

    // The authenticator still holds the removed passkey: it names no account here any more.
    await page.goto(`${tg?.url}/account`);
    const config = await oidc.discovery(
      new URL(tg?.url as string),
      'web',
      undefined,
      oidc.ClientSecretBasic(APP_SECRET),
      { execute: [oidc.allowInsecureRequests] },
    );
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: RP_CALLBACK,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      prompt: 'login',
    });
    await page.goto(url.href);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByText('This passkey is not registered here.').waitFor();
    await snap(page, 'passkey-unknown');
    await context.close();
  }, 90_000);

  it('removes TOTP on /account confirmed with a passkey; the app is then neither listed nor offered at login', async () => {
    browser ??= await launchChromium();
    const noa = await addUser(tg as RunningTollgate, 'noa', PASSWORD);
    const app = new Authenticator((await enrolTotp(tg as RunningTollgate, noa)).key);
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    const { cdp, id } = await authenticator(page);

    // /account with the password and the app's code, then a passkey beside the app.
    await page.goto(`${tg?.url}/account`);
    await password(page, 'noa');
    await page.getByLabel('Code').fill(await app.code());
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.getByRole('button', { name: 'Add passkey' }).click();
    await page.getByLabel('Name for this passkey').fill('Noa laptop');
    await page.getByRole('button', { name: 'Create passkey' }).click();
    await page.getByLabel('I have saved these codes').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    const { credentials: held } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: id });
    const signCount = held[0]?.signCount ?? 0;

    // Remove the app, confirmed with the passkey: its own page, one touch, no code typed.
    // The app's own entry (every entry's code form names it too, in "Code from").
    const appEntry = 'li:has(> strong:text-is("Authenticator app"))';
    const entry = page.locator(appEntry);
    await entry.getByText('Remove', { exact: true }).click();
    await snap(page, 'account-confirm-offer');
    await entry.getByRole('button', { name: 'Confirm with a passkey' }).click();
    await page.getByRole('heading', { name: 'Confirm with your passkey' }).waitFor();
    await snap(page, 'account-confirm-passkey');
    await page.getByRole('button', { name: 'Remove Authenticator app' }).click();
    await page.getByText('Authenticator app was removed.').waitFor();
    await snap(page, 'account-totp-removed-with-passkey');
    // The assertion ran (the authenticator signed once more) and the app is gone from the page.
    const { credentials: after } = await cdp.send('WebAuthn.getCredentials', { authenticatorId: id });
    expect(after[0]?.signCount).toBeGreaterThan(signCount);
    expect(await page.locator(appEntry).count()).toBe(0);
    expect(await page.getByRole('option', { name: 'Authenticator app' }).count()).toBe(0);
    expect((await tg?.tollgate.mfa.credentials.list(noa.id))?.map((c) => c.factor).sort()).toEqual([
      'recovery',
      'webauthn',
    ]);
    expect(warnings.filter((w) => w.event === 'factor.removed').at(-1)).toMatchObject({ factor: 'totp' });

    // A new login asks for the passkey, and offers the recovery codes but not the app.
    await presence(cdp, id, false);
    const again = await signIn(
      page,
      'web',
      async (p) => {
        await password(p, 'noa');
        await p.getByRole('heading', { name: 'Use your passkey' }).waitFor();
        await snap(p, 'login-after-totp-removed');
        expect(await p.getByRole('link', { name: 'Recovery code' }).count()).toBe(1);
        expect(await p.getByText('Authenticator app').count()).toBe(0);
        await presence(cdp, id, true);
        await p.getByRole('button', { name: 'Use passkey' }).click();
      },
      { prompt: 'login' },
    );
    expect(again.amr).toEqual(['pwd', 'hwk', 'user', 'mfa']);
    await context.close();
  }, 90_000);

  it('a client that requires phishing resistance refuses a TOTP session and steps up to a passkey', async () => {
    browser ??= await launchChromium();
    const lee = await addUser(tg as RunningTollgate, 'lee', PASSWORD);
    const app = new Authenticator((await enrolTotp(tg as RunningTollgate, lee)).key);
    const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
    context.setDefaultTimeout(10_000);
    const page = await context.newPage();
    await authenticator(page);

    const totp = await signIn(page, 'web', async (p) => {
      await password(p, 'lee');
      await p.getByLabel('Code').fill(await app.code());
      await p.getByRole('button', { name: 'Verify' }).click();
    });
    expect(totp.acr).toBe('urn:tollgate:acr:2fa');

    // The same session at the strict client: two factors, none bound to the origin. The user
    // is asked for a passkey (and sets one up, having none), not for the password again.
    const stepped = await signIn(page, 'strict', async (p) => {
      await p.getByRole('heading', { name: 'Add a passkey' }).waitFor();
      await snap(p, 'step-up-passkey');
      await p.getByRole('button', { name: 'Create passkey' }).click();
      // Lee's first factor beyond TOTP brings the recovery codes lee never had.
      await p.getByLabel('I have saved these codes').check();
      await p.getByRole('button', { name: 'Continue' }).click();
    });
    expect(stepped.acr).toBe(ACR_PHR);
    expect(stepped.amr).toEqual(['pwd', 'otp', 'hwk', 'user', 'mfa']);
    await context.close();
  }, 90_000);
});
