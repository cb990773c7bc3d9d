import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseProxyConfig } from '../../examples/auth-proxy/config.ts';
import { Browser } from '../helpers/browser.ts';
import { type RedisSentinelGroup, startRedisSentinel } from '../helpers/redis-sentinel.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { addUser } from '../helpers/tollgate.ts';
import { until } from '../helpers/until.ts';
import {
  COOKIE_SECRET,
  cookieHeader,
  PASSWORD,
  rawGet,
  type Stack,
  signIn,
  startStack,
  ticketOf,
} from './helpers.ts';
import { minimalProxyYaml, proxyProcesses } from './store-processes.ts';

// The stack's proxy uses the same prefix and cookie secret: a process here reads its sessions.
const PREFIX = 'proxy:';
const SECRET = COOKIE_SECRET;
const nowS = () => Math.floor(Date.now() / 1000);

let group: RedisSentinelGroup;
let tollgateRedis: RedisServer;
const processes = proxyProcesses({ prefix: PREFIX, secret: SECRET });

beforeAll(async () => {
  [group, tollgateRedis] = await Promise.all([startRedisSentinel(), startRedis()]);
});

afterAll(async () => {
  await processes.close();
  await group?.stop();
  await tollgateRedis?.stop();
});

/** The `session.store` block of a proxy on this group. */
const sentinelStore = () => ({ sentinel: { name: group.name, nodes: group.nodes } });
const proxyProcess = () => processes.open(sentinelStore());

describe('auth-proxy through Sentinel', () => {
  it('takes the sentinel block as session.store', () => {
    const minimal = minimalProxyYaml;
    const nodes = `[${group.nodes.map((n) => `{ host: ${n.host}, port: ${n.port} }`).join(', ')}]`;
    expect(
      parseProxyConfig(minimal(`{ sentinel: { name: ${group.name}, nodes: ${nodes} } }`)).session.store,
    ).toEqual(sentinelStore());
    expect(() =>
      parseProxyConfig(minimal(`{ url: "redis://a", sentinel: { name: x, nodes: ${nodes} } }`)),
    ).toThrow(/set one of url, sentinel or cluster/);
  });

  it('keeps sessions on the master, and a sign-out in one process reaches the other at once', async () => {
    const [a, b] = await Promise.all([proxyProcess(), proxyProcess()]);
    const [role] = (await a.redis.call('ROLE')) as [string];
    expect(role).toBe('master');
    await until(() => a.cache.ready && b.cache.ready, 'both processes subscribed');
    const tickets = await Promise.all(
      Array.from({ length: 20 }, (_v, i) =>
        a.sessions.create({
          identity: { sub: `u${i}`, username: `user${i}`, groups: [], amr: ['pwd'] },
          sid: `sid-${i}`,
          access_token: 'access',
          refresh_token: 'refresh',
          expires_at: nowS() + 3600,
        }),
      ),
    );
    for (const { ticket } of tickets) expect((await b.sessions.load(ticket))?.sid).toMatch(/^sid-/);
    const first = tickets[0]?.ticket as string;
    await a.sessions.destroy(first);
    await until(async () => (await b.sessions.load(first)) === undefined, 'b sees the sign-out');
    expect((await b.sessions.load(tickets[1]?.ticket as string))?.sid).toBe('sid-1');
  });

  it('signs a browser in through a proxy whose sessions are in the Sentinel group', async () => {
    let stack: Stack | undefined;
    try {
      stack = await startStack(tollgateRedis, { sessionRedis: sentinelStore() });
      await addUser(stack.tg, 'sam', PASSWORD);
      const browser = new Browser();
      const landed = await signIn(browser, stack, 'sam', '/hello');
      expect(landed.status).toBe(200);
      expect(JSON.parse(landed.body)).toMatchObject({ url: '/hello' });
      // The session is on the group's master: another process there reads it.
      const other = await proxyProcess();
      expect((await other.sessions.load(ticketOf(browser)))?.identity.username).toBe('sam');
      const hits = stack.upstream.hits;
      expect((await rawGet(`${stack.url}/again`, { cookie: cookieHeader(browser) })).status).toBe(200);
      expect(stack.upstream.hits).toBe(hits + 1);
    } finally {
      await stack?.stop();
    }
  });
});
