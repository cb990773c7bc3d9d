// Proxy sessions on their own: what the cookie and the store hold, secret rotation, and the
// refresh rules (single flight, failures never sign anyone out early).
import { describe, expect, it } from 'vitest';
import { createMemoryKeyValueStore } from '../../adapters/memory-kv.ts';
import {
  createMemoryLocks,
  createSessionStore,
  hashTicket,
  type Refresher,
  type SessionData,
  serializeCookie,
  ticketFrom,
} from '../../examples/auth-proxy/sessions.ts';
import type { KeyValueStore } from '../../src/factors/types.ts';

const SECRET = 'cookie-secret-0123456789abcdef0123456789';

/** A store whose raw values the test can read, as an attacker with a Redis dump could. */
function rawKv(): KeyValueStore & { raw: Map<string, string> } {
  const inner = createMemoryKeyValueStore();
  const raw = new Map<string, string>();
  return {
    raw,
    get: (k) => inner.get(k),
    async set(k, v, ttl) {
      raw.set(k, v);
      await inner.set(k, v, ttl);
    },
    setIfAbsent: (k, v, ttl) => inner.setIfAbsent(k, v, ttl),
    async delete(k) {
      raw.delete(k);
      await inner.delete(k);
    },
  };
}

const fields = (expiresIn: number): Omit<SessionData, 'ends_at'> => ({
  identity: { sub: 'u1', username: 'erin', email: 'erin@example.org', groups: ['staff'], amr: ['pwd'] },
  sid: 'sid-1',
  id_token: 'id.token.value',
  access_token: 'access-token-value',
  refresh_token: 'refresh-token-value',
  expires_at: Math.floor(Date.now() / 1000) + expiresIn,
});

function store(refresh: Refresher, kv: KeyValueStore = rawKv(), secret = SECRET) {
  return createSessionStore({ kv, locks: createMemoryLocks(), secret, ttlSeconds: 3600, refresh });
}

const never: Refresher = async () => {
  throw new Error('no refresh expected');
};

describe('auth-proxy sessions', () => {
  it('keeps only an opaque ticket in the cookie and sealed data under its hash in the store', async () => {
    const kv = rawKv();
    const sessions = store(never, kv);
    const { ticket } = await sessions.create(fields(3600));
    expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const keys = [...kv.raw.keys()];
    expect(keys).toContain(`proxy-session:${hashTicket(ticket)}`);
    expect(keys.join()).not.toContain(ticket);
    const dump = [...kv.raw.values()].join('\n');
    for (const secret of [
      'access-token-value',
      'refresh-token-value',
      'id.token.value',
      'erin@example.org',
    ]) {
      expect(dump).not.toContain(secret);
    }
    expect((await sessions.load(ticket))?.identity.username).toBe('erin');
    // Another cookie secret (rotation) cannot open it: signed out, not an error.
    expect(await store(never, kv, `${SECRET}-rotated`).load(ticket)).toBeUndefined();
    expect(await sessions.load('not-a-ticket')).toBeUndefined();
  });

  it('serialises the cookie HttpOnly, SameSite=Lax, Path=/, Secure on https; reads the first valid ticket', () => {
    expect(serializeCookie({ name: '__Host-tollgate_proxy', secure: true }, 't', 60)).toBe(
      '__Host-tollgate_proxy=t; Max-Age=60; Path=/; HttpOnly; Secure; SameSite=Lax',
    );
    const ticket = 'a'.repeat(43);
    expect(ticketFrom(`x=1; tollgate_proxy=short; tollgate_proxy=${ticket}`, 'tollgate_proxy')).toBe(ticket);
    expect(ticketFrom('tollgate_proxyx=1', 'tollgate_proxy')).toBeUndefined();
    // A planted well-formed value sent first is what the browser presents; a malformed one is skipped.
    expect(ticketFrom(`tollgate_proxy=${'b'.repeat(43)}; tollgate_proxy=${ticket}`, 'tollgate_proxy')).toBe(
      'b'.repeat(43),
    );
    expect(ticketFrom(` tollgate_proxy = ${ticket} ;x=1`, 'tollgate_proxy')).toBe(ticket);
  });

  it('shares one refresh between concurrent loads and never refreshes a fresh token again', async () => {
    let calls = 0;
    const sessions = store(async (data) => {
      calls++;
      // A slow refresh, so the loads overlap it (not a wait for anything: the assertions hold
      // however the loads interleave, since a late one finds the token already fresh).
      await new Promise((r) => setTimeout(r, 30));
      return { ...data, access_token: `new-${calls}`, expires_at: Math.floor(Date.now() / 1000) + 3600 };
    });
    const { ticket } = await sessions.create(fields(30));
    const loaded = await Promise.all(Array.from({ length: 10 }, () => sessions.loadFresh(ticket)));
    expect(calls).toBe(1);
    expect(new Set(loaded.map((d) => d?.access_token))).toEqual(new Set(['new-1']));
    await sessions.loadFresh(ticket);
    expect(calls).toBe(1);
  });

  it('keeps a session whose refresh fails until its token expires, then treats it as signed out', async () => {
    let calls = 0;
    const sessions = store(async () => {
      calls++;
      throw new Error('provider down');
    });
    const { ticket } = await sessions.create(fields(30));
    expect((await sessions.loadFresh(ticket))?.access_token).toBe('access-token-value');
    // Failures are not retried on every request.
    await sessions.loadFresh(ticket);
    expect(calls).toBe(1);
    const expired = await sessions.create(fields(-1));
    expect(await sessions.loadFresh(expired.ticket)).toBeUndefined();
    // Not destroyed: a later successful refresh could still bring it back.
    expect(await sessions.load(expired.ticket)).toBeDefined();
  });

  it('ends every proxy session of a tollgate sid, and tells listeners', async () => {
    const sessions = store(never);
    const ended: string[] = [];
    sessions.onDestroy((hash) => ended.push(hash));
    const a = await sessions.create(fields(3600));
    const b = await sessions.create(fields(3600));
    const other = await sessions.create({ ...fields(3600), sid: 'sid-2' });
    expect(await sessions.destroyBySid('sid-1')).toBe(true);
    expect(await sessions.load(a.ticket)).toBeUndefined();
    expect(await sessions.load(b.ticket)).toBeUndefined();
    expect(await sessions.load(other.ticket)).toBeDefined();
    expect(ended.sort()).toEqual([hashTicket(a.ticket), hashTicket(b.ticket)].sort());
    expect(await sessions.destroyBySid('sid-1')).toBe(false);
  });

  it('refreshes a session whose identity is older than refreshIdentitySeconds, token due or not', async () => {
    let clock = Date.now();
    const calls: number[] = [];
    const sessions = createSessionStore({
      kv: rawKv(),
      locks: createMemoryLocks(() => clock),
      secret: SECRET,
      ttlSeconds: 3600,
      refreshIdentitySeconds: 300,
      now: () => clock,
      refresh: async (data) => {
        calls.push(clock);
        return {
          ...data,
          identity: { ...data.identity, groups: ['auditors'] },
          identity_at: Math.floor(clock / 1000),
        };
      },
    });
    const { ticket, data } = await sessions.create(fields(3600));
    expect(data.identity_at).toBe(Math.floor(clock / 1000));
    clock += 299_000;
    expect((await sessions.loadFresh(ticket))?.identity.groups).toEqual(['staff']);
    expect(calls).toHaveLength(0);
    clock += 2_000;
    expect((await sessions.loadFresh(ticket))?.identity.groups).toEqual(['auditors']);
    expect(calls).toHaveLength(1);
    // Read anew: fresh for another interval.
    clock += 60_000;
    await sessions.loadFresh(ticket);
    expect(calls).toHaveLength(1);
  });
});
