// Sessions a user and an operator can see and end (issue 13.4): two browsers sign in, the
// account page lists both with their browser, IP and apps, and ends the other one; the CLI
// (`tollgate sessions list|revoke`, its own process on the server's configuration file) lists
// them and ends one or all, each with a back-channel logout to the client that registered one.
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import type * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateJwks } from '../../src/provider/keys.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { cleanEnv, runTollgate } from '../helpers/cli.ts';
import { freePort, type RedisServer, startRedis } from '../helpers/redis-server.ts';
import {
  APP_SECRET,
  addUser,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
  TEST_COOKIE_KEY,
} from '../helpers/tollgate.ts';
import { authorize, rp } from '../mfa/helpers.ts';
import { expectFreshSignIn } from '../security/fresh-sign-in.ts';

const PASSWORD = 'a long enough password';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';
const SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1';

let redis: RedisServer;
let tg: RunningTollgate;
let receiver: Server;
let dir: string;
let configFile: string;
let app: oidc.Configuration;
/** sids of the logout tokens the `app` client's back-channel endpoint received. */
const loggedOut: string[] = [];

/** A browser that says which one it is (the test Browser sends no User-Agent of its own). */
class NamedBrowser extends Browser {
  readonly userAgent: string;
  constructor(userAgent: string) {
    super();
    this.userAgent = userAgent;
  }
  override request(url: string, init: Parameters<Browser['request']>[1] = {}): Promise<Page> {
    return super.request(url, { ...init, headers: { 'user-agent': this.userAgent, ...init.headers } });
  }
}

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'tollgate-sessions-'));
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(generateJwks()));
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (token) loggedOut.push(String(decodeJwt(token).sid));
      res.writeHead(200).end();
    });
  }).listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const port = await freePort();
  const raw = {
    issuer: `http://127.0.0.1:${port}`,
    port,
    cookies: { keys: [TEST_COOKIE_KEY] },
    store: { redis: { url: redis.url, key_prefix: 'tg:' } },
    jwks: { file: jwksFile },
    log_level: 'silent',
    mfa: { factors: ['totp'], encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }] },
    clients: [
      {
        client_id: 'app',
        client_name: 'Notes',
        client_secret: APP_SECRET,
        redirect_uris: [RP_CALLBACK],
        backchannel_logout_uri: `http://127.0.0.1:${(receiver.address() as { port: number }).port}/bc`,
        first_party: true,
        mfa: { policy: 'optional' },
      },
    ],
  };
  configFile = join(dir, 'tollgate.yaml');
  writeFileSync(configFile, JSON.stringify(raw));
  tg = await startTollgate({ redisUrl: redis.url, jwksFile, port, overrides: raw });
  app = await rp(tg, 'app');
});

afterAll(async () => {
  await tg?.stop();
  receiver?.close();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Signs `username` in at the app in `browser`, then opens the account page (signed in too). */
async function signIn(browser: Browser, username: string) {
  const login = await authorize(browser, app);
  await browser.submit(login.page, { username, password: PASSWORD }, RP_CALLBACK);
  const page = await browser.get(`${tg.url}/account`);
  expect(page.body).toContain('Where you are signed in');
  return page;
}

const cli = (...args: string[]) =>
  runTollgate(['sessions', ...args, '--config', configFile], { env: cleanEnv() });

interface Listed {
  id: string;
  device: string | null;
  ip: string | null;
  clients: string[];
}
async function listed(username: string): Promise<Listed[]> {
  const run = await cli('list', username, '--json');
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Listed[];
}

describe('sessions', () => {
  it('the account page lists each session with its browser and apps, and ends another one', async () => {
    await addUser(tg, 'sam', PASSWORD);
    const laptop = new NamedBrowser(FIREFOX);
    const phone = new NamedBrowser(SAFARI);
    await signIn(laptop, 'sam');
    const page = await signIn(phone, 'sam');
    expect(page.body).toContain('Firefox on Linux');
    expect(page.body).toContain('Safari on iOS');
    expect(page.body).toContain('(this browser)');
    expect(page.body).toContain('Apps: Notes');
    expect(page.body).toContain('127.0.0.1');

    // From the phone, end the laptop's session: the laptop signs in afresh, the phone stays.
    const sessions = await listed('sam');
    expect(sessions).toHaveLength(2);
    const before = loggedOut.length;
    const forms = [...page.body.matchAll(/<form\b[^>]*action="([^"]*)"/g)].map((m) => m[1] ?? '');
    const endOne = forms.findIndex((a) => /^\/account\/sessions\/[^/]+\/end$/.test(a));
    expect(endOne).toBeGreaterThanOrEqual(0);
    const ended = await phone.submit(page, {}, undefined, endOne);
    expect(ended.status).toBe(200);
    expect(ended.body).toContain('That session was signed out.');
    await expectFreshSignIn(laptop, tg.url, app);
    expect((await phone.get(`${tg.url}/account`)).body).toContain('Where you are signed in');
    expect(await listed('sam')).toHaveLength(1);
    // The app was told: one logout token for the laptop's session.
    await expect.poll(() => loggedOut.length).toBe(before + 1);
  });

  it('the CLI lists sessions and revokes one by id, or all of them', async () => {
    await addUser(tg, 'ray', PASSWORD);
    const a = new NamedBrowser(FIREFOX);
    const b = new NamedBrowser(SAFARI);
    await signIn(a, 'ray');
    await signIn(b, 'ray');
    const sessions = await listed('ray');
    expect(sessions.map((s) => s.device).sort()).toEqual(['Firefox on Linux', 'Safari on iOS']);
    for (const s of sessions) expect(s.clients).toEqual(['app']);
    const table = await cli('list', 'ray');
    expect(table.stdout).toContain('Firefox on Linux');

    // A bare revoke ends nothing: it needs --all or an id. An unknown id is refused.
    expect((await cli('revoke', 'ray')).code).toBe(2);
    const unknown = await cli('revoke', 'ray', 'no-such-session');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no such session');
    expect(await listed('ray')).toHaveLength(2);

    const firefox = sessions.find((s) => s.device === 'Firefox on Linux') as Listed;
    const before = loggedOut.length;
    const one = await cli('revoke', 'ray', firefox.id);
    expect(one.code, one.stderr).toBe(0);
    await expectFreshSignIn(a, tg.url, app);
    expect((await listed('ray')).map((s) => s.device)).toEqual(['Safari on iOS']);
    expect(loggedOut.length).toBe(before + 1);

    const all = await cli('revoke', 'ray', '--all');
    expect(all.code, all.stderr).toBe(0);
    expect(await listed('ray')).toEqual([]);
    await expectFreshSignIn(b, tg.url, app);
    expect((await cli('list', 'nobody')).code).toBe(1);
  });
});
