import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryCredentialStore } from '../../adapters/memory-credentials.ts';
import { createRedisClient } from '../../adapters/redis-client.ts';
import { createRedisCredentialStore } from '../../adapters/redis-credentials.ts';
import type { CredentialStore } from '../../src/factors/types.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';

/*
 * Credential updates racing deletes and each other (issue 15.7): an update never re-creates a
 * credential deleted meanwhile (regenerated recovery codes used to leave the old set next to the
 * new one, and its codes signed in), and concurrent patches of different fields all land.
 */

function races(name: string, fresh: () => Promise<CredentialStore>) {
  describe(`${name} credential store under concurrency`, () => {
    const recovery = { account_id: 'acct', factor: 'recovery', data: { codes: ['a', 'b'] } };

    it('an update racing a delete does not bring the credential back', async () => {
      const store = await fresh();
      const c = await store.create(recovery);
      // Issued in this order on one connection: the updates' reads go out before the delete.
      const updates = Array.from({ length: 20 }, (_, i) => store.update('acct', c.id, { last_used_at: i }));
      const deleted = store.delete('acct', c.id);
      const results = await Promise.all([...updates, deleted]);
      expect(results.at(-1)).toBe(true);
      expect(await store.get('acct', c.id)).toBeUndefined();
      expect(await store.list('acct')).toEqual([]);
    });

    it('regenerating a set while a login marks a code in the old one leaves only the new set', async () => {
      const store = await fresh();
      const old = await store.create(recovery);
      const [, , created] = await Promise.all([
        store.update('acct', old.id, { data: { codes: ['a-used', 'b'] }, last_used_at: 1 }),
        store.deleteAll('acct', 'recovery'),
        store.create({ ...recovery, data: { codes: ['c', 'd'] } }),
      ]);
      expect((await store.list('acct')).map((c) => c.id)).toEqual([created.id]);
    });

    it('concurrent patches of different fields all land', async () => {
      const store = await fresh();
      const c = await store.create({ account_id: 'acct', factor: 'totp', data: { k: 1 } });
      await Promise.all([
        store.update('acct', c.id, { label: 'phone' }),
        store.update('acct', c.id, { last_used_at: 42 }),
        store.update('acct', c.id, { data: { k: 2 } }),
      ]);
      expect(await store.get('acct', c.id)).toMatchObject({
        label: 'phone',
        last_used_at: 42,
        data: { k: 2 },
      });
    });

    it("an update from the caller's stale copy applies over what is stored, never over the copy", async () => {
      const store = await fresh();
      const read = await store.create({ account_id: 'acct', factor: 'totp', data: { k: 1 } });
      // Changed elsewhere after this caller read it.
      await store.update('acct', read.id, { label: 'phone' });
      const next = await store.update('acct', read.id, { last_used_at: 7 }, { current: read });
      expect(next).toMatchObject({ label: 'phone', last_used_at: 7 });
      expect(await store.get('acct', read.id)).toMatchObject({ label: 'phone', last_used_at: 7 });
      // A copy of a credential deleted since brings nothing back.
      await store.delete('acct', read.id);
      expect(await store.update('acct', read.id, { last_used_at: 8 }, { current: read })).toBeUndefined();
      expect(await store.list('acct')).toEqual([]);
    });

    it('an update of a credential that is gone answers undefined and writes nothing', async () => {
      const store = await fresh();
      expect(await store.update('acct', 'no-such-id', { label: 'x' })).toBeUndefined();
      expect(await store.list('acct')).toEqual([]);
    });
  });
}

races('memory', async () => createMemoryCredentialStore());

let server: RedisServer | undefined;
let redis: Redis | undefined;
describe('redis', () => {
  beforeAll(async () => {
    server = await startRedis();
    redis = createRedisClient({ url: server.url, key_prefix: 'race:' });
  });
  afterAll(async () => {
    await redis?.quit();
    await server?.stop();
  });
  races('redis', async () => {
    await redis?.flushall();
    return createRedisCredentialStore(redis as Redis, { keyPrefix: 'race:' });
  });

  it('an update given the credential as stored is one command: no read before the compare-and-set', async () => {
    const client = redis as Redis;
    const store = createRedisCredentialStore(client, { keyPrefix: 'race:' });
    const read = await store.create({ account_id: 'acct', factor: 'totp', data: { k: 1 } });
    const sent: string[] = [];
    const original = client.sendCommand.bind(client);
    client.sendCommand = ((command: { name: string }, ...rest: unknown[]) => {
      sent.push(command.name);
      return original(command as never, ...(rest as []));
    }) as Redis['sendCommand'];
    try {
      expect(await store.update('acct', read.id, { last_used_at: 9 }, { current: read })).toMatchObject({
        last_used_at: 9,
      });
    } finally {
      client.sendCommand = original;
    }
    expect(sent).toEqual(['eval']);
  });

  it('a login that read the old set before a regeneration cannot write it back after', async () => {
    const client = redis as Redis;
    await client.flushall();
    // The login's store holds each read until the test lets it go: its write then comes after
    // the whole regeneration, as when another process regenerated between read and write.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slowReads = new Proxy(client, {
      get(target, prop) {
        if (prop === 'hget') {
          return async (...args: Parameters<Redis['hget']>) => {
            const value = await target.hget(...args);
            await held;
            return value;
          };
        }
        const value = Reflect.get(target, prop, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const login = createRedisCredentialStore(slowReads, { keyPrefix: 'race:' });
    const account = createRedisCredentialStore(client, { keyPrefix: 'race:' });
    const old = await account.create({ account_id: 'acct', factor: 'recovery', data: { codes: ['a'] } });
    const marking = login.update('acct', old.id, { data: { codes: ['a-used'] }, last_used_at: 1 });
    await account.deleteAll('acct', 'recovery');
    const fresh = await account.create({ account_id: 'acct', factor: 'recovery', data: { codes: ['b'] } });
    release();
    expect(await marking).toBeUndefined();
    expect((await account.list('acct')).map((c) => c.id)).toEqual([fresh.id]);
  });
});
