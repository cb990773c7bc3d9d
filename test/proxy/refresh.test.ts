// Token refresh under load: many concurrent requests with an expiring access token make exactly
// one refresh_token grant at tollgate (per session, across two proxy processes sharing Redis),
// and none of them is turned away. tollgate rotates refresh tokens and revokes the grant when an
// old one is reused, so a second refresh with the same token would sign the user out.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningProxy, startProxy } from '../../examples/auth-proxy/server.ts';
import { createLogger } from '../../src/log.ts';
import { Browser } from '../helpers/browser.ts';
import { freePort, startRedis } from '../helpers/redis-server.ts';
import { addUser } from '../helpers/tollgate.ts';
import {
  cookieHeader,
  type Echo,
  PASSWORD,
  rawGet,
  type Stack,
  signIn,
  stackConfig,
  startStack,
  ticketOf,
} from './helpers.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let stack: Stack;
let second: RunningProxy;
let browser: Browser;
let refreshes = 0;

beforeAll(async () => {
  redis = await startRedis();
  stack = await startStack(redis, { sessionRedis: redis.url });
  // A second proxy process: same configuration and Redis, its own port and in-process state.
  const config = stackConfig({
    port: stack.port,
    tg: stack.tg,
    upstream: stack.upstream,
    sessionRedis: redis.url,
  });
  second = await startProxy(
    { ...config, listen: { ...config.listen, port: await freePort() } },
    { logger: createLogger('silent') },
  );
  // Every refresh_token grant that reaches tollgate's token endpoint, granted or refused.
  const count = (ctx: { oidc?: { params?: { grant_type?: unknown } } }) => {
    if (ctx.oidc?.params?.grant_type === 'refresh_token') refreshes++;
  };
  stack.tg.tollgate.provider.on('grant.success', count);
  stack.tg.tollgate.provider.on('grant.error', count);
  await addUser(stack.tg, 'erin', PASSWORD, { email: 'erin@example.org', groups: ['staff'] });
  browser = new Browser();
  await signIn(browser, stack, 'erin');
});

afterAll(async () => {
  await second?.close();
  await stack?.stop();
  await redis?.stop();
});

/** Makes the stored access token expire in `seconds` (under the 60 s refresh margin). */
async function expireIn(seconds: number, patch: Record<string, unknown> = {}) {
  const ticket = ticketOf(browser);
  const data = await stack.proxy.sessions.load(ticket);
  if (!data) throw new Error('no session');
  await stack.proxy.sessions.save(ticket, {
    ...data,
    expires_at: Math.floor(Date.now() / 1000) + seconds,
    ...patch,
  });
  return data;
}

const get = (base: string) =>
  rawGet(`${base}/page`, { cookie: cookieHeader(browser), accept: 'application/json' });

describe('auth-proxy: token refresh', () => {
  it('20 concurrent requests with an expiring token: one refresh, no 401', async () => {
    const before = await expireIn(10);
    refreshes = 0;
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(stack.url)));
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(refreshes).toBe(1);
    for (const a of answers) expect((JSON.parse(a.body) as Echo).headers['x-forwarded-user']).toBe('erin');

    const after = await stack.proxy.sessions.load(ticketOf(browser));
    expect(after?.access_token).not.toBe(before.access_token);
    expect(after?.refresh_token).not.toBe(before.refresh_token);
    expect(after?.expires_at).toBeGreaterThan(Math.floor(Date.now() / 1000) + 60);
    // Fresh now: no further refresh.
    await get(stack.url);
    expect(refreshes).toBe(1);
  });

  it('two proxy processes on one Redis: still one refresh, the other waits and re-reads', async () => {
    await expireIn(10);
    refreshes = 0;
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => get(i % 2 === 0 ? stack.url : second.url)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(refreshes).toBe(1);
  });

  it('a refresh the provider refuses keeps the session until the token really expires', async () => {
    const data = await expireIn(10, { refresh_token: 'not-a-refresh-token' });
    expect((await get(stack.url)).status).toBe(200);
    expect(await stack.proxy.sessions.load(ticketOf(browser))).toBeDefined();
    // Expired and not refreshable: signed out (401), not served with a dead token.
    await expireIn(-1, { refresh_token: 'not-a-refresh-token' });
    expect((await get(second.url)).status).toBe(401);
    // The real refresh token still works: the grant survived all of the above.
    await expireIn(10, { refresh_token: data.refresh_token });
    refreshes = 0;
    expect((await get(stack.url)).status).toBe(200);
    expect(refreshes).toBe(1);
  });

  it('group and email changes at tollgate reach the live session at the next refresh, in every process (12.4)', async () => {
    const account = await stack.tg.tollgate.store.accounts.findByUsername('erin');
    if (!account) throw new Error('no erin');
    await stack.tg.tollgate.store.accounts.update(account.id, {
      groups: ['staff', 'auditors'],
      email: 'erin@new.example.org',
    });
    const seen = async (base: string) => (JSON.parse((await get(base)).body) as Echo).headers;
    // Until the access token is due, the session keeps what it was given at sign-in (the bound).
    expect((await seen(stack.url))['x-forwarded-groups']).toBe('staff');
    expect((await seen(second.url))['x-forwarded-groups']).toBe('staff');
    await expireIn(10);
    refreshes = 0;
    const fresh = await seen(stack.url);
    expect(refreshes).toBe(1);
    expect(fresh['x-forwarded-groups']).toBe('staff,auditors');
    expect(fresh['x-forwarded-email']).toBe('erin@new.example.org');
    const claims = decodeJwt(String(fresh['x-tollgate-assertion']));
    expect(claims).toMatchObject({ groups: ['staff', 'auditors'], email: 'erin@new.example.org' });
    // The other process on the same Redis serves the refreshed identity too, without refreshing.
    const other = await seen(second.url);
    expect(other['x-forwarded-groups']).toBe('staff,auditors');
    expect(refreshes).toBe(1);
    expect((await stack.proxy.sessions.load(ticketOf(browser)))?.identity.groups).toEqual([
      'staff',
      'auditors',
    ]);
  });
});
