// Live state for the fuzzers to aim at: interactions parked at each step of the login pipeline
// (password, consent, second factor, enrolment, step-up), signed-in account pages, and tokens.
// Without these, every malformed request would stop at the cookie check.
import * as oidc from 'openid-client';
import { Secret, TOTP } from 'otpauth';
import type { Account } from '../../src/accounts/types.ts';
import type { Factor, FactorRequest } from '../../src/factors/types.ts';
import { Browser, type Page, parseForm } from '../helpers/browser.ts';
import { API_SECRET, APP_SECRET, addUser, RP_CALLBACK, type RunningTollgate } from '../helpers/tollgate.ts';

export const PASSWORD = 'fuzzing password 1';

/** An interaction parked at one step, with what its browser holds. */
export interface Stage {
  kind: 'login' | 'consent' | 'enrol' | 'mfa' | 'step-up';
  uid: string;
  csrf: string;
  /** The browser's cookies, to pick from by path with {@link cookiesFor}. */
  cookies: JarCookie[];
  username: string;
}

/** A signed-in browser on the account page. */
export interface AccountStage {
  cookies: JarCookie[];
  csrf: string;
  credentialIds: string[];
  username: string;
}

/** One cookie of a browser's jar. */
export interface JarCookie {
  name: string;
  value: string;
  path: string;
}

const jar = (browser: Browser): JarCookie[] =>
  browser.cookies.map(({ name, value, path }) => ({ name, value, path }));

/**
 * The Cookie header a browser sends to `path` (cookies scoped to it, longest path first, as
 * browsers order them); with `all`, every cookie of the jar, whatever its path.
 */
export function cookiesFor(cookies: JarCookie[], path: string, all = false): string {
  return cookies
    .filter((c) => all || path.startsWith(c.path))
    .sort((a, b) => b.path.length - a.path.length)
    .map((c) => `${c.name}=${c.value}`)
    .join('; ');
}
const uidOf = (page: Page) => /\/interaction\/([^/?#]+)/.exec(page.url)?.[1];

const configs = new Map<string, oidc.Configuration>();

async function rp(tg: RunningTollgate, clientId: string, secret = APP_SECRET): Promise<oidc.Configuration> {
  const key = `${tg.url} ${clientId}`;
  let config = configs.get(key);
  if (!config) {
    config = await oidc.discovery(new URL(tg.url), clientId, undefined, oidc.ClientSecretBasic(secret), {
      execute: [oidc.allowInsecureRequests],
    });
    configs.set(key, config);
  }
  return config;
}

/** Starts an authorization request (openid-client builds it) and follows it to the first page. */
async function authorize(
  tg: RunningTollgate,
  browser: Browser,
  clientId: string,
  extra: Record<string, string> = {},
) {
  const config = await rp(tg, clientId);
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: RP_CALLBACK,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 'st',
    ...extra,
  });
  return { config, verifier, page: await browser.get(url.href, RP_CALLBACK) };
}

function stage(kind: Stage['kind'], browser: Browser, page: Page, username: string): Stage {
  const uid = uidOf(page);
  if (!uid || page.status >= 400) {
    throw new Error(
      `${kind}: not on an interaction page: ${page.status} ${page.url}\n${page.body.slice(0, 300)}`,
    );
  }
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  return { kind, uid, csrf, cookies: jar(browser), username };
}

/** The current code of a TOTP key (base32). */
export const totpCode = (base32: string, offset = 0) =>
  new TOTP({ secret: Secret.fromBase32(base32) }).generate({ timestamp: Date.now() + offset * 30_000 });

/**
 * A user with every factor: TOTP (enrolled through the factor's own API), recovery codes, an
 * email address and a phone number. Returns the TOTP key for signing in.
 */
export async function userWithFactors(tg: RunningTollgate, username: string) {
  const account = await addUser(tg, username, PASSWORD, { email: `${username}@example.test` });
  const { mfa } = tg.tollgate;
  const { password_hash: _omit, ...plain } = account as Account & { password_hash?: string };
  const request = (): FactorRequest => ({
    account: plain,
    clientId: 'mfa-app',
    flowId: `setup-${username}`,
    ip: '127.0.0.1',
    state: {},
  });
  const totp = mfa.factors.get('totp') as Factor;
  const req = request();
  const view = await totp.startEnrolment(req);
  const key = String(view.data.secret).replace(/\s+/g, '');
  const done = await totp.finishEnrolment(req, { code: totpCode(key) });
  if (done.outcome !== 'enrolled') throw new Error(`TOTP enrolment failed: ${done.outcome}`);
  await (mfa.factors.get('recovery') as Factor).startEnrolment(request());
  await mfa.credentials.create({
    account_id: account.id,
    factor: 'email',
    data: { address: `${username}@example.test` },
  });
  await mfa.credentials.create({ account_id: account.id, factor: 'sms', data: { address: '+15551234567' } });
  return { key, accountId: account.id };
}

/** Password step in a fresh browser; returns the page after it. */
async function afterPassword(tg: RunningTollgate, clientId: string, username: string) {
  const browser = new Browser();
  const { page } = await authorize(tg, browser, clientId);
  const next = await browser.submit(page, { username, password: PASSWORD }, RP_CALLBACK);
  return { browser, page: next };
}

/** One interaction at each step of the pipeline, plus account pages; `n` makes usernames unique. */
export async function buildStages(tg: RunningTollgate, n: number) {
  const plain = `plain-${n}`;
  const strong = `strong-${n}`;
  await addUser(tg, plain, PASSWORD);
  const { key } = await userWithFactors(tg, strong);

  const stages: Stage[] = [];
  const loginBrowser = new Browser();
  stages.push(stage('login', loginBrowser, (await authorize(tg, loginBrowser, 'app')).page, plain));
  const mfaLoginBrowser = new Browser();
  stages.push(
    stage('login', mfaLoginBrowser, (await authorize(tg, mfaLoginBrowser, 'mfa-app')).page, strong),
  );

  const consent = await afterPassword(tg, 'third-party', plain);
  stages.push(stage('consent', consent.browser, consent.page, plain));
  const enrol = await afterPassword(tg, 'mfa-app', plain);
  stages.push(stage('enrol', enrol.browser, enrol.page, plain));
  const challenge = await afterPassword(tg, 'mfa-app', strong);
  stages.push(stage('mfa', challenge.browser, challenge.page, strong));

  // A one-factor session at `app`, then `mfa-app` asks for the second factor only (step-up).
  const up = await afterPassword(tg, 'app', strong);
  const stepUp = await authorize(tg, up.browser, 'mfa-app');
  stages.push(stage('step-up', up.browser, stepUp.page, strong));

  // Account pages: a one-factor user (no factor: the page opens) and a two-factor session.
  const accounts: AccountStage[] = [];
  const plainSession = await afterPassword(tg, 'app', plain);
  accounts.push(await accountStage(tg, plainSession.browser, plain));
  const full = await afterPassword(tg, 'mfa-app', strong);
  // The enrolment used the current step's code, which is refused from now on: take the next one.
  const signedIn = await full.browser.submit(full.page, { code: totpCode(key, 1) }, RP_CALLBACK);
  if (!signedIn.url.startsWith(RP_CALLBACK))
    throw new Error(`TOTP sign-in failed: ${signedIn.body.slice(0, 300)}`);
  accounts.push(await accountStage(tg, full.browser, strong));
  return { stages, accounts };
}

async function accountStage(tg: RunningTollgate, browser: Browser, username: string): Promise<AccountStage> {
  const page = await browser.get(`${tg.url}/account`);
  if (page.status !== 200) throw new Error(`account page: ${page.status} ${page.body.slice(0, 300)}`);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const account = await tg.tollgate.store.accounts.findByUsername(username);
  const credentialIds = (await tg.tollgate.mfa.credentials.list(account?.id ?? '')).map((c) => c.id);
  return { cookies: jar(browser), csrf, credentialIds, username };
}

/** Tokens of a real sign-in at `app` (access, refresh, ID token) and of the `api` client. */
export async function issueTokens(tg: RunningTollgate, username: string) {
  const browser = new Browser();
  const { config, verifier, page } = await authorize(tg, browser, 'app');
  const done = await browser.submit(page, { username, password: PASSWORD }, RP_CALLBACK);
  const tokens = await oidc.authorizationCodeGrant(config, new URL(done.url), {
    pkceCodeVerifier: verifier,
    expectedState: 'st',
  });
  const api = await rp(tg, 'api', API_SECRET);
  const cc = await oidc.clientCredentialsGrant(api);
  // The logout confirmation form of this session (its hidden xsrf field).
  const logout = await browser.get(`${tg.url}/session/end?client_id=app`);
  const xsrf = parseForm(logout.body).fields.xsrf ?? '';
  return {
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token ?? '',
    idToken: tokens.id_token ?? '',
    apiToken: cc.access_token,
    sessionCookie: cookiesFor(jar(browser), '/'),
    xsrf,
  };
}
