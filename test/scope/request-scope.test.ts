// One request's view of the store (src/scope/): reads shared and read ahead, writes batched and
// awaited before the response, a failed batched write failing the request without the headers
// it had set, and nothing of it outside a request.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { AdapterPayload } from 'oidc-provider';
import { describe, expect, it } from 'vitest';
import { createMemoryAdapter } from '../../adapters/memory.ts';
import { createMemoryCredentialStore } from '../../adapters/memory-credentials.ts';
import { createMemoryKeyValueStore } from '../../adapters/memory-kv.ts';
import type { CredentialStore, KeyValueStore } from '../../src/factors/types.ts';
import { requestScopedAdapter } from '../../src/scope/adapter.ts';
import {
  batchWrite,
  readAhead,
  requestScope,
  sharedRead,
  withRequestScope,
} from '../../src/scope/request-scope.ts';
import { scopedCredentials, scopedKeyValue, sharesReads } from '../../src/scope/stores.ts';

/** A promise and the functions that settle it. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** `kv` counting its calls by method. */
function counted(kv: KeyValueStore) {
  const calls: string[] = [];
  const log = <T>(call: string, result: T) => {
    calls.push(call);
    return result;
  };
  const store: KeyValueStore = {
    get: (key) => log(`get ${key}`, kv.get(key)),
    set: (key, value, ttl) => log(`set ${key}`, kv.set(key, value, ttl)),
    setIfAbsent: (key, value, ttl) => log(`setIfAbsent ${key}`, kv.setIfAbsent(key, value, ttl)),
    delete: (key) => log(`delete ${key}`, kv.delete(key)),
  };
  return { store, calls };
}

describe('shared reads', () => {
  it('one read per key and request; every call outside a request reads', async () => {
    let reads = 0;
    const read = () => sharedRead('k', async () => ++reads);
    expect(await withRequestScope(async () => [await read(), await read(), await read()])).toEqual([1, 1, 1]);
    expect(await withRequestScope(read)).toBe(2);
    expect([await read(), await read()]).toEqual([3, 4]);
  });

  it('a failed read is not kept: the next caller reads again', async () => {
    let reads = 0;
    const read = () =>
      sharedRead('k', async () => {
        reads++;
        if (reads === 1) throw new Error('store down');
        return reads;
      });
    await withRequestScope(async () => {
      await expect(read()).rejects.toThrow('store down');
      expect(await read()).toBe(2);
    });
  });

  it('the key-value store: a write is what later reads of the request see; setIfAbsent always asks', async () => {
    const { store, calls } = counted(createMemoryKeyValueStore());
    const kv = scopedKeyValue(store);
    await withRequestScope(async () => {
      expect(await kv.get('a')).toBeUndefined();
      expect(await kv.get('a')).toBeUndefined();
      await kv.set('a', '1', 60);
      expect(await kv.get('a')).toBe('1');
      expect(await kv.setIfAbsent('a', '2', 60)).toBe(false);
      expect(await kv.setIfAbsent('a', '2', 60)).toBe(false);
      await kv.delete('a');
      expect(await kv.get('a')).toBeUndefined();
    });
    expect(calls).toEqual(['get a', 'set a', 'setIfAbsent a', 'setIfAbsent a', 'delete a']);
  });

  it('credentials: listed once, callers get copies, a write is seen by the reads after it', async () => {
    const inner = createMemoryCredentialStore();
    let lists = 0;
    const store: CredentialStore = {
      ...inner,
      list: (id) => {
        lists++;
        return inner.list(id);
      },
    };
    const credentials = scopedCredentials(store);
    const c = await inner.create({ account_id: 'acct', factor: 'totp', data: { k: 1 } });
    await withRequestScope(async () => {
      const first = await credentials.list('acct');
      (first[0] as { label?: string }).label = 'changed by a caller';
      expect((await credentials.list('acct'))[0]?.label).toBeUndefined();
      await credentials.update('acct', c.id, { label: 'phone' });
      expect((await credentials.list('acct'))[0]?.label).toBe('phone');
      await credentials.create({ account_id: 'acct', factor: 'recovery', data: {} });
      expect(await credentials.list('acct')).toHaveLength(2);
    });
    // The update replaced the shared copy; the create dropped it.
    expect(lists).toBe(2);
  });
});

it('a wrapper wrapped again is itself; two wrappers of one store share reads and writes', async () => {
  const { store, calls } = counted(createMemoryKeyValueStore());
  const one = scopedKeyValue(store);
  expect(scopedKeyValue(one)).toBe(one);
  expect(sharesReads(one)).toBe(true);
  expect(sharesReads(store)).toBe(false);
  const other = scopedKeyValue(store);
  await withRequestScope(async () => {
    expect(await one.get('a')).toBeUndefined();
    expect(await other.get('a')).toBeUndefined();
    await other.set('a', '1', 60);
    expect(await one.get('a')).toBe('1');
  });
  expect(calls).toEqual(['get a', 'set a']);
});

describe('batched writes', () => {
  it('a use stamp goes out with the request and is awaited before it ends', async () => {
    const inner = createMemoryCredentialStore();
    const written = deferred();
    const store: CredentialStore = {
      ...inner,
      update: async (...args) => {
        await written.promise;
        return inner.update(...args);
      },
    };
    const credentials = scopedCredentials(store);
    const c = await inner.create({ account_id: 'acct', factor: 'totp', data: {} });
    let stepDone = false;
    const request = withRequestScope(async () => {
      await credentials.list('acct');
      const stamped = await credentials.update('acct', c.id, { last_used_at: 7 });
      expect(stamped?.last_used_at).toBe(7);
      expect((await credentials.list('acct'))[0]?.last_used_at).toBe(7);
      stepDone = true;
    });
    await new Promise((r) => setImmediate(r));
    // The step went on while the write was under way; the request waits for it.
    expect(stepDone).toBe(true);
    let ended = false;
    void request.then(() => {
      ended = true;
    });
    await new Promise((r) => setImmediate(r));
    expect(ended).toBe(false);
    written.resolve();
    await request;
    expect((await inner.get('acct', c.id))?.last_used_at).toBe(7);
  });

  it('a failed batched write fails the request once every write settled; a request error wins', async () => {
    const slow = deferred();
    let slowDone = false;
    const failing = withRequestScope(async () => {
      await batchWrite(Promise.reject(new Error('write lost')));
      await batchWrite(slow.promise.then(() => (slowDone = true)));
      return 'answer';
    });
    setImmediate(() => slow.resolve());
    await expect(failing).rejects.toThrow('write lost');
    expect(slowDone).toBe(true);

    const both = withRequestScope(async () => {
      await batchWrite(Promise.reject(new Error('write lost')));
      throw new Error('request failed');
    });
    await expect(both).rejects.toThrow('request failed');
  });

  it('outside a request a batched write is awaited where it is made', async () => {
    await expect(batchWrite(Promise.reject(new Error('write lost')))).rejects.toThrow('write lost');
  });
});

describe('requestScope() middleware', () => {
  async function serve(handler: Koa.Middleware) {
    const app = new Koa();
    app.use(async (ctx, next) => {
      try {
        await next();
      } catch (err) {
        ctx.status = 503;
        ctx.body = (err as Error).message;
      }
    });
    app.use(requestScope());
    app.use(handler);
    const server = createServer(app.callback()).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const res = await fetch(url, { redirect: 'manual' });
    server.close();
    return res;
  }

  it('drops the headers a request set when a batched write fails, so no code or cookie leaves', async () => {
    const res = await serve(async (ctx) => {
      await batchWrite(Promise.reject(new Error('write lost')));
      ctx.cookies.set('session', 'id');
      ctx.redirect('http://127.0.0.1:9/cb?code=secret');
    });
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('write lost');
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it("keeps the headers of a request's own error (a 401's WWW-Authenticate)", async () => {
    const res = await serve(async (ctx) => {
      ctx.set('WWW-Authenticate', 'Basic');
      throw new Error('refused');
    });
    expect(res.status).toBe(503);
    expect(res.headers.get('www-authenticate')).toBe('Basic');
  });
});

describe('requestScopedAdapter()', () => {
  const code = (extra: Partial<AdapterPayload> = {}): AdapterPayload => ({
    kind: 'AuthorizationCode',
    jti: 'c1',
    grantId: 'g1',
    accountId: 'acct',
    sessionUid: 'u1',
    expiresWithSession: true,
    ...extra,
  });

  it("reads a code's grant and session ahead, and shares every read of the request", async () => {
    const Memory = createMemoryAdapter();
    const found: string[] = [];
    class Watched extends Memory {
      readonly #model: string;
      constructor(model: string) {
        super(model);
        this.#model = model;
      }
      override find(id: string) {
        found.push(`${this.#model} ${id}`);
        return super.find(id);
      }
      override findByUid(uid: string) {
        found.push(`${this.#model} uid ${uid}`);
        return super.findByUid(uid);
      }
    }
    await new Memory('AuthorizationCode').upsert('c1', code(), 60);
    await new Memory('Grant').upsert('g1', { kind: 'Grant', jti: 'g1', accountId: 'acct' }, 60);
    await new Memory('Session').upsert('s1', { kind: 'Session', jti: 's1', uid: 'u1' }, 60);
    const ahead: string[] = [];
    const Scoped = requestScopedAdapter(Watched as unknown as typeof Memory, {
      readAhead: (model, payload, by) => ahead.push(`${model} ${String(payload.jti)} by ${by}`),
    });
    await withRequestScope(async () => {
      expect(await new Scoped('AuthorizationCode').find('c1')).toMatchObject({ grantId: 'g1' });
      // Both started with the code, before anyone asked.
      expect(found).toEqual(['AuthorizationCode c1', 'Grant g1', 'Session uid u1']);
      expect(await new Scoped('Grant').find('g1')).toMatchObject({ jti: 'g1' });
      expect(await new Scoped('Session').findByUid('u1')).toMatchObject({ jti: 's1' });
      expect(await new Scoped('AuthorizationCode').find('c1')).toMatchObject({ jti: 'c1' });
      expect(found).toHaveLength(3);
    });
    expect(ahead).toEqual(['AuthorizationCode c1 by id', 'Grant g1 by id', 'Session s1 by uid']);
  });

  it('hands out copies, and a write drops what the request had read of that model', async () => {
    const Memory = createMemoryAdapter();
    const Scoped = requestScopedAdapter(Memory);
    await new Memory('Session').upsert('s1', { kind: 'Session', jti: 's1', uid: 'u1', loginTs: 1 }, 60);
    await withRequestScope(async () => {
      const sessions = new Scoped('Session');
      const read = (await sessions.find('s1')) as AdapterPayload;
      read.loginTs = 99;
      expect(await sessions.find('s1')).toMatchObject({ loginTs: 1 });
      await sessions.upsert('s1', { kind: 'Session', jti: 's1', uid: 'u1', loginTs: 2 }, 60);
      expect(await sessions.find('s1')).toMatchObject({ loginTs: 2 });
      await sessions.destroy('s1');
      expect(await sessions.findByUid('u1')).toBeUndefined();
    });
  });

  it('saves are batched in a request: the request ends only once they are stored', async () => {
    const Memory = createMemoryAdapter();
    const stored = deferred();
    class Slow extends Memory {
      override async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
        await stored.promise;
        return super.upsert(id, payload, expiresIn);
      }
    }
    const Scoped = requestScopedAdapter(Slow as unknown as typeof Memory);
    const request = withRequestScope(async () => {
      // Both saves are under way at once; neither answer is awaited here.
      await new Scoped('AccessToken').upsert('a1', { kind: 'AccessToken', jti: 'a1' }, 60);
      await new Scoped('RefreshToken').upsert('r1', { kind: 'RefreshToken', jti: 'r1' }, 60);
      expect(await new Memory('AccessToken').find('a1')).toBeUndefined();
    });
    setImmediate(() => stored.resolve());
    await request;
    expect(await new Memory('AccessToken').find('a1')).toMatchObject({ jti: 'a1' });
    expect(await new Memory('RefreshToken').find('r1')).toMatchObject({ jti: 'r1' });
  });

  it('a replay marker (ReplayDetection) is saved before the request goes on, not batched', async () => {
    const Memory = createMemoryAdapter();
    const stored = deferred();
    class Slow extends Memory {
      override async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
        await stored.promise;
        return super.upsert(id, payload, expiresIn);
      }
    }
    const Scoped = requestScopedAdapter(Slow as unknown as typeof Memory);
    await withRequestScope(async () => {
      let saved = false;
      const marking = new Scoped('ReplayDetection').upsert('j1', { jti: 'j1', iss: 'c' }, 60).then(() => {
        saved = true;
      });
      await new Promise((r) => setImmediate(r));
      expect(saved).toBe(false);
      stored.resolve();
      await marking;
      expect(await new Memory('ReplayDetection').find('j1')).toMatchObject({ iss: 'c' });
    });
  });

  it('outside a request it is the adapter it wraps: nothing shared, no read started ahead', async () => {
    const Memory = createMemoryAdapter();
    const ahead: string[] = [];
    const Scoped = requestScopedAdapter(Memory, { readAhead: (model) => ahead.push(model) });
    await new Scoped('AuthorizationCode').upsert('c1', code(), 60);
    expect(await new Memory('AuthorizationCode').find('c1')).toMatchObject({ jti: 'c1' });
    readAhead(async () => ahead.push('never'));
    expect(await new Scoped('AuthorizationCode').find('c1')).toMatchObject({ jti: 'c1' });
    expect(ahead).toEqual([]);
  });
});
