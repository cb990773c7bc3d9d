// The audit event stream: real JSON log lines captured from tollgate (and the auth-proxy) while
// real flows run — a real redis-server, a real SMTP server, oathtool for TOTP codes — checked
// for stable event names and for never carrying a password, key or code.
import { randomBytes } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningProxy, startProxy } from '../../examples/auth-proxy/server.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { freePort, type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { startSmtp, type TestSmtpServer } from '../helpers/smtp-server.ts';
import {
  API_SECRET,
  APP_SECRET,
  addUser,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
  TEST_COOKIE_KEY,
} from '../helpers/tollgate.ts';
import { Authenticator } from '../helpers/totp.ts';
import { exchange, keyFromPage, oathtool, password, recoveryCodesFromPage, rp } from '../mfa/helpers.ts';
import {
  COOKIE_SECRET,
  PROXY_SECRET,
  proxyClient,
  rawGet,
  stackConfig,
  startUpstream,
  type Upstream,
} from '../proxy/helpers.ts';

const PASSWORD = 'audit log password 0123';
const WRONG_PASSWORD = 'not the audit password 987';
const SVC_SECRET = 'svc-secret-audit-0123456789abcdef';
const HMAC_KEY = randomBytes(32).toString('base64');
const MFA_KEY = randomBytes(32).toString('base64');

/** Every log line written, raw. */
const lines: string[] = [];
/** Long secrets (substring check on raw lines) and short codes (checked per string value). */
const secrets = new Set<string>([
  PASSWORD,
  WRONG_PASSWORD,
  SVC_SECRET,
  HMAC_KEY,
  MFA_KEY,
  APP_SECRET,
  API_SECRET,
  TEST_COOKIE_KEY,
  PROXY_SECRET,
  COOKIE_SECRET,
]);
const codes = new Set<string>();

function capturingLogger(): Logger {
  let buffer = '';
  return createLogger('info', {
    write(chunk: string) {
      buffer += chunk;
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        lines.push(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
      }
    },
  });
}

const parsed = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
const events = (name: string) => parsed().filter((l) => l.event === name);

let redis: RedisServer;
let smtp: TestSmtpServer;
let tg: RunningTollgate;
let upstream: Upstream;
let proxy: RunningProxy;
let proxyUrl: string;
const logger = capturingLogger();

const app = (client_id: string, mfa: unknown) => ({
  client_id,
  client_secret: APP_SECRET,
  redirect_uris: [RP_CALLBACK],
  first_party: true,
  mfa,
});

beforeAll(async () => {
  redis = await startRedis();
  smtp = await startSmtp();
  const proxyPort = await freePort();
  proxyUrl = `http://127.0.0.1:${proxyPort}`;
  tg = await startTollgate({
    redisUrl: redis.url,
    logger,
    overrides: {
      delivery: {
        email: {
          smtp: {
            host: '127.0.0.1',
            port: smtp.port,
            security: 'none',
            from: 'tollgate <no-reply@example.test>',
            timeout_ms: 2000,
          },
        },
      },
      otp: { hmac_key: HMAC_KEY, resend_cooldown: 30 },
      mfa: {
        factors: ['totp', 'recovery', 'email'],
        encryption_keys: [{ id: 'k1', key: MFA_KEY }],
        regulation: { max_failures: 3, max_attempts_per_challenge: 3 },
      },
      clients: [
        app('mfa-app', { policy: 'required', factors: ['totp'] }),
        app('mail-app', { policy: 'required', factors: ['email'] }),
        { client_id: 'svc', client_secret: SVC_SECRET, grant_types: ['client_credentials'], otp_api: true },
        proxyClient(proxyUrl),
      ],
    },
  });
  upstream = await startUpstream();
  proxy = await startProxy(stackConfig({ port: proxyPort, tg, upstream }), {
    logger,
    websocketCheckMs: 200,
  });
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
  await tg?.stop();
  await smtp?.stop();
  await redis?.stop();
});

/** A TOTP code for a time step not used yet by this key; remembered as a secret. */
function totpCodes(key: string) {
  secrets.add(key);
  const authenticator = new Authenticator(key);
  return async () => {
    const code = await authenticator.code();
    codes.add(code);
    return code;
  };
}

/** A wrong 6-digit code (not any of the valid ones now); remembered as a typed code. */
function wrongCode(key?: string): string {
  const valid = key ? [-1, 0, 1].map((o) => oathtool(key, o)) : [];
  const code = ['000000', '111111', '222222'].find((c) => !valid.includes(c)) as string;
  codes.add(code);
  return code;
}

const codeFromMail = (mail: ParsedMail) => {
  const code = /\b(\d{6})\b/.exec(mail.text ?? '')?.[1] as string;
  codes.add(code);
  return code;
};

/** The shared password step at `clientId`, with this file's password; also returns the RP. */
async function signIn(browser: Browser, clientId: string, username: string, pw = PASSWORD) {
  const config = await rp(tg, clientId);
  return { ...(await password(browser, config, username, { password: pw })), config };
}

function keepRecoveryCodes(page: Page) {
  const recovery = recoveryCodesFromPage(page);
  expect(recovery).toHaveLength(10);
  for (const c of recovery) secrets.add(c);
}

/** Submits the form whose action ends with `actionSuffix`. */
async function post(browser: Browser, page: Page, actionSuffix: string, fields: Record<string, string>) {
  const forms = [...page.body.matchAll(/<form\b[^>]*action="([^"]*)"/g)].map((m) => m[1] as string);
  const index = forms.findIndex((a) => a.endsWith(actionSuffix));
  if (index < 0) throw new Error(`no form posting to ${actionSuffix} in:\n${page.body.slice(0, 600)}`);
  return browser.submit(page, fields, undefined, index);
}

describe('audit event stream', () => {
  it('logs login.failed for a wrong password, without the password', async () => {
    await addUser(tg, 'ava', PASSWORD);
    const { page } = await signIn(new Browser(), 'mfa-app', 'ava', WRONG_PASSWORD);
    expect(page.body).toContain('name="password"');
    const failed = events('login.failed');
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed.at(-1)).toMatchObject({ username: 'ava', level: 30 });
  });

  it('logs factor.enrolled, mfa.failed and login.succeeded through TOTP enrolment and login', async () => {
    await addUser(tg, 'ben', PASSWORD);
    const first = new Browser();
    const { page: enrol, verifier, config } = await signIn(first, 'mfa-app', 'ben');
    const key = keyFromPage(enrol);
    const code = totpCodes(key);
    const codesPage = await first.submit(enrol, { code: await code() }, RP_CALLBACK);
    keepRecoveryCodes(codesPage);
    const done = await first.submit(codesPage, { confirm: '1' }, RP_CALLBACK);
    await exchange(config, done, verifier);
    expect(events('factor.enrolled').some((e) => e.factor === 'totp')).toBe(true);
    const succeededBefore = events('login.succeeded').length;

    const second = new Browser();
    const { page: challenge, verifier: v2 } = await signIn(second, 'mfa-app', 'ben');
    expect(challenge.body).toContain('name="code"');
    const refused = await second.submit(challenge, { code: wrongCode(key) }, RP_CALLBACK);
    expect(refused.body).toContain('name="code"');
    const ok = await second.submit(refused, { code: await code() }, RP_CALLBACK);
    const { claims } = await exchange(config, ok, v2);
    expect(claims.acr).toBe('urn:tollgate:acr:2fa');

    expect(events('mfa.failed').at(-1)).toMatchObject({ factor: 'totp', failures: 1 });
    expect(events('login.succeeded').length).toBe(succeededBefore + 1);
    expect(events('login.succeeded').at(-1)).toMatchObject({ client: 'mfa-app', factor: 'totp' });
  });

  it('logs mfa.challenge_sent for an email code login', async () => {
    await addUser(tg, 'cleo', PASSWORD, { email: 'cleo@example.test' });
    const browser = new Browser();
    const { page: enrol, verifier, config } = await signIn(browser, 'mail-app', 'cleo');
    const confirm = await browser.submit(enrol, { address: 'cleo@example.test' }, RP_CALLBACK);
    const enrolMail = await smtp.waitForMessage();
    const codesPage = await browser.submit(confirm, { code: codeFromMail(enrolMail) }, RP_CALLBACK);
    keepRecoveryCodes(codesPage);
    await exchange(config, await browser.submit(codesPage, { confirm: '1' }, RP_CALLBACK), verifier);
    const sentBefore = events('mfa.challenge_sent').length;

    const second = new Browser();
    const { page: challenge, verifier: v2 } = await signIn(second, 'mail-app', 'cleo');
    const mail = await smtp.waitForMessage();
    const ok = await second.submit(challenge, { code: codeFromMail(mail) }, RP_CALLBACK);
    expect((await exchange(config, ok, v2)).claims.amr).toEqual(['pwd', 'email', 'mfa']);
    expect(events('mfa.challenge_sent').length).toBeGreaterThan(sentBefore);
    expect(events('mfa.challenge_sent').at(-1)).toMatchObject({ factor: 'email' });
  });

  it('logs lockout after too many wrong second-factor codes', async () => {
    await addUser(tg, 'dan', PASSWORD);
    const first = new Browser();
    const { page: enrol, verifier, config } = await signIn(first, 'mfa-app', 'dan');
    const key = keyFromPage(enrol);
    const code = totpCodes(key);
    const codesPage = await first.submit(enrol, { code: await code() }, RP_CALLBACK);
    keepRecoveryCodes(codesPage);
    await exchange(config, await first.submit(codesPage, { confirm: '1' }, RP_CALLBACK), verifier);
    const account = (await tg.tollgate.store.accounts.findByUsername('dan'))?.id;

    const second = new Browser();
    let { page } = await signIn(second, 'mfa-app', 'dan');
    for (let i = 0; i < 3 && page.body.includes('name="code"'); i++) {
      page = await second.submit(page, { code: wrongCode(key) }, RP_CALLBACK);
    }
    const lockouts = events('lockout').filter((e) => e.account === account);
    expect(lockouts).toHaveLength(1);
    expect(lockouts[0]).toMatchObject({ level: 40 });
    expect(typeof lockouts[0]?.until).toBe('string');
  });

  it('logs factor.enrolled and factor.removed on the account page', async () => {
    await addUser(tg, 'eve', PASSWORD);
    const browser = new Browser();
    const login = await browser.get(`${tg.url}/account`);
    const home = await browser.submit(login, { username: 'eve', password: PASSWORD });
    expect(home.url).toBe(`${tg.url}/account`);
    const enrol = await post(browser, home, '/account/enrol/totp/start', {});
    const key = keyFromPage(enrol);
    const code = totpCodes(key);
    const codesPage = await browser.submit(enrol, { code: await code() });
    keepRecoveryCodes(codesPage);
    const done = await browser.submit(codesPage, { confirm: '1' });
    const account = (await tg.tollgate.store.accounts.findByUsername('eve'))?.id;
    expect(events('factor.enrolled').some((e) => e.account === account && e.factor === 'totp')).toBe(true);

    const item =
      done.body.split('<li>').find((li) => li.includes('<strong>Authenticator app</strong>')) ?? '';
    const totpId = /action="\/account\/factors\/([^/]+)\/remove"/.exec(item)?.[1] as string;
    const removed = await post(browser, done, `/account/factors/${totpId}/remove`, {
      verify_with: 'totp',
      code: await code(),
    });
    expect(removed.body).toContain('was removed');
    expect(events('factor.removed').some((e) => e.account === account && e.factor === 'totp')).toBe(true);
  });

  it('logs otp.issued and otp.verified for the OTP API', async () => {
    const auth = `Basic ${Buffer.from(`svc:${SVC_SECRET}`).toString('base64')}`;
    const call = (path: string, body: unknown) =>
      fetch(`${tg.url}${path}`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const issued = await call('/api/otp', { to: 'sam@example.test', channel: 'email', external_id: 'o-1' });
    expect(issued.status).toBe(201);
    const otp = (await issued.json()) as { id: string };
    const mail = await smtp.waitForMessage();
    const right = await call(`/api/otp/${otp.id}/verify`, { code: codeFromMail(mail) });
    expect(await right.json()).toMatchObject({ status: 'approved' });
    expect(events('otp.issued').at(-1)).toMatchObject({ id: otp.id, client_id: 'svc' });
    expect(events('otp.verified').at(-1)).toMatchObject({ id: otp.id });
  });

  it('the auth-proxy logs proxy.denied for a request it refuses', async () => {
    const res = await rawGet(`${proxyUrl}/api/things`);
    expect(res.status).toBe(401);
    expect(events('proxy.denied').at(-1)).toMatchObject({
      reason: 'login',
      via: 'reverse-proxy',
      path: '/api/things',
    });
  });

  it('writes only JSON lines with level and time, string event names, and no secret or code', () => {
    expect(lines.length).toBeGreaterThan(10);
    for (const line of lines) {
      const entry = JSON.parse(line) as Record<string, unknown>;
      expect(typeof entry.level, line).toBe('number');
      expect(typeof entry.time, line).toBe('number');
      if ('event' in entry) expect(entry.event, line).toMatch(/^[a-z_]+(\.[a-z_]+)*$/);
    }
    const names = new Set(parsed().map((e) => e.event));
    for (const name of [
      'login.failed',
      'login.succeeded',
      'mfa.challenge_sent',
      'mfa.failed',
      'factor.enrolled',
      'factor.removed',
      'lockout',
      'otp.issued',
      'otp.verified',
      'proxy.denied',
    ]) {
      expect(names, name).toContain(name);
    }

    expect(secrets.size).toBeGreaterThan(40);
    expect(codes.size).toBeGreaterThan(5);
    for (const secret of secrets) {
      for (const line of lines) expect(line.includes(secret), `${secret} in ${line}`).toBe(false);
    }
    // Short numeric codes: not inside any logged string value (as a whole digit run), nor as a number.
    const leaves = (v: unknown): unknown[] =>
      v && typeof v === 'object' ? Object.values(v).flatMap(leaves) : [v];
    for (const entry of parsed()) {
      for (const leaf of leaves(entry)) {
        for (const code of codes) {
          if (typeof leaf === 'string')
            expect(new RegExp(`(^|\\D)${code}(\\D|$)`).test(leaf), `${code} in ${leaf}`).toBe(false);
          else expect(String(leaf), JSON.stringify(entry)).not.toBe(code);
        }
      }
    }
  });
});
