import type { Redis } from 'ioredis';
import type { AdapterPayload } from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisAdapter } from '../../adapters/redis.ts';
import { createRedisClient } from '../../adapters/redis-client.ts';
import { oidcKeys } from '../../adapters/redis-layout.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { countRoundTrips } from '../helpers/round-trips.ts';
import { token } from './helpers.ts';

/*
 * What only the Redis adapter and its client promise, beyond the storage contract both adapters
 * keep (contract.test.ts): the stored bytes, one command per lookup, script reloads, reconnects.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Payloads of one code + PKCE login as oidc-provider 9 saves them (43-character ids). */
function realisticLogin() {
  const id = (c: string) => c.repeat(43);
  const codeId = id('c');
  const accessId = id('a');
  const refreshId = id('r');
  const sessionId = id('s');
  const grantId = id('g');
  const sessionUid = id('u');
  const iat = 1_800_000_000;
  const accountId = '6d1c06b9-38a7-4ece-8552-68754bc903ae';
  const auth = { acr: 'urn:tollgate:acr:2fa', amr: ['pwd', 'otp', 'mfa'] };
  const common = {
    iat,
    accountId,
    grantId,
    sessionUid,
    clientId: 'web',
    scope: 'openid',
    expiresWithSession: true,
  };
  const records: [string, string, AdapterPayload, number][] = [
    [
      'AuthorizationCode',
      codeId,
      {
        ...common,
        ...auth,
        exp: iat + 60,
        authTime: iat,
        codeChallenge: id('x'),
        codeChallengeMethod: 'S256',
        redirectUri: 'http://127.0.0.1:9/cb',
        kind: 'AuthorizationCode',
        jti: codeId,
      },
      60,
    ],
    [
      'AccessToken',
      accessId,
      {
        ...common,
        exp: iat + 3600,
        gty: 'authorization_code',
        kind: 'AccessToken',
        jti: accessId,
        extra: auth,
      },
      3600,
    ],
    [
      'RefreshToken',
      refreshId,
      {
        ...common,
        ...auth,
        exp: iat + 1_209_600,
        authTime: iat,
        gty: 'authorization_code',
        rotations: 0,
        kind: 'RefreshToken',
        jti: refreshId,
        iiat: iat,
      },
      1_209_600,
    ],
    [
      'Session',
      sessionId,
      {
        iat,
        exp: iat + 1_209_600,
        kind: 'Session',
        jti: sessionId,
        uid: sessionUid,
        accountId,
        loginTs: iat,
        ...auth,
        authorizations: { web: { grantId, sid: id('d') } },
      },
      1_209_600,
    ],
    [
      'Grant',
      grantId,
      {
        iat,
        exp: iat + 1_209_600,
        clientId: 'web',
        accountId,
        kind: 'Grant',
        jti: grantId,
        openid: { scope: 'openid' },
      },
      1_209_600,
    ],
  ];
  return { records, codeId, grantId };
}

describe('redis specifics', () => {
  // Its own server: commandstats must not count the contract suite's traffic, and one test kills it.
  let server: RedisServer;
  let client: Redis;
  let observer: Redis;
  beforeAll(async () => {
    server = await startRedis();
    client = createRedisClient({ url: server.url, key_prefix: 'rt:' });
    observer = createRedisClient({ url: server.url, key_prefix: 'rt:' });
    // A later test stops this server on purpose; its reconnect errors are expected, not news.
    for (const c of [client, observer]) c.on('error', () => {});
  });
  afterAll(async () => {
    await client.quit();
    await observer.quit();
    await server.stop();
  });

  const evalshaCalls = async () =>
    Number(/cmdstat_evalsha:calls=(\d+)/.exec(await observer.info('commandstats'))?.[1] ?? 0);

  /** Counts the commands `client` sends while `fn` runs. */
  async function commandsSent(fn: () => Promise<unknown>): Promise<number> {
    let sent = 0;
    const original = client.sendCommand.bind(client);
    client.sendCommand = (...args: Parameters<Redis['sendCommand']>) => {
      sent += 1;
      return original(...args);
    };
    try {
      await fn();
    } finally {
      client.sendCommand = original;
    }
    return sent;
  }

  it("find() of a session is one command, findByUid() two; a grant's record two, then one", async () => {
    const Adapter = createRedisAdapter(client, { keyPrefix: 'rt:' });
    const sessions = new Adapter('Session');
    await sessions.upsert('s1', { uid: 'u1', accountId: 'alice' }, 60);
    await sessions.findByUid('u1'); // loads the scripts into Redis's cache
    expect(await commandsSent(() => sessions.find('s1'))).toBe(1);
    expect(await commandsSent(() => sessions.findByUid('u1'))).toBe(2);

    // Another process (a fresh adapter) reads the home first; this one remembers the grant.
    await new Adapter('AccessToken').upsert('a1', token({ grantId: 'g-elsewhere' }), 60);
    const elsewhere = new (createRedisAdapter(client, { keyPrefix: 'rt:' }))('AccessToken');
    expect(await commandsSent(() => elsewhere.find('a1'))).toBe(2);
    expect(await commandsSent(() => elsewhere.find('a1'))).toBe(1);
    const before = await evalshaCalls();
    expect(await commandsSent(() => new Adapter('AccessToken').find('a1'))).toBe(1);
    expect((await evalshaCalls()) - before).toBe(0);
  });

  it('findByUid() reads the record a uid named last time with its pointer, and follows a pointer that moved', async () => {
    const here = createRedisAdapter(client, { keyPrefix: 'rt:' });
    const elsewhere = createRedisAdapter(client, { keyPrefix: 'rt:' });
    await new here('Session').upsert('first', { uid: 'u7', accountId: 'alice' }, 60);
    const trips = await countRoundTrips(client, async () => {
      expect(await new here('Session').findByUid('u7')).toEqual({ uid: 'u7', accountId: 'alice' });
    });
    expect(trips).toHaveLength(1);
    // Another process saved the session under a new id (the old record is still there): the
    // pointer decides.
    await new elsewhere('Session').upsert('second', { uid: 'u7', accountId: 'bob' }, 60);
    expect(await new here('Session').findByUid('u7')).toEqual({ uid: 'u7', accountId: 'bob' });
    await new elsewhere('Session').destroy('second');
    expect(await new here('Session').findByUid('u7')).toBeUndefined();
  });

  it('reloads its scripts after Redis lost them (restart)', async () => {
    const sessions = new (createRedisAdapter(client, { keyPrefix: 'rt:' }))('Session');
    await sessions.findByUid('warm');
    await observer.script('FLUSH');
    await sessions.upsert('s2', { uid: 'u2' }, 60);
    expect(await sessions.findByUid('u2')).toEqual({ uid: 'u2' });
  });

  it("stores plain JSON strings without kind and jti, the consumed stamp first, in the grant's slot", async () => {
    const codes = new (createRedisAdapter(client, { keyPrefix: 'rt:' }))('AuthorizationCode');
    const code = token({ kind: 'AuthorizationCode', jti: 'c1', grantId: 'g1', scope: 'openid' });
    await codes.upsert('c1', code, 60);
    const { kind: _kind, jti: _jti, ...rest } = code;
    // The record lives with its grant; its home points there, with the same lifetime.
    expect(await observer.type('rt:AuthorizationCode:{g1}:c1')).toBe('string');
    expect(await observer.get('rt:AuthorizationCode:{g1}:c1')).toBe(`${JSON.stringify(rest)}\n`);
    expect(await observer.get('rt:AuthorizationCode:{c1}')).toBe('@g1');
    expect(await observer.ttl('rt:AuthorizationCode:{c1}')).toBe(
      await observer.ttl('rt:AuthorizationCode:{g1}:c1'),
    );
    await codes.consume('c1');
    const consumed = (await codes.find('c1'))?.consumed;
    expect(await observer.get('rt:AuthorizationCode:{g1}:c1')).toBe(
      `{"consumed":${consumed},${JSON.stringify(rest).slice(1)}\n`,
    );
    // Grant index members are record keys without the prefix.
    expect(await observer.zrange('rt:grant:{g1}', '0', '-1')).toEqual(['AuthorizationCode:c1']);
    // A record without a grant is its home; pointers carry the braces of their lookup.
    await new (createRedisAdapter(client, { keyPrefix: 'rt:' }))('Session').upsert('s9', { uid: 'u9' }, 60);
    expect(await observer.get('rt:Session:{s9}')).toBe('{"uid":"u9"}');
    expect(await observer.get('rt:uid:Session:{u9}')).toBe('s9');
  });

  it('carries the consumed stamp of a record that joins its grant after being consumed', async () => {
    const devices = new (createRedisAdapter(client, { keyPrefix: 'rt:' }))('DeviceCode');
    await devices.upsert('d7', token({ userCode: 'UC7' }), 60);
    await devices.consume('d7');
    const stamp = (await devices.find('d7'))?.consumed;
    await devices.upsert('d7', token({ userCode: 'UC7', grantId: 'g7' }), 60);
    expect(await observer.get('rt:DeviceCode:{d7}')).toBe('@g7');
    expect(await devices.findByUserCode('UC7')).toMatchObject({ grantId: 'g7', consumed: stamp });
  });

  // Regression guard for the 3 KB-per-login target: hash-encoded consumables (944 B per code),
  // prefixed grant members (a skiplist of 1352 B under "tollgate:") and stored kind/jti.
  it('keeps one login (code, tokens, session, grant) small: MEMORY USAGE per key', async () => {
    const Adapter = createRedisAdapter(client, { keyPrefix: 'tollgate:' });
    const keys = oidcKeys('tollgate:');
    const login = realisticLogin();
    for (const [model, id, payload, ttl] of login.records) await new Adapter(model).upsert(id, payload, ttl);
    await new Adapter('AuthorizationCode').consume(login.codeId);
    const usage = async (key: string) => ({
      type: await observer.type(key),
      encoding: await observer.object('ENCODING', key),
      bytes: (await observer.memory('USAGE', key)) ?? Number.POSITIVE_INFINITY,
    });
    // Layout 1: 632, 552, 488, 488, 264 (Redis 7.0, jemalloc); a grant's record now carries the
    // grant id in its key (+48 B), and its home a pointer.
    const limits: Record<string, number> = {
      AuthorizationCode: 700,
      RefreshToken: 620,
      AccessToken: 560,
      Session: 520,
      Grant: 300,
    };
    let total = 0;
    const parts: string[] = [];
    for (const [model, id, payload] of login.records) {
      const grantId = typeof payload.grantId === 'string' ? payload.grantId : undefined;
      const at = grantId ? keys.member(model, grantId, id) : keys.home(model, id);
      const { type, bytes } = await usage(at);
      expect(type, model).toBe('string');
      expect(bytes, model).toBeLessThan(limits[model] ?? 0);
      total += bytes;
      parts.push(`${model} ${bytes}`);
      if (grantId) {
        const pointer = await usage(keys.home(model, id));
        expect(pointer.bytes, `${model} home`).toBeLessThan(180);
        total += pointer.bytes;
        parts.push(`${model} home ${pointer.bytes}`);
      }
    }
    const grant = await usage(keys.grant(login.grantId));
    expect(grant.encoding).toBe('listpack');
    expect(grant.bytes).toBeLessThan(400);
    total += grant.bytes;
    parts.push(`grant index ${grant.bytes}`);
    for (const key of [
      keys.uid('Session', 'u'.repeat(43)),
      keys.byAccount('6d1c06b9-38a7-4ece-8552-68754bc903ae'),
    ]) {
      const { bytes } = await usage(key);
      total += bytes;
      parts.push(`${key.slice(9, 18)} ${bytes}`);
    }
    console.log(`redis bytes per login (layout 2): ${total}: ${parts.join(', ')}`);
  });

  it('client queues commands until connected, fails fast while Redis is down, and reconnects', async () => {
    const client = createRedisClient({ url: server.url, key_prefix: 'c:' });
    const errors: Error[] = [];
    client.on('error', (err: Error) => errors.push(err));
    try {
      await client.set('c:k', 'v'); // sent before the connection is ready
      expect(await client.get('c:k')).toBe('v');

      await server.kill();
      const attempt = () =>
        Promise.race([
          client.get('c:k').then(
            () => 'answered',
            () => 'failed',
          ),
          // The bound that tells "failed" from "hung": a hang has no event of its own.
          sleep(3000).then(() => 'hung'),
        ]);
      expect(await attempt()).toBe('failed');
      // Also once the reconnect backoff has grown to its cap: time itself is what must pass.
      await sleep(1500);
      expect(await attempt()).toBe('failed');

      await server.restart();
      // Bounded poll until the client has reconnected, generous for a loaded machine.
      const deadline = Date.now() + 15_000;
      let pong = '';
      while (Date.now() < deadline && pong !== 'PONG') {
        pong = await client.ping().catch(() => '');
        if (pong !== 'PONG') await sleep(100);
      }
      expect(pong).toBe('PONG');
      expect(errors.length).toBeGreaterThan(0);
    } finally {
      client.disconnect();
    }
  });
});
