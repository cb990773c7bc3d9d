// Issue 13.3, the password reset's limits, on a real redis-server and a real SMTP server that
// takes 2 s to greet: the answer never waits for the email (a real name is answered as fast as
// an unknown one, well before its email is through); wrong codes are capped per code; a code
// expires after `ttl`; requests are limited per address (per name when there is none, so an
// unknown name is limited alike) and per client IP; bad input gets a clear page, never a 500.
import { randomBytes } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPasswordReset } from '../../src/accounts/password-reset.ts';
import { createSmtpDelivery } from '../../src/delivery/smtp.ts';
import { createLogger } from '../../src/log.ts';
import { Browser, type Page, parseForm } from '../helpers/browser.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { startSmtp, type TestSmtpServer } from '../helpers/smtp-server.ts';
import { APP_SECRET, RP_CALLBACK, type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';
import { authorize, rp } from '../mfa/helpers.ts';

const PASSWORD = 'the old password 0123';
const SMTP_DELAY_MS = 2000;
const PER_ADDRESS = 3;
const PER_IP = 6;
const LIMITED = 'Too many password resets were asked for.';
const HMAC_KEY = randomBytes(32).toString('base64');

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
const freshBrowser = () => new BrowserAt(`198.51.100.${nextIp++}`);

let redis: RedisServer;
let smtp: TestSmtpServer;
let tg: RunningTollgate;
let app: oidc.Configuration;

const smtpConfig = () => ({
  host: '127.0.0.1',
  port: smtp.port,
  security: 'none' as const,
  from: 'tollgate <no-reply@example.test>',
  timeout_ms: 10_000,
  allow_invalid_certificates: false,
});

beforeAll(async () => {
  redis = await startRedis();
  smtp = await startSmtp({ delayMs: SMTP_DELAY_MS });
  tg = await startTollgate({
    redisUrl: redis.url,
    overrides: {
      proxy: true,
      trusted_proxies: ['127.0.0.1'],
      delivery: { email: { smtp: smtpConfig() } },
      otp: { hmac_key: HMAC_KEY },
      accounts: { password_reset: { per_address: PER_ADDRESS, per_ip: PER_IP } },
      clients: [
        {
          client_id: 'app',
          client_name: 'Test App',
          client_secret: APP_SECRET,
          redirect_uris: [RP_CALLBACK],
          first_party: true,
        },
      ],
    },
  });
  app = await rp(tg, 'app');
});

afterAll(async () => {
  await tg?.stop();
  await smtp?.stop();
  await redis?.stop();
});

async function addAccount(username: string) {
  return tg.tollgate.store.accounts.create({
    username,
    email: `${username}@example.test`,
    email_verified: true,
    password_hash: await tg.tollgate.hasher.hash(PASSWORD),
  });
}

/** The reset form of a new login interaction in `browser`. */
async function resetForm(browser: Browser): Promise<Page> {
  const { page } = await authorize(browser, app);
  const link = /<a href="([^"]+)">Forgot password\?<\/a>/.exec(page.body)?.[1];
  if (!link) throw new Error(`no "Forgot password?" link:\n${page.body.slice(0, 800)}`);
  return browser.get(new URL(link, page.url).href);
}

/** Asks for `username`'s code in a new interaction; the answer and how long it took. */
async function ask(browser: Browser, username: string) {
  const form = await resetForm(browser);
  const started = performance.now();
  const answer = await browser.request(new URL(parseForm(form.body).action, form.url).href, {
    form: { ...parseForm(form.body).fields, username },
  });
  const ms = performance.now() - started;
  return { ms, answer: await browser.follow(answer, RP_CALLBACK) };
}

const codeOf = (mail: ParsedMail) => /\b(\d{8})\b/.exec(mail.text ?? '')?.[1] as string;
const recipient = (mail: ParsedMail) => (Array.isArray(mail.to) ? mail.to[0] : mail.to)?.text;
const withoutIds = (text: string) =>
  text.replace(/\/interaction\/[\w-]+/g, '/interaction/UID').replace(/value="[^"]{20,}"/g, 'value="X"');
/** The next `n` messages, in any order (their sends ran side by side). */
async function nextMessages(n: number): Promise<ParsedMail[]> {
  const out: ParsedMail[] = [];
  for (let i = 0; i < n; i++) out.push(await smtp.waitForMessage(SMTP_DELAY_MS * 5));
  return out;
}

describe('the answer does not wait for the email', () => {
  it('answers a real name long before its email is through, like an unknown one', async () => {
    await addAccount('tim');
    const unknown = await ask(freshBrowser(), 'nobody-tim');
    const real = await ask(freshBrowser(), 'tim');
    expect(real.answer.status).toBe(unknown.answer.status);
    expect(withoutIds(real.answer.body)).toBe(withoutIds(unknown.answer.body));
    // Had the answer waited for the relay, it would have taken its 2 s greeting at least.
    expect(real.ms).toBeLessThan(SMTP_DELAY_MS / 2);
    expect(unknown.ms).toBeLessThan(SMTP_DELAY_MS / 2);
    const [mail] = await nextMessages(1);
    expect(recipient(mail as ParsedMail)).toBe('tim@example.test');
  });
});

describe('wrong codes', () => {
  it('closes a code after 5 wrong ones: the right one then opens nothing', async () => {
    const account = await addAccount('wes');
    const browser = freshBrowser();
    const { answer } = await ask(browser, 'wes');
    const code = codeOf((await nextMessages(1))[0] as ParsedMail);
    const wrong = code === '00000000' ? '11111111' : '00000000';
    // Not a code at all: said so, and no attempt is spent.
    const malformed = await browser.submit(answer, { code: 'abc' }, RP_CALLBACK);
    expect(malformed.status).toBe(400);
    expect(malformed.body).toContain('digits only');
    let page = answer;
    for (let left = 4; left >= 1; left--) {
      page = await browser.submit(page, { code: wrong }, RP_CALLBACK);
      expect(page.status).toBe(401);
      expect(page.body).toContain(`That code is not correct. ${left} attempt${left === 1 ? '' : 's'} left.`);
    }
    const closed = await browser.submit(page, { code: wrong }, RP_CALLBACK);
    expect(closed.status).toBe(429);
    expect(closed.body).toContain('Too many wrong codes');
    const right = await browser.submit(page, { code }, RP_CALLBACK);
    expect(right.status).toBe(429);
    expect(right.body).not.toContain('Choose a new password');
    // Nothing changed on the account.
    const record = await tg.tollgate.store.accounts.findById(account.id);
    expect(await tg.tollgate.hasher.verify(record?.password_hash as string, PASSWORD)).toBe(true);
  });

  it('expires a code after its ttl, and sets one password per code (the clock is injected; the store, the code and its email are real)', async () => {
    await addAccount('eve');
    let clock = Date.now();
    const logger = createLogger('silent');
    const reset = createPasswordReset({
      accounts: tg.tollgate.store.accounts,
      otp: tg.tollgate.store.otp,
      kv: tg.tollgate.store.kv,
      email: createSmtpDelivery(smtpConfig(), logger),
      hmacKey: Buffer.from(HMAC_KEY, 'base64'),
      hasher: tg.tollgate.hasher,
      minPasswordLength: 8,
      ttl: 900,
      digits: 8,
      maxAttempts: 5,
      perAddress: 10,
      perIp: 10,
      endSessions: async () => ({ sessions: 0, grants: 0, logouts: [], unnotified: [] }),
      unlockPassword: async () => {},
      logger,
      redis: tg.tollgate.store.redis,
      keyPrefix: `${tg.tollgate.store.keyPrefix}expiry-test:`,
      now: () => clock,
    });
    const who = (flowId: string) => ({ flowId, ip: '192.0.2.50', clientId: 'app' });
    const codeFor = async (flowId: string) => {
      expect(await reset.request({ ...who(flowId), username: 'eve', appName: 'Test App' })).toEqual({
        ok: true,
      });
      const mail = (await nextMessages(1))[0] as ParsedMail;
      expect(recipient(mail)).toBe('eve@example.test');
      return codeOf(mail);
    };
    const inTime = await codeFor('in-time');
    const tooLate = await codeFor('too-late');
    clock += 899_000;
    expect(await reset.verify(who('in-time'), inTime)).toEqual({ outcome: 'verified' });
    // One new password per proven code, even for two submissions at once.
    const both = await Promise.all([
      reset.complete(who('in-time'), 'first new password'),
      reset.complete(who('in-time'), 'second new password'),
    ]);
    expect(both.filter((r) => r.ok)).toHaveLength(1);
    expect(both.filter((r) => !r.ok)).toEqual([{ ok: false, error: 'none' }]);
    expect(await reset.verify(who('in-time'), inTime)).toEqual({ outcome: 'none' });
    clock += 2_000;
    expect(await reset.verify(who('too-late'), tooLate)).toEqual({ outcome: 'expired' });
    expect((await reset.state('too-late'))?.verified).toBeUndefined();
  });
});

describe('request limits', () => {
  it(`limits an address to ${PER_ADDRESS} requests an hour from any IP, and an unknown name alike`, async () => {
    await addAccount('pat');
    for (let i = 0; i < PER_ADDRESS; i++) {
      const { answer } = await ask(freshBrowser(), 'pat');
      expect(answer.status).toBe(200);
    }
    const sent = await nextMessages(PER_ADDRESS);
    expect(sent.map(recipient)).toEqual(Array(PER_ADDRESS).fill('pat@example.test'));
    const limited = (await ask(freshBrowser(), 'pat')).answer;
    expect(limited.status).toBe(429);
    expect(limited.body).toContain(LIMITED);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);

    for (let i = 0; i < PER_ADDRESS; i++)
      expect((await ask(freshBrowser(), 'ghost-pat')).answer.status).toBe(200);
    const ghost = (await ask(freshBrowser(), 'ghost-pat')).answer;
    expect(ghost.status).toBe(429);
    const retryTime = (page: Page) => withoutIds(page.body).replace(/after \d\d:\d\d UTC/, 'after HH:MM UTC');
    expect(retryTime(ghost)).toBe(retryTime(limited));

    // The refused request sent nothing: the next message is another name's, asked for after it.
    await addAccount('pam');
    expect((await ask(freshBrowser(), 'pam')).answer.status).toBe(200);
    expect(recipient((await nextMessages(1))[0] as ParsedMail)).toBe('pam@example.test');
  });

  it(`limits a client IP to ${PER_IP} requests an hour, whatever the names`, async () => {
    await addAccount('ivy');
    const browser = freshBrowser();
    for (let i = 0; i < PER_IP; i++) expect((await ask(browser, `name-${i}`)).answer.status).toBe(200);
    const limited = (await ask(browser, 'ivy')).answer;
    expect(limited.status).toBe(429);
    expect(limited.body).toContain(LIMITED);
    // Another address is not limited, and its code is the next message: the refused one sent none.
    expect((await ask(freshBrowser(), 'ivy')).answer.status).toBe(200);
    expect(recipient((await nextMessages(1))[0] as ParsedMail)).toBe('ivy@example.test');
  });
});

describe('bad input', () => {
  it('answers every malformed or out-of-order step with a clear page below 500', async () => {
    const browser = freshBrowser();
    const form = await resetForm(browser);
    const { action, fields } = parseForm(form.body);
    const url = new URL(action, form.url).href;
    const post = (body: string, target = url) =>
      browser.request(target, { body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });

    const noCsrf = await post('username=pat');
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body).toContain('invalid_csrf_token');
    const twice = await post(`csrf=${encodeURIComponent(fields.csrf ?? '')}&username=a&username=b`);
    expect(twice.status).toBe(400);
    expect(twice.body).toContain('invalid_request');
    const empty = await browser.submit(form, { username: '  ' });
    expect(empty.status).toBe(400);
    expect(empty.body).toContain('Enter your username.');

    // Out of order: no code asked for yet.
    const passwordUrl = url.replace(/\/reset$/, '/reset/password');
    const early = await browser.request(passwordUrl);
    expect(early.status).toBe(303);
    expect(early.headers.get('location')).toMatch(/\/reset$/);
    const earlyPost = await post(
      `csrf=${encodeURIComponent(fields.csrf ?? '')}&password=x&confirm=x`,
      passwordUrl,
    );
    expect(earlyPost.status).toBe(400);
    expect(earlyPost.body).toContain('This reset is no longer valid');

    // The new password: mismatched, then too short, then the reset goes through.
    await addAccount('bea');
    const answer = await browser.submit(form, { username: 'bea' });
    const code = codeOf((await nextMessages(1))[0] as ParsedMail);
    const choose = await browser.submit(answer, { code: ` ${code.slice(0, 4)} ${code.slice(4)} ` });
    expect(choose.body).toContain('Choose a new password');
    const mismatch = await browser.submit(choose, {
      password: 'one long password',
      confirm: 'another long one',
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toContain('The two passwords do not match.');
    const short = await browser.submit(choose, { password: 'short', confirm: 'short' });
    expect(short.status).toBe(400);
    expect(short.body).toContain('Use at least 8 characters.');
    const tooLong = 'x'.repeat(1025);
    expect((await browser.submit(choose, { password: tooLong, confirm: tooLong })).body).toContain(
      'Use at most 1024 characters.',
    );
    const done = await browser.submit(
      choose,
      { password: 'a good new password', confirm: 'a good new password' },
      RP_CALLBACK,
    );
    expect(done.url.startsWith(RP_CALLBACK)).toBe(true);

    // An unknown interaction.
    const stranger = await browser.request(`${tg.url}/interaction/not-a-uid/reset`);
    expect(stranger.status).toBe(400);
    expect(stranger.body).toContain('interaction_not_found');
  });

  it('has no reset without an email transport: no link, no route', async () => {
    const plain = await startTollgate();
    try {
      const browser = new Browser();
      const { page } = await authorize(browser, await rp(plain, 'app'));
      expect(page.body).toContain('name="password"');
      expect(page.body).not.toContain('Forgot password?');
      const uid = /\/interaction\/([\w-]+)/.exec(page.url)?.[1];
      expect((await browser.request(`${plain.url}/interaction/${uid}/reset`)).status).toBe(404);
    } finally {
      await plain.stop();
    }
  });
});
