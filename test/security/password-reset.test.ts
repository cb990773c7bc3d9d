// Issue 13.3: "Forgot password?" by verified email, end to end on a real redis-server and a real
// SMTP server (the code is read from the message it received): request -> email -> new password
// -> the second factor is still asked at a client with `mfa: required` -> the old sessions are
// ended (refresh token refused, back-channel logout received) -> the old password is refused
// and the new one accepted, with the password lockout of the name lifted. Any other name
// (unknown, unverified address, disabled) gets the same page and no email; wrong codes are
// capped per code; requests are limited per address and per client IP.

import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { ParsedMail } from 'mailparser';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOGIN_FAILED } from '../../interactions/login.ts';
import { normalizeUsername } from '../../src/accounts/types.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { enrolTotp } from '../faults/helpers.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { startSmtp, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { APP_SECRET, RP_CALLBACK, type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';
import { Authenticator } from '../helpers/totp.ts';
import { authorize, exchange, rp } from '../mfa/helpers.ts';

const PASSWORD = 'the old password 0123';
const NEW_PASSWORD = 'a brand new password 4567';
const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const CODE_PAGE = 'If the account has a verified email address, we sent a code to it.';
const PER_ADDRESS = 3;
const PER_IP = 6;

/** A browser whose requests come from `ip` (tollgate trusts loopback's X-Forwarded-For here). */
class BrowserAt extends Browser {
  readonly ip: string;
  constructor(ip: string) {
    super();
    this.ip = ip;
  }
  override request(url: string, init: Parameters<Browser['request']>[1] = {}): Promise<Page> {
    return super.request(url, { ...init, headers: { ...init.headers, 'x-forwarded-for': this.ip } });
  }
}
let nextIp = 1;
/** A browser from an address no other test uses, so per-IP limits stay apart. */
const freshBrowser = () => new BrowserAt(`203.0.113.${nextIp++}`);

/** Every log line written, raw. */
const lines: string[] = [];
function capturingLogger(): Logger {
  let buffer = '';
  return createLogger('info', {
    write(chunk: string) {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        lines.push(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
      }
    },
  });
}
const events = (name: string) =>
  lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === name);

let redis: RedisServer;
let smtp: TestSmtpServer;
let tg: RunningTollgate;
let receiver: Server;
/** Logout tokens the `app` client's back-channel endpoint received. */
const logoutTokens: string[] = [];
let app: oidc.Configuration;
let mfaApp: oidc.Configuration;

const client = (client_id: string, mfa: unknown, extra: Record<string, unknown> = {}) => ({
  client_id,
  client_name: client_id === 'mfa-app' ? 'Strict App' : 'Easy App',
  client_secret: APP_SECRET,
  redirect_uris: [RP_CALLBACK],
  first_party: true,
  mfa,
  ...extra,
});

beforeAll(async () => {
  redis = await startRedis();
  smtp = await startSmtp();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (token) logoutTokens.push(token);
      res.writeHead(200).end();
    });
  }).listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const backchannel = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/backchannel`;
  tg = await startTollgate({
    redisUrl: redis.url,
    logger: capturingLogger(),
    overrides: {
      proxy: true,
      trusted_proxies: ['127.0.0.1'],
      // No `otp` section: an email transport alone turns the reset on (its key then derives
      // from the cookie key).
      delivery: {
        email: {
          smtp: {
            host: '127.0.0.1',
            port: smtp.port,
            security: 'none',
            from: 'tollgate <no-reply@example.test>',
            timeout_ms: 5000,
          },
        },
      },
      accounts: { password_reset: { per_address: PER_ADDRESS, per_ip: PER_IP } },
      mfa: {
        factors: ['totp', 'recovery'],
        encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
      },
      clients: [client('app', 'off', { backchannel_logout_uri: backchannel }), client('mfa-app', 'required')],
    },
  });
  [app, mfaApp] = await Promise.all([rp(tg, 'app'), rp(tg, 'mfa-app')]);
});

afterAll(async () => {
  await tg?.stop();
  await smtp?.stop();
  receiver?.close();
  await redis?.stop();
});

/** An account straight in the store, with its address verified unless told otherwise. */
async function addAccount(username: string, opts: { verified?: boolean; disabled?: boolean } = {}) {
  return tg.tollgate.store.accounts.create({
    username,
    email: `${username}@example.test`,
    email_verified: opts.verified ?? true,
    disabled: opts.disabled ?? false,
    password_hash: await tg.tollgate.hasher.hash(PASSWORD),
  });
}

/** Opens the login page at `config`, follows "Forgot password?" and asks for `username`'s code. */
async function askForReset(browser: Browser, config: oidc.Configuration, username: string) {
  const { page: login, verifier } = await authorize(browser, config);
  expect(login.body).toContain('name="password"');
  const link = /<a href="([^"]+)">Forgot password\?<\/a>/.exec(login.body)?.[1];
  if (!link) throw new Error(`no "Forgot password?" link:\n${login.body.slice(0, 800)}`);
  const form = await browser.get(new URL(link, login.url).href);
  expect(form.status).toBe(200);
  expect(form.body).toContain('Reset your password');
  const answer = await browser.submit(form, { username }, RP_CALLBACK);
  return { form, answer, verifier };
}

/** The code in a reset email: the only run of 8 digits in its text. */
function codeOf(mail: ParsedMail): string {
  const code = /\b(\d{8})\b/.exec(mail.text ?? '')?.[1];
  if (!code) throw new Error(`no code in the message:\n${mail.text}`);
  return code;
}

const recipient = (mail: ParsedMail) => (Array.isArray(mail.to) ? mail.to[0] : mail.to)?.text;

/** A URL or page without this interaction's ids (uid, CSRF token): what could tell two answers apart. */
const withoutIds = (text: string) =>
  text.replace(/\/interaction\/[\w-]+/g, '/interaction/UID').replace(/value="[^"]{20,}"/g, 'value="X"');
const comparable = (page: Page) => withoutIds(page.body);

describe('password reset by verified email', () => {
  it('sends a code, sets the new password, still asks for the second factor and ends the old sessions', async () => {
    const account = await addAccount('rita');
    const { key } = await enrolTotp(tg, account);
    const authenticator = new Authenticator(key);

    // Signed in elsewhere, at a client with a back-channel logout.
    const elsewhere = freshBrowser();
    const signIn = await authorize(elsewhere, app);
    const signedIn = await elsewhere.submit(
      signIn.page,
      { username: 'rita', password: PASSWORD },
      RP_CALLBACK,
    );
    const { tokens, claims } = await exchange(app, signedIn, signIn.verifier);
    expect(tokens.refresh_token).toBeTruthy();
    const logoutsBefore = logoutTokens.length;
    // Guessed at until locked: the reset lifts the lockout of the name.
    for (let i = 0; i < 10; i++)
      await tg.tollgate.mfa.passwordRegulation.fail(normalizeUsername('rita'), '192.0.2.9');
    const locked = freshBrowser();
    const lockedPage = await locked.submit(
      (await authorize(locked, app)).page,
      { username: 'rita', password: PASSWORD },
      RP_CALLBACK,
    );
    expect(lockedPage.status).toBe(429);

    const browser = freshBrowser();
    const { answer, verifier } = await askForReset(browser, mfaApp, 'rita');
    expect(answer.status).toBe(200);
    expect(answer.body).toContain(CODE_PAGE);
    expect(answer.headers.get('cache-control')).toBe('no-store');

    const mail = await smtp.waitForMessage();
    expect(recipient(mail)).toBe('rita@example.test');
    expect(mail.subject).toBe('Reset your password for Strict App');
    const code = codeOf(mail);
    expect(mail.html).toContain(code);

    const choose = await browser.submit(answer, { code }, RP_CALLBACK);
    expect(choose.body).toContain('Choose a new password');
    const next = await browser.submit(choose, { password: NEW_PASSWORD, confirm: NEW_PASSWORD }, RP_CALLBACK);
    // Not signed in yet: the client requires a second factor, and the login asks for it.
    expect(next.url.startsWith(RP_CALLBACK)).toBe(false);
    expect(next.body).toContain('name="code"');
    expect(next.body).not.toContain('name="password"');
    expect(next.body).toContain('Verify it is you');

    // The other session ended at once: its refresh token is refused and its client was told.
    await expect(oidc.refreshTokenGrant(app, tokens.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    expect(logoutTokens.length).toBe(logoutsBefore + 1);
    const { payload } = await jwtVerify(
      logoutTokens.at(-1) as string,
      createRemoteJWKSet(new URL(`${tg.url}/jwks`)),
      {
        issuer: tg.url,
        audience: 'app',
      },
    );
    expect(payload).toMatchObject({ sub: account.id, sid: claims.sid, events: { [BACKCHANNEL_EVENT]: {} } });

    const done = await browser.submit(next, { code: await authenticator.code() }, RP_CALLBACK);
    const signedInAfter = await exchange(mfaApp, done, verifier);
    expect(signedInAfter.claims.sub).toBe(account.id);
    expect(signedInAfter.claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));

    // The code works only in the login interaction that asked for it.
    expect(
      await tg.tollgate.passwordReset?.verify({ flowId: 'another', ip: '192.0.2.1', clientId: 'app' }, code),
    ).toEqual({
      outcome: 'none',
    });

    // The old password is refused; the new one signs in, the lockout lifted.
    const later = freshBrowser();
    const old = await later.submit(
      (await authorize(later, app)).page,
      { username: 'rita', password: PASSWORD },
      RP_CALLBACK,
    );
    expect(old.status).toBe(401);
    expect(old.body).toContain(LOGIN_FAILED);
    const fresh = await authorize(later, app);
    const ok = await later.submit(fresh.page, { username: 'rita', password: NEW_PASSWORD }, RP_CALLBACK);
    expect((await exchange(app, ok, fresh.verifier)).claims.sub).toBe(account.id);

    // Audit: requested and reset, never the code, a password or the address in clear.
    expect(events('password.reset_requested').at(-1)).toMatchObject({
      account: account.id,
      username: 'rita',
      reason: 'sent',
      to: 'r***@example.test',
    });
    expect(events('password.reset').at(-1)).toMatchObject({
      account: account.id,
      client: 'mfa-app',
      sessions: 1,
      backchannel: [{ client: 'app', ok: true }],
    });
    for (const line of lines) {
      expect(line).not.toContain(code);
      expect(line).not.toContain(NEW_PASSWORD);
      expect(line).not.toContain(PASSWORD);
      expect(line).not.toContain('rita@example.test');
    }
  });

  it('answers an unknown name, an unverified address and a disabled account like a real one, and mails none of them', async () => {
    await addAccount('una', { verified: false });
    await addAccount('dora', { disabled: true });
    await addAccount('vera');
    const received = smtp.messages.length;

    const decoys: { browser: Browser; answer: Page }[] = [];
    for (const name of ['nobody-here', 'una', 'dora']) {
      const browser = freshBrowser();
      decoys.push({ browser, answer: (await askForReset(browser, mfaApp, name)).answer });
    }
    const real = freshBrowser();
    const { answer: realAnswer } = await askForReset(real, mfaApp, 'vera');
    // Nothing was sent for the three: the real name's code, asked for after them, is the next
    // message the SMTP server received, and the only one.
    const mail = await smtp.waitForMessage();
    expect(recipient(mail)).toBe('vera@example.test');
    expect(smtp.messages.length).toBe(received + 1);

    for (const { answer } of decoys) {
      expect(answer.status).toBe(realAnswer.status);
      expect(withoutIds(answer.url)).toBe(withoutIds(realAnswer.url));
      expect(comparable(answer)).toBe(comparable(realAnswer));
    }
    // A wrong code reads the same at every one of them, attempts included.
    const wrong = codeOf(mail) === '00000000' ? '11111111' : '00000000';
    const atReal = await real.submit(realAnswer, { code: wrong }, RP_CALLBACK);
    expect(atReal.status).toBe(401);
    expect(atReal.body).toContain('That code is not correct. 4 attempts left.');
    for (const { browser, answer } of decoys) {
      const atDecoy = await browser.submit(answer, { code: wrong }, RP_CALLBACK);
      expect(atDecoy.status).toBe(401);
      expect(comparable(atDecoy)).toBe(comparable(atReal));
    }

    // The audit log keeps what the pages do not say.
    expect(events('password.reset_requested').map((e) => [e.username, e.reason])).toEqual(
      expect.arrayContaining([
        ['nobody-here', 'unknown_user'],
        ['una', 'no_verified_email'],
        ['dora', 'disabled'],
        ['vera', 'sent'],
      ]),
    );
  });
});
