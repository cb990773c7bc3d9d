// Redis failures, for real: SIGKILL under load (fail closed with 503, recover alone), a restart
// with the append-only file on (sessions and refresh tokens survive), and two tollgate servers
// sharing one Redis (a TOTP code is accepted once across both; a login moves between them).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { afterEach, describe, expect, it } from 'vitest';
import { generateJwks } from '../../src/provider/keys.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import {
  API_SECRET,
  APP_SECRET,
  addUser,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
} from '../helpers/tollgate.ts';
import { enrolTotp, SharedHostBrowser, totpAt } from './helpers.ts';

const PASSWORD = 'fault tolerant password';
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function redisServer(opts: { appendonly?: boolean } = {}): Promise<RedisServer> {
  const redis = await startRedis(opts);
  cleanups.push(() => redis.stop());
  return redis;
}

async function tollgate(options: Parameters<typeof startTollgate>[0]): Promise<RunningTollgate> {
  const tg = await startTollgate(options);
  cleanups.push(() => tg.stop());
  return tg;
}

const jwksFile = () => {
  const file = join(mkdtempSync(join(tmpdir(), 'tollgate-faults-')), 'jwks.json');
  writeFileSync(file, JSON.stringify(generateJwks()));
  return file;
};

const rp = (tg: RunningTollgate, clientId = 'app', secret = APP_SECRET) =>
  oidc.discovery(new URL(tg.url), clientId, undefined, oidc.ClientSecretBasic(secret), {
    execute: [oidc.allowInsecureRequests],
  });

/** Starts an authorization request at `config` in `browser` and follows it to the first page. */
async function authorize(browser: Browser, config: oidc.Configuration) {
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: RP_CALLBACK,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 'st',
  });
  return { url: url.href, verifier, page: await browser.get(url.href, RP_CALLBACK) };
}

async function exchange(config: oidc.Configuration, page: Page, verifier: string) {
  if (!page.url.startsWith(RP_CALLBACK)) {
    throw new Error(`not at the callback: ${page.status} ${page.url}\n${page.body.slice(0, 500)}`);
  }
  return oidc.authorizationCodeGrant(config, new URL(page.url), {
    pkceCodeVerifier: verifier,
    expectedState: 'st',
  });
}

describe('Redis killed (SIGKILL) under load', () => {
  it('keeps serving 503s (JSON for API clients, a page for browsers), never a 500, and recovers by itself', async () => {
    const redis = await redisServer();
    const tg = await tollgate({ redisUrl: redis.url });
    await addUser(tg, 'kim', PASSWORD);
    const app = await rp(tg);
    // A login in progress when Redis dies: its password is submitted while Redis is down.
    const pending = new Browser();
    const started = await authorize(pending, app);
    expect(started.page.body).toContain('name="password"');
    // A signed-in browser, whose session must be loaded from Redis first.
    const signedIn = new Browser();
    const first = await authorize(signedIn, app);
    await signedIn.submit(first.page, { username: 'kim', password: PASSWORD }, RP_CALLBACK);

    const basic = `Basic ${Buffer.from(`api:${API_SECRET}`).toString('base64')}`;
    const token = () =>
      fetch(`${tg.url}/token`, {
        method: 'POST',
        headers: {
          authorization: basic,
          accept: 'application/json',
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      });
    const authorizeUrl = oidc.buildAuthorizationUrl(app, {
      redirect_uri: RP_CALLBACK,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    }).href;
    const page = () => fetch(authorizeUrl, { headers: { accept: 'text/html' }, redirect: 'manual' });

    type Seen = {
      phase: string;
      kind: 'token' | 'page';
      status: number;
      type: string;
      body: string;
      ms: number;
    };
    const seen: Seen[] = [];
    const failures: string[] = [];
    let phase = 'up';
    let running = true;
    const worker = async (kind: 'token' | 'page') => {
      while (running) {
        const from = phase;
        const t0 = Date.now();
        try {
          const res = kind === 'token' ? await token() : await page();
          const body = await res.text();
          // A request that started in one phase and ended in another says nothing about either.
          const at = from === phase ? from : `${from}->${phase}`;
          seen.push({
            phase: at,
            kind,
            status: res.status,
            type: res.headers.get('content-type') ?? '',
            body,
            ms: Date.now() - t0,
          });
        } catch (err) {
          failures.push(
            `${from} ${kind}: ${(err as Error).message} ${String((err as { cause?: unknown }).cause)}`,
          );
        }
      }
    };
    const load = [
      ...Array.from({ length: 4 }, () => worker('token')),
      ...Array.from({ length: 4 }, () => worker('page')),
    ];

    /** Waits until `n` requests both started and ended in phase `p` (bounded: 20 s). */
    const answered = async (p: string, n: number) => {
      const deadline = Date.now() + 20_000;
      while (seen.filter((s) => s.phase === p).length < n) {
        if (Date.now() > deadline) throw new Error(`fewer than ${n} answers in phase ${p} within 20 s`);
        // The workers push to `seen` as answers come in; polling it is the bounded wait.
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    // Answers seen, not time passed: a loaded machine just takes longer to get them.
    await answered('up', 8);
    phase = 'killing';
    await redis.kill();
    phase = 'down';
    await answered('down', 9);
    // The process is up, says it is not ready, and the interrupted login gets a page that says why.
    expect((await fetch(`${tg.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${tg.url}/readyz`)).status).toBe(503);
    const login = await pending.submit(started.page, { username: 'kim', password: PASSWORD });
    expect(login.status).toBe(503);
    expect(login.headers.get('content-type')).toMatch(/^text\/html/);
    expect(login.body).toContain('temporarily unavailable');
    // The signed-in browser, with an authorization request that leaves out redirect_uri (allowed
    // for a client with one) and a stale resume link. Regression: oidc-provider's error handler
    // crashed on both (a 500), see src/provider/single-redirect-uri.ts.
    const withoutRedirect = new URL(first.url);
    withoutRedirect.searchParams.delete('redirect_uri');
    for (const url of [withoutRedirect.href, `${tg.url}/auth/some-uid?client_id=app`]) {
      const res = await signedIn.request(url);
      expect(res.status, url).toBe(503);
      expect(res.body).toContain('temporarily unavailable');
    }

    phase = 'restarting';
    await redis.restart();
    const back = Date.now();
    phase = 'back';
    let ready = false;
    let issued = false;
    // Bounded poll: the reconnect backoff is capped at 1 s; 15 s leaves room for a loaded machine.
    while (Date.now() - back < 15_000 && !(ready && issued)) {
      ready = (await fetch(`${tg.url}/readyz`)).status === 200;
      issued = (await token()).status === 200;
      if (!(ready && issued)) await new Promise((r) => setTimeout(r, 50));
    }
    const recoveredIn = Date.now() - back;
    running = false;
    await Promise.all(load);

    expect(failures).toEqual([]);
    expect({ ready, issued, recoveredIn }).toMatchObject({ ready: true, issued: true });
    const statuses = (p: string, kind: Seen['kind']) =>
      [...new Set(seen.filter((s) => s.phase === p && s.kind === kind).map((s) => s.status))].sort();
    // Not one 500, in any phase.
    expect(
      seen.filter((s) => s.status >= 500 && s.status !== 503).map((s) => `${s.phase} ${s.kind} ${s.status}`),
    ).toEqual([]);
    expect(statuses('up', 'token')).toEqual([200]);
    expect(statuses('up', 'page')).toEqual([303]);
    // While Redis was gone: only 503s, each in the client's language.
    expect(statuses('down', 'token')).toEqual([503]);
    expect(statuses('down', 'page')).toEqual([503]);
    for (const s of seen.filter((x) => x.status === 503)) {
      if (s.kind === 'token') {
        expect(s.type).toMatch(/^application\/json/);
        expect(JSON.parse(s.body)).toMatchObject({ error: 'service_unavailable' });
      } else {
        expect(s.type).toMatch(/^text\/html/);
        expect(s.body).toContain('temporarily unavailable');
      }
    }
    // Fail fast: a request that finds Redis gone is answered within the client's 2 s command timeout.
    const down = seen.filter((s) => s.phase === 'down');
    expect(down.length).toBeGreaterThan(8);
    expect(Math.max(...down.map((s) => s.ms))).toBeLessThan(2500);
    // After the restart (no AOF here: Redis came back empty, so the account is created again),
    // the same browser signs in.
    await addUser(tg, 'kim', PASSWORD);
    const retry = await authorize(pending, app);
    const done = await pending.submit(retry.page, { username: 'kim', password: PASSWORD }, RP_CALLBACK);
    expect((await exchange(app, done, retry.verifier)).claims()?.sub).toBeTruthy();
  }, 60_000);
});

describe('Redis frozen (SIGSTOP): connections open, no answers', () => {
  it('answers 503 within the 2 s command timeout instead of hanging or a 500, and recovers on SIGCONT', async () => {
    const redis = await redisServer();
    const tg = await tollgate({ redisUrl: redis.url });
    const app = await rp(tg);
    // The server's own pid, from Redis itself.
    const info = (await tg.tollgate.store.redis?.info('server')) ?? '';
    const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
    expect(pid).toBeGreaterThan(0);
    let frozen = false;
    const thaw = () => {
      if (frozen) process.kill(pid, 'SIGCONT');
      frozen = false;
    };
    cleanups.push(async () => thaw());
    const browser = new Browser();
    const started = await authorize(browser, app);
    expect(started.page.status).toBe(200);

    process.kill(pid, 'SIGSTOP');
    frozen = true;
    const basic = `Basic ${Buffer.from(`api:${API_SECRET}`).toString('base64')}`;
    const timed = async (request: Promise<Response>) => {
      const t0 = Date.now();
      const res = await request;
      return { res, body: await res.text(), ms: Date.now() - t0 };
    };
    const [token, page, interaction] = await Promise.all([
      timed(
        fetch(`${tg.url}/token`, {
          method: 'POST',
          headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials',
        }),
      ),
      timed(fetch(started.url, { headers: { accept: 'text/html' }, redirect: 'manual' })),
      // A page of the login in progress: tollgate's own route, reading the interaction from Redis.
      timed(
        browser
          .request(started.page.url)
          .then((p) => new Response(p.body, { status: p.status, headers: p.headers })),
      ),
    ]);
    expect(token.res.status).toBe(503);
    expect(JSON.parse(token.body)).toMatchObject({ error: 'service_unavailable' });
    expect(token.res.headers.get('retry-after')).toBe('5');
    for (const html of [page, interaction]) {
      expect(html.res.status).toBe(503);
      expect(html.res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(html.body).toContain('temporarily unavailable');
    }
    // Answered once the 2 s command timeout fires, not parked for as long as Redis is frozen: the
    // margin is for a loaded machine (three requests at once), the frozen Redis never answers.
    for (const { ms } of [token, page, interaction]) expect(ms).toBeLessThan(6000);
    expect((await fetch(`${tg.url}/readyz`)).status).toBe(503);

    thaw();
    const back = Date.now();
    let status = 0;
    while (Date.now() - back < 5000 && status !== 200) {
      status = (
        await fetch(`${tg.url}/token`, {
          method: 'POST',
          headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials',
        })
      ).status;
    }
    expect(status).toBe(200);
    expect((await browser.get(started.page.url)).status).toBe(200);
  }, 60_000);
});

describe('Redis restarted with the append-only file on', () => {
  it('keeps browser sessions and refresh tokens issued before a SIGKILL', async () => {
    const redis = await redisServer({ appendonly: true });
    const tg = await tollgate({ redisUrl: redis.url });
    await addUser(tg, 'lena', PASSWORD);
    const app = await rp(tg);
    const browser = new Browser();
    const first = await authorize(browser, app);
    const callback = await browser.submit(first.page, { username: 'lena', password: PASSWORD }, RP_CALLBACK);
    const tokens = await exchange(app, callback, first.verifier);
    const sub = tokens.claims()?.sub;
    expect(tokens.refresh_token).toBeTruthy();

    await redis.kill();
    await redis.restart();
    // Bounded poll of readiness (no event crosses the process boundary), generous for load.
    const deadline = Date.now() + 15_000;
    while ((await fetch(`${tg.url}/readyz`)).status !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }

    // The session: straight back to the client, no password asked.
    const again = await authorize(browser, app);
    expect(again.page.url.startsWith(RP_CALLBACK), again.page.body.slice(0, 300)).toBe(true);
    expect((await exchange(app, again.page, again.verifier)).claims()?.sub).toBe(sub);
    // The refresh token, and the one it rotates to.
    const refreshed = await oidc.refreshTokenGrant(app, tokens.refresh_token as string);
    expect(refreshed.claims()?.sub).toBe(sub);
    expect((await oidc.refreshTokenGrant(app, refreshed.refresh_token as string)).access_token).toBeTruthy();
  }, 60_000);
});

describe('two tollgate servers sharing one Redis', () => {
  it('accept a TOTP code once across both, and finish on one a login started on the other', async () => {
    const redis = await redisServer();
    const keys = jwksFile();
    const shared = {
      mfa: {
        factors: ['totp', 'recovery'],
        encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
      },
      clients: [
        {
          client_id: 'mfa-app',
          client_secret: APP_SECRET,
          redirect_uris: [RP_CALLBACK],
          first_party: true,
          mfa: { policy: 'required', factors: ['totp'] },
        },
      ],
    };
    const a = await tollgate({ redisUrl: redis.url, jwksFile: keys, overrides: shared });
    // Behind one load balancer both answer for the same issuer.
    const b = await tollgate({
      redisUrl: redis.url,
      jwksFile: keys,
      overrides: { ...shared, issuer: a.url },
    });
    const { key } = await enrolTotp(a, await addUser(a, 'mona', PASSWORD));
    const config = await rp(a, 'mfa-app');

    // Authorization request and password on A; the TOTP step, resume and code on B.
    const browser = new SharedHostBrowser([a.url, b.url]);
    const { page, verifier } = await authorize(browser, config);
    const challenge = await browser.submit(page, { username: 'mona', password: PASSWORD }, RP_CALLBACK);
    expect(challenge.body).toContain('name="code"');
    const onB = await browser.get(challenge.url.replace(a.url, b.url), RP_CALLBACK);
    expect(onB.url.startsWith(b.url)).toBe(true);
    expect(onB.body).toContain('name="code"');
    const code = totpAt(key);
    const done = await browser.submit(onB, { code }, RP_CALLBACK);
    const tokens = await exchange(config, done, verifier);
    expect(tokens.claims()).toMatchObject({ iss: a.url, amr: ['pwd', 'otp', 'mfa'] });

    // The same code at A, in another browser: refused as a replay.
    const other = new Browser();
    const second = await authorize(other, config);
    const otherChallenge = await other.submit(
      second.page,
      { username: 'mona', password: PASSWORD },
      RP_CALLBACK,
    );
    const replay = await other.submit(otherChallenge, { code }, RP_CALLBACK);
    expect(replay.status).toBe(401);
    expect(replay.body).toContain('already used');

    // A fresh code sent to both at the same moment, for two logins: exactly one accepts it.
    const racers = await Promise.all(
      [a, b].map(async (server) => {
        const racer = new SharedHostBrowser([a.url, b.url]);
        const started = await authorize(racer, config);
        const atChallenge = await racer.submit(
          started.page,
          { username: 'mona', password: PASSWORD },
          RP_CALLBACK,
        );
        return { racer, page: await racer.get(atChallenge.url.replace(a.url, server.url), RP_CALLBACK) };
      }),
    );
    const fresh = totpAt(key, 1);
    const results = await Promise.all(
      racers.map(({ racer, page }) => racer.submit(page, { code: fresh }, RP_CALLBACK)),
    );
    const outcomes = results.map((r) => (r.url.startsWith(RP_CALLBACK) ? 'accepted' : `${r.status}`)).sort();
    expect(outcomes).toEqual(['401', 'accepted']);
  }, 60_000);
});
