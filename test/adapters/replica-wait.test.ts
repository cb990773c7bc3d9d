// Security writes wait for a replica (adapters/redis-wait.ts, adapters/redis-durable.ts): behind
// Sentinel each one is followed by WAIT on a connection of its own, and with the replica frozen
// (SIGSTOP: connected, never acknowledging) it fails closed - the store call rejects as an outage,
// the HTTP request answers 503 - instead of reporting a write a failover could still lose. On a
// Cluster WAIT goes to the master of the key written. On one server (no replicas) nothing waits.
import { Redis } from 'ioredis';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keySlot, ReplicaWaitError } from '../../adapters/redis-wait.ts';
import { isStoreOutage } from '../../src/server/error-handler.ts';
import { Browser, type Page, parseForm } from '../helpers/browser.ts';
import { type RedisCluster, startRedisCluster } from '../helpers/redis-cluster.ts';
import { type RedisSentinelGroup, startRedisSentinel } from '../helpers/redis-sentinel.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { addUser, RP_CALLBACK, type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';
import { authorize, exchange, rp } from '../mfa/helpers.ts';

const PASSWORD = 'a long enough password';
const TIMEOUT_MS = 1000;

let group: RedisSentinelGroup;
let tg: RunningTollgate;
/** A connection of the test's own to the group's master. */
let master: Redis;

beforeAll(async () => {
  group = await startRedisSentinel();
  tg = await startTollgate({ redis: { sentinel: { name: group.name, nodes: group.nodes } } });
  await tg.tollgate.store.ensureLayout();
  master = new Redis(group.master.port, '127.0.0.1');
});

afterAll(async () => {
  await group?.replica.resume().catch(() => {});
  master?.disconnect();
  await tg?.stop();
  await group?.stop();
});

/** How many WAIT commands `server` has run. */
async function waits(server: Redis): Promise<number> {
  const stats = String(await server.info('commandstats'));
  return Number(/cmdstat_wait:calls=(\d+)/.exec(stats)?.[1] ?? 0);
}

/** Whether `promise` rejects with a replica-wait outage, and how long it took to settle. */
async function refused(promise: Promise<unknown>): Promise<{ outage: boolean; ms: number; error: string }> {
  const started = Date.now();
  try {
    await promise;
    return { outage: false, ms: Date.now() - started, error: 'resolved' };
  } catch (err) {
    const e = err as Error;
    return {
      outage: e instanceof ReplicaWaitError && isStoreOutage(e),
      ms: Date.now() - started,
      error: e.message,
    };
  }
}

/** A signed-in browser at `app`, and its tokens. */
async function signedIn(username: string) {
  const app = await rp(tg, 'app');
  const browser = new Browser();
  const login = await authorize(browser, app);
  const done = await browser.submit(login.page, { username, password: PASSWORD }, RP_CALLBACK);
  const { tokens } = await exchange(app, done, login.verifier);
  return { app, browser, tokens };
}

/** Posts the account page's password form. */
async function changePassword(browser: Browser, current: string, next: string): Promise<Page> {
  const page = await browser.get(`${tg.url}/account`);
  const actions = [...page.body.matchAll(/<form\b[^>]*action="([^"]*)"/g)].map((m) => m[1]);
  const index = actions.indexOf('/account/password');
  expect(index, page.body.slice(0, 300)).toBeGreaterThanOrEqual(0);
  return browser.submit(
    page,
    { current_password: current, new_password: next, new_password_confirm: next },
    undefined,
    index,
  );
}

describe('security writes through Sentinel', () => {
  it('wait for the replica, on a connection of their own; other writes do not', async () => {
    const { accounts, credentials, adapter, kv } = tg.tollgate.store;
    const clients = String(await master.client('LIST'));
    expect(clients).toContain('name=tollgate-durable');
    expect(clients).toContain('name=tollgate ');

    const counted = async (what: () => Promise<unknown>) => {
      const before = await waits(master);
      await what();
      return (await waits(master)) - before;
    };
    // Not security state: no WAIT. A whole sign-in writes none either.
    await addUser(tg, 'vic', PASSWORD);
    expect(await counted(() => signedIn('vic'))).toBe(0);
    // Signing in again in a browser with a session replaces its Session (a new id; the old one
    // is destroyed): not a sign-out, and no WAIT.
    const { app, browser } = await signedIn('vic');
    const again = async () => {
      const login = await authorize(browser, app, { prompt: 'login' });
      const done = await browser.submit(login.page, { username: 'vic', password: PASSWORD }, RP_CALLBACK);
      await exchange(app, done, login.verifier);
    };
    expect(await counted(again)).toBe(0);
    const account = await accounts.create({ username: 'wes', password_hash: 'h' });
    expect(await counted(() => accounts.create({ username: 'other', password_hash: 'h' }))).toBe(0);
    expect(await counted(() => kv.set('k', 'v', 60))).toBe(0);
    expect(await counted(() => new adapter('Interaction').upsert('i1', { uid: 'i1' }, 60))).toBe(0);
    expect(await counted(() => new adapter('Interaction').destroy('i1'))).toBe(0);
    // Security state: one WAIT each.
    expect(await counted(() => accounts.update(account.id, { password_hash: 'h2' }))).toBe(1);
    const credential = await credentials.create({
      account_id: account.id,
      factor: 'totp',
      label: 't',
      data: { secret: 'x' },
    });
    expect(await counted(() => credentials.update(account.id, credential.id, { last_used_at: 5 }))).toBe(0);
    expect(await counted(() => credentials.update(account.id, credential.id, { data: { used: 1 } }))).toBe(1);
    expect(await counted(() => credentials.delete(account.id, credential.id))).toBe(1);
    expect(await counted(() => credentials.deleteAll(account.id))).toBe(1);
    await new adapter('Session').upsert('s1', { uid: 'u1', accountId: account.id }, 60);
    expect(await counted(() => new adapter('Session').destroy('s1'))).toBe(1);
    await new adapter('RefreshToken').upsert('r1', { grantId: 'g1', accountId: account.id }, 60);
    expect(await counted(() => new adapter('RefreshToken').destroy('r1'))).toBe(1);
    expect(await counted(() => new adapter('AccessToken').revokeByGrantId('g1'))).toBe(1);
    expect(await counted(() => accounts.delete(account.id))).toBe(1);
  });

  it('fail closed while the replica does not acknowledge, without holding up other requests', async () => {
    const { accounts, credentials, adapter } = tg.tollgate.store;
    const account = await accounts.create({ username: 'xia', password_hash: 'h' });
    const credential = await credentials.create({
      account_id: account.id,
      factor: 'totp',
      label: 't',
      data: {},
    });
    await new adapter('Session').upsert('s2', { uid: 'u2', accountId: account.id }, 60);
    await group.synced();
    await group.replica.pause();
    try {
      const update = refused(accounts.update(account.id, { disabled: true }));
      // Meanwhile the shared connection answers: the WAIT blocks only its own.
      const started = Date.now();
      expect((await accounts.findById(account.id))?.username).toBe('xia');
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS / 2);
      const results = [
        await update,
        await refused(credentials.delete(account.id, credential.id)),
        await refused(new adapter('Session').destroy('s2')),
      ];
      for (const r of results) {
        expect(r, r.error).toMatchObject({ outage: true });
        expect(r.error).toMatch(/^NOREPLICAS 0 of 1 replica/);
        // It waited its timeout, and not much longer (a bound for a loaded machine).
        expect(r.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
        expect(r.ms).toBeLessThan(TIMEOUT_MS + 1500);
      }
      // Several at once queue behind each other's WAIT on that one connection: those that run
      // out of time first fail on the command timeout, an outage (503) as well.
      const together = await Promise.allSettled([
        accounts.update(account.id, { groups: ['a'] }),
        accounts.update(account.id, { groups: ['b'] }),
      ]);
      for (const r of together) {
        expect(r.status).toBe('rejected');
        expect(isStoreOutage((r as PromiseRejectedResult).reason as Error)).toBe(true);
      }
      // A write that does not wait still works.
      expect((await accounts.create({ username: 'yan', password_hash: 'h' })).username).toBe('yan');
    } finally {
      await group.replica.resume();
    }
    // Retried once the replica answers again: done, and confirmed.
    expect((await accounts.update(account.id, { disabled: true })).disabled).toBe(true);
    expect(await credentials.delete(account.id, credential.id)).toBe(false);
  });

  it('a sign-out, a password change and a token revocation answer 503 while the replica is frozen; a sign-in does not', async () => {
    await addUser(tg, 'zoe', PASSWORD);
    const { app, browser, tokens } = await signedIn('zoe');
    const leaving = await signedIn('zoe');
    const confirm = await leaving.browser.get(`${tg.url}/session/end`);
    const logout = parseForm(confirm.body);
    await group.synced();
    await group.replica.pause();
    let signedOut: Page;
    let changed: Page;
    try {
      // Signing in again renews the session id; that is no sign-out, and needs no replica.
      const login = await authorize(browser, app, { prompt: 'login' });
      const done = await browser.submit(login.page, { username: 'zoe', password: PASSWORD }, RP_CALLBACK);
      expect((await exchange(app, done, login.verifier)).claims.sub).toBeTruthy();
      signedOut = await leaving.browser.request(new URL(logout.action, confirm.url).href, {
        form: { ...logout.fields, logout: 'yes' },
      });
      changed = await changePassword(browser, PASSWORD, 'a new long enough password');
      await expect(oidc.tokenRevocation(app, tokens.refresh_token as string)).rejects.toMatchObject({
        cause: { status: 503 },
      });
    } finally {
      await group.replica.resume();
    }
    expect(signedOut.status, signedOut.body.slice(0, 300)).toBe(503);
    expect(changed.status, changed.body.slice(0, 300)).toBe(503);
    expect(changed.headers.get('retry-after')).toBe('5');
    // With the replica back, the revocation goes through, and the token is gone.
    await oidc.tokenRevocation(app, tokens.refresh_token as string);
    await expect(oidc.refreshTokenGrant(app, tokens.refresh_token as string)).rejects.toThrow();
  });
});

describe('security writes on one server', () => {
  let server: RedisServer;
  let lone: RedisServer;
  let plain: RunningTollgate;
  let forced: RunningTollgate;

  beforeAll(async () => {
    [server, lone] = await Promise.all([startRedis(), startRedis()]);
    plain = await startTollgate({ redisUrl: server.url });
    // Asking for a replica that is not there: every security write fails, none is said done.
    forced = await startTollgate({ redis: { url: lone.url, wait_replicas: 1, wait_timeout_ms: 100 } });
  });

  afterAll(async () => {
    await plain?.stop();
    await forced?.stop();
    await Promise.all([server?.stop(), lone?.stop()]);
  });

  it('never wait by default: no WAIT, no second connection', async () => {
    const direct = new Redis(server.port, '127.0.0.1');
    try {
      const { accounts } = plain.tollgate.store;
      const account = await accounts.create({ username: 'solo', password_hash: 'h' });
      const started = Date.now();
      await accounts.update(account.id, { password_hash: 'h2' });
      await accounts.delete(account.id);
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS);
      expect(await waits(direct)).toBe(0);
      expect(String(await direct.client('LIST'))).not.toContain('name=tollgate-durable');
    } finally {
      direct.disconnect();
    }
  });

  it('with wait_replicas set and no replica, fail closed', async () => {
    const { accounts } = forced.tollgate.store;
    const account = await accounts.create({ username: 'lone', password_hash: 'h' });
    const r = await refused(accounts.update(account.id, { disabled: true }));
    expect(r, r.error).toMatchObject({ outage: true });
    expect(r.ms).toBeGreaterThanOrEqual(90);
  });
});

describe('security writes on a Cluster', () => {
  let cluster: RedisCluster;
  let clusterTg: RunningTollgate;

  beforeAll(async () => {
    cluster = await startRedisCluster();
    clusterTg = await startTollgate({ redis: { cluster: { nodes: cluster.nodes } } });
  });

  afterAll(async () => {
    await Promise.all(cluster?.servers.map((s) => s.resume().catch(() => {})) ?? []);
    await clusterTg?.stop();
    await cluster?.stop();
  });

  /**
   * The replica of the master that holds `key`, and a replica of another master; polled (bounded)
   * until every master with slots has a replica in the view of the first node (a replica's role
   * reaches it a moment after the cluster is up).
   */
  async function replicas(key: string): Promise<{ own: RedisServer; other: RedisServer }> {
    const slot = Number(await cluster.cli('CLUSTER', 'KEYSLOT', key));
    const deadline = Date.now() + 20_000;
    for (;;) {
      const lines = (await cluster.cli('CLUSTER', 'NODES')).trim().split('\n');
      const nodes = lines.map((line) => {
        const [id = '', address = '', flags = '', masterId = '', , , , , ...slots] = line.split(' ');
        return { id, port: Number(address.split(/[:@]/)[1]), flags, masterId, slots };
      });
      const holds = (slots: string[]) =>
        slots.some((range) => {
          const [low, high = low] = range.split('-').map(Number);
          return low !== undefined && high !== undefined && slot >= low && slot <= high;
        });
      const server = (port: number | undefined) => cluster.servers.find((s) => s.port === port);
      const replicaOf = (masterId: string | undefined) =>
        server(nodes.find((n) => n.flags.includes('slave') && n.masterId === masterId)?.port);
      const masters = nodes.filter((n) => n.flags.includes('master') && n.slots.length > 0);
      const owner = masters.find((n) => holds(n.slots));
      const own = replicaOf(owner?.id);
      const other = masters.filter((n) => n !== owner).map((n) => replicaOf(n.id))[0];
      if (own && other && masters.every((n) => replicaOf(n.id))) return { own, other };
      if (Date.now() > deadline) throw new Error(`no replicas found for ${key}:\n${lines.join('\n')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('compute the hash slot of a key as the cluster does', async () => {
    const keys = [
      '',
      'a',
      'tg:account:{42}',
      'tg:account:usernames',
      '{}x',
      'a{}{b}',
      '{user1000}.following',
      'é',
    ];
    for (const key of keys)
      expect(keySlot(key), key).toBe(Number(await cluster.cli('CLUSTER', 'KEYSLOT', key)));
  });

  it("wait at the key's master: its replica frozen fails the write, another master's does not", async () => {
    const { accounts } = clusterTg.tollgate.store;
    const account = await accounts.create({ username: 'cyd', password_hash: 'h' });
    const { own, other } = await replicas(`tg:account:{${account.id}}`);

    await other.pause();
    try {
      expect((await accounts.update(account.id, { disabled: true })).disabled).toBe(true);
    } finally {
      await other.resume();
    }
    await own.pause();
    try {
      const r = await refused(accounts.update(account.id, { disabled: false }));
      expect(r, r.error).toMatchObject({ outage: true });
    } finally {
      await own.resume();
    }
    expect((await accounts.update(account.id, { disabled: false })).disabled).toBe(false);
  });
});
