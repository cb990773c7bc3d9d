// session.refresh_identity bounds how stale a proxy session's groups and email can be: past the
// interval, the next request refreshes the session at tollgate (refresh token grant + userinfo)
// although its access token is still good, so a group taken away at tollgate closes the gate and
// the open WebSocket (4403), and a new email reaches the upstream. Real Redis, real tollgate.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningProxy, startProxy } from '../../examples/auth-proxy/server.ts';
import { createLogger } from '../../src/log.ts';
import { Browser } from '../helpers/browser.ts';
import { freePort, startRedis } from '../helpers/redis-server.ts';
import { addUser, type RunningTollgate } from '../helpers/tollgate.ts';
import {
  cookieHeader,
  type Echo,
  PASSWORD,
  RULES,
  rawGet,
  signIn,
  stackConfig,
  startTollgateFor,
  startUpstream,
  ticketOf,
  type Upstream,
} from './helpers.ts';

/** Seconds: short, so the test waits for it once. */
const REFRESH_IDENTITY = 2;

let redis: Awaited<ReturnType<typeof startRedis>>;
let tg: RunningTollgate;
let upstream: Upstream;
let proxy: RunningProxy;
let refreshes = 0;

beforeAll(async () => {
  redis = await startRedis();
  const port = await freePort();
  tg = await startTollgateFor(redis, `http://127.0.0.1:${port}`);
  upstream = await startUpstream();
  const config = stackConfig({ port, tg, upstream, sessionRedis: redis.url });
  proxy = await startProxy(
    {
      ...config,
      session: { ...config.session, refresh_identity: REFRESH_IDENTITY },
      rules: [
        { path_prefix: '/staff', policy: 'authenticated', groups: ['staff'], api: true },
        { path_prefix: '/ws', policy: 'authenticated', groups: ['staff'] },
        ...RULES,
      ],
    },
    { logger: createLogger('silent'), websocketCheckMs: 200 },
  );
  tg.tollgate.provider.on('grant.success', (ctx: { oidc?: { params?: { grant_type?: unknown } } }) => {
    if (ctx.oidc?.params?.grant_type === 'refresh_token') refreshes++;
  });
  await addUser(tg, 'gina', PASSWORD, { email: 'gina@example.org', groups: ['staff'] });
});

afterAll(async () => {
  await proxy?.close();
  await upstream?.close();
  await tg?.stop();
  await redis?.stop();
});

describe('session.refresh_identity', () => {
  it('a group and email changed at tollgate reach the gate and open WebSockets after the interval', async () => {
    const browser = new Browser();
    await signIn(browser, proxy, 'gina');
    const cookie = cookieHeader(browser);
    const staff = () => rawGet(`${proxy.url}/staff/report`, { cookie, accept: 'application/json' });
    expect((await staff()).status).toBe(200);
    const ws = new WebSocket(`${proxy.url.replace('http:', 'ws:')}/ws`, { headers: { cookie } });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const closing = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );

    const account = await tg.tollgate.store.accounts.findByUsername('gina');
    if (!account) throw new Error('no gina');
    await tg.tollgate.store.accounts.update(account.id, {
      groups: ['visitors'],
      email: 'gina@new.example.org',
    });
    const session = await proxy.sessions.load(ticketOf(browser));
    if (!session?.identity_at) throw new Error('the session has no identity_at');
    // Within the interval the session may keep what it read at sign-in (checked only while the
    // interval has clearly not passed, whatever the machine's load).
    if (Date.now() / 1000 < session.identity_at + REFRESH_IDENTITY - 1) {
      expect((await staff()).status).toBe(200);
    }

    // Past it, the next request refreshes the identity: the gate closes.
    refreshes = 0;
    await expect.poll(async () => (await staff()).status, { timeout: 15_000, interval: 250 }).toBe(403);
    expect(refreshes).toBe(1);
    const fresh = await proxy.sessions.load(ticketOf(browser));
    expect(fresh?.identity).toMatchObject({ groups: ['visitors'], email: 'gina@new.example.org' });
    expect(fresh?.identity_at).toBeGreaterThanOrEqual(session.identity_at + REFRESH_IDENTITY);
    // Not the access token's expiry: it was good for long after (tollgate's default hour).
    expect(session.expires_at).toBeGreaterThan(Math.floor(Date.now() / 1000) + 600);

    // The upstream sees the new identity; the WebSocket on the group's route is closed with 4403.
    const page = JSON.parse(
      (await rawGet(`${proxy.url}/page`, { cookie, accept: 'application/json' })).body,
    ) as Echo;
    expect(page.headers['x-forwarded-groups']).toBe('visitors');
    expect(page.headers['x-forwarded-email']).toBe('gina@new.example.org');
    expect(await closing).toEqual({ code: 4403, reason: 'forbidden' });
  });
});
