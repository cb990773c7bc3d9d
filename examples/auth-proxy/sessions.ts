import { createHash, hash, hkdfSync, randomBytes } from 'node:crypto';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { KeyValueStore, Logger } from 'tollgate';
import { createSecretBox, type SecretBox } from 'tollgate';
import type { RedisClient } from 'tollgate/adapters/redis-client';
import type { SessionCache } from './session-cache.ts';
import type { Identity } from './types.ts';

/**
 * Proxy sessions. The cookie holds only an opaque random ticket; everything else is sealed
 * (AES-256-GCM, key derived from the cookie secret) in the key-value store under the ticket's
 * SHA-256, so neither a stolen store dump nor the cookie alone reveals tokens. With Redis, reads
 * may come from a per-process cache (session-cache.ts) that every change invalidates; the
 * refresh path always reads Redis itself, under its lock.
 */

/** What a session knows; tokens never leave the proxy. */
export interface SessionData {
  identity: Identity;
  /** tollgate's session id (ID token `sid`), for back-channel logout. */
  sid?: string;
  id_token?: string;
  access_token: string;
  refresh_token?: string;
  /** When the access token expires, epoch seconds. */
  expires_at: number;
  /**
   * When `identity` was last read from tollgate (sign-in or refresh), epoch seconds. Older than
   * `refreshIdentitySeconds`, the session is refreshed like one whose token is due.
   */
  identity_at?: number;
  /** When the session ends whatever happens, epoch seconds. */
  ends_at: number;
}

/** Exchanges a session's refresh token for new tokens; throws when the provider refuses. */
export type Refresher = (data: SessionData) => Promise<SessionData>;

/** Short cross-process mutual exclusion (Redis `SET NX PX`). */
export interface Locks {
  /** A token when this call took the lock, else undefined. */
  acquire(key: string, ttlMs: number): Promise<string | undefined>;
  /** Releases only when `token` still holds it (an expired lock may belong to someone else). */
  release(key: string, token: string): Promise<void>;
}

/** Options of {@link createSessionStore}. */
export interface SessionStoreOptions {
  kv: KeyValueStore;
  locks: Locks;
  /** The cookie secret; the encryption key is derived from it with HKDF. */
  secret: string;
  /** Seconds a session lives from sign-in. */
  ttlSeconds: number;
  refresh: Refresher;
  /** Refresh when the access token has fewer seconds than this left. @default 60 */
  refreshBeforeSeconds?: number;
  /**
   * Refresh (new tokens, identity re-read) when the identity is older than this many seconds,
   * due token or not: the bound on how stale groups and email can be. 0 = only when the token
   * is due. @default 0
   */
  refreshIdentitySeconds?: number;
  /**
   * Decoded sessions kept in this process, invalidated across processes (Redis stores only).
   * Omitted = every read goes to `kv`.
   */
  cache?: SessionCache<SessionData>;
  /** @default Date.now */
  now?: () => number;
  logger?: Logger;
}

export interface SessionStore {
  /**
   * Stores a new session under a fresh ticket (sign-in always gets a new ticket: no fixation).
   * `identity_at` defaults to now.
   */
  create(data: Omit<SessionData, 'ends_at'>): Promise<{ ticket: string; data: SessionData }>;
  /** The session as stored, or undefined (unknown, expired, or sealed under another secret). */
  load(ticket: string): Promise<SessionData | undefined>;
  /**
   * Like {@link load}, refreshing first when the tokens are about to expire or the identity is
   * older than `refreshIdentitySeconds`.
   */
  loadFresh(ticket: string): Promise<SessionData | undefined>;
  save(ticket: string, data: SessionData): Promise<void>;
  destroy(ticket: string): Promise<void>;
  /** Ends the session tollgate knows as `sid` (back-channel logout); true when there was one. */
  destroyBySid(sid: string): Promise<boolean>;
  /** Called with the ticket hash of every session this process destroys (closes WebSockets). */
  onDestroy(listener: (ticketHash: string) => void): void;
}

const TICKET = /^[A-Za-z0-9_-]{43}$/;
const LOCK_TTL_MS = 10_000;
const LOCK_WAIT_MS = 12_000;
const LOCK_POLL_MS = 25;
/** After a failed refresh, requests keep the old token this long before anyone tries again. */
const RETRY_AFTER_MS = 5_000;

/** A new opaque ticket: 32 random bytes, base64url. */
export function newTicket(): string {
  return randomBytes(32).toString('base64url');
}

/** The store key part for a ticket: the ticket itself is never stored. */
export function hashTicket(ticket: string): string {
  // One-shot hash: on every proxied request, and without createHash's per-call object.
  return hash('sha256', ticket, 'base64url');
}

/** The AES-256-GCM box for session data, keyed by HKDF over the cookie secret. */
export function sessionBox(secret: string): SecretBox {
  const key = Buffer.from(hkdfSync('sha256', secret, 'tollgate-auth-proxy', 'session-encryption-v1', 32));
  // The id names the derived key, so a rotated secret reads old sessions as "unknown key" = none.
  const id = createHash('sha256').update(key).digest('base64url').slice(0, 8);
  return createSecretBox([{ id, key }]);
}

export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const { kv, locks, refresh, cache } = options;
  const now = options.now ?? Date.now;
  const nowS = () => Math.floor(now() / 1000);
  const box = sessionBox(options.secret);
  const refreshBefore = options.refreshBeforeSeconds ?? 60;
  const identityMaxAge = options.refreshIdentitySeconds ?? 0;
  const inflight = new Map<string, Promise<SessionData | undefined>>();
  const failedUntil = new Map<string, number>();
  const listeners = new Set<(hash: string) => void>();
  const sessionKey = (hash: string) => `proxy-session:${hash}`;
  const sidKey = (sid: string) => `proxy-sid:${sid}`;
  // One tollgate session can back several proxy sessions (a browser signed in on two proxy
  // origins): the index keeps the latest few ticket hashes, so back-channel logout ends them all.
  const sidHashes = async (sid: string): Promise<string[]> => {
    const raw = await kv.get(sidKey(sid));
    try {
      const list: unknown = raw ? JSON.parse(raw) : [];
      return Array.isArray(list) ? list.filter((h): h is string => typeof h === 'string') : [];
    } catch {
      return [];
    }
  };
  const usable = (d: SessionData) => d.expires_at > nowS() && d.ends_at > nowS();
  const needsRefresh = (d: SessionData) => {
    const now = nowS();
    // A session from before identity_at existed counts as read long ago: refreshed at once.
    return (
      d.expires_at - now < refreshBefore ||
      (identityMaxAge > 0 && (d.identity_at ?? 0) + identityMaxAge <= now)
    );
  };

  /** The session as stored in `kv`, ended or not. */
  async function readByHash(hash: string): Promise<SessionData | undefined> {
    const sealed = await kv.get(sessionKey(hash)); // store errors propagate: callers fail closed
    if (!sealed) return undefined;
    try {
      return JSON.parse(box.open(sealed, sessionKey(hash)).toString('utf8')) as SessionData;
    } catch {
      return undefined; // tampered with, or sealed under an old secret
    }
  }

  const live = (d: SessionData | undefined) => (d && d.ends_at > nowS() ? d : undefined);
  /** The live session, read from the store itself (the refresh path, under its lock). */
  const loadByHash = async (hash: string) => live(await readByHash(hash));
  /** The live session, from this process's cache when there is one (the request path). */
  const loadCached = async (hash: string) =>
    live(cache ? await cache.read(hash, () => readByHash(hash)) : await readByHash(hash));

  /** Runs a write of session `hash`, then makes every process's cache forget it. */
  async function change(hash: string, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      cache?.evict(hash); // a failed (timed out) write may still have been applied
      throw err;
    }
    await cache?.changed(hash);
  }

  async function saveByHash(hash: string, data: SessionData): Promise<void> {
    const ttl = data.ends_at - nowS();
    if (ttl <= 0) return;
    const sealed = box.seal(Buffer.from(JSON.stringify(data), 'utf8'), sessionKey(hash));
    await kv.set(sessionKey(hash), sealed, ttl);
    if (data.sid) {
      const hashes = [hash, ...(await sidHashes(data.sid)).filter((h) => h !== hash)].slice(0, 16);
      await kv.set(sidKey(data.sid), JSON.stringify(hashes), options.ttlSeconds);
    }
  }

  async function destroyByHash(hash: string): Promise<void> {
    const data = await loadByHash(hash);
    await change(hash, () => kv.delete(sessionKey(hash)));
    if (data?.sid) {
      const rest = (await sidHashes(data.sid)).filter((h) => h !== hash);
      if (rest.length > 0) await kv.set(sidKey(data.sid), JSON.stringify(rest), options.ttlSeconds);
      else await kv.delete(sidKey(data.sid));
    }
    failedUntil.delete(hash);
    for (const listener of listeners) listener(hash);
  }

  /** Holds the cross-process lock, re-reads, and refreshes only when still needed. */
  async function refreshLocked(hash: string): Promise<SessionData | undefined> {
    const lockKey = `proxy-refresh:${hash}`;
    const deadline = now() + LOCK_WAIT_MS;
    let token = await locks.acquire(lockKey, LOCK_TTL_MS);
    while (!token) {
      // Another process is refreshing: wait for it, then read what it stored.
      if (now() > deadline) {
        const current = await loadByHash(hash);
        return current && usable(current) ? current : undefined;
      }
      await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
      token = await locks.acquire(lockKey, LOCK_TTL_MS);
    }
    try {
      // Re-read under the lock: a refresh that finished meanwhile already rotated the refresh
      // token, and using the old one again would make tollgate revoke the whole grant.
      const current = await loadByHash(hash);
      if (!current || !needsRefresh(current)) return current;
      if (!current.refresh_token) return usable(current) ? current : undefined;
      let next: SessionData;
      try {
        next = await refresh(current);
      } catch (err) {
        failedUntil.set(hash, now() + RETRY_AFTER_MS);
        options.logger?.warn({ err: (err as Error).message }, 'auth-proxy: token refresh failed');
        // Never sign the user out over a failed refresh while the token still works.
        return usable(current) ? current : undefined;
      }
      // Signed out while the refresh was running: do not bring the session back.
      if (!(await kv.get(sessionKey(hash)))) return undefined;
      await change(hash, () => saveByHash(hash, next));
      failedUntil.delete(hash);
      return next;
    } finally {
      await locks.release(lockKey, token).catch(() => {});
    }
  }

  return {
    async create(fields) {
      const ticket = newTicket();
      const data: SessionData = { identity_at: nowS(), ...fields, ends_at: nowS() + options.ttlSeconds };
      await saveByHash(hashTicket(ticket), data);
      return { ticket, data };
    },
    async load(ticket) {
      return TICKET.test(ticket) ? loadCached(hashTicket(ticket)) : undefined;
    },
    async loadFresh(ticket) {
      if (!TICKET.test(ticket)) return undefined;
      const hash = hashTicket(ticket);
      const data = await loadCached(hash);
      if (!data || !needsRefresh(data)) return data;
      if ((failedUntil.get(hash) ?? 0) > now() || !data.refresh_token) {
        return usable(data) ? data : undefined;
      }
      // One refresh per session in this process: concurrent requests share the promise.
      let shared = inflight.get(hash);
      if (!shared) {
        shared = refreshLocked(hash).finally(() => inflight.delete(hash));
        inflight.set(hash, shared);
      }
      return shared;
    },
    async save(ticket, data) {
      const hash = hashTicket(ticket);
      failedUntil.delete(hash); // new tokens deserve a new refresh attempt
      await change(hash, () => saveByHash(hash, data));
    },
    async destroy(ticket) {
      if (TICKET.test(ticket)) await destroyByHash(hashTicket(ticket));
    },
    async destroyBySid(sid) {
      const hashes = await sidHashes(sid);
      for (const hash of hashes) await destroyByHash(hash);
      await kv.delete(sidKey(sid));
      return hashes.length > 0;
    },
    onDestroy(listener) {
      listeners.add(listener);
    },
  };
}

/** Locks for one process (the memory store): a map with expiry. */
export function createMemoryLocks(now: () => number = Date.now): Locks {
  const held = new Map<string, { token: string; until: number }>();
  return {
    async acquire(key, ttlMs) {
      const current = held.get(key);
      if (current && current.until > now()) return undefined;
      const token = randomBytes(16).toString('base64url');
      held.set(key, { token, until: now() + ttlMs });
      return token;
    },
    async release(key, token) {
      if (held.get(key)?.token === token) held.delete(key);
    },
  };
}

const RELEASE_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/** Locks shared by every proxy process on one Redis, under `{keyPrefix}lock:`. */
export function createRedisLocks(redis: RedisClient, keyPrefix: string): Locks {
  const k = (key: string) => `${keyPrefix}lock:${key}`;
  return {
    async acquire(key, ttlMs) {
      const token = randomBytes(16).toString('base64url');
      return (await redis.set(k(key), token, 'PX', ttlMs, 'NX')) === 'OK' ? token : undefined;
    },
    async release(key, token) {
      await redis.eval(RELEASE_SCRIPT, 1, k(key), token);
    },
  };
}

/** Cookie attributes for the session ticket (and the sign-in CSRF cookie). */
export interface CookieSettings {
  name: string;
  secure: boolean;
}

/** `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/ (the `__Host-` prefix needs it), Secure on https. */
export function serializeCookie(settings: CookieSettings, value: string, maxAgeSeconds: number): string {
  return stringifySetCookie({
    name: settings.name,
    value,
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    maxAge: maxAgeSeconds,
    secure: settings.secure,
  });
}

/**
 * The first value of cookie `name` that `accept` takes. Another site on the parent domain can
 * plant a same-named cookie that the browser sends first; a value that does not pass is
 * skipped, not taken in place of the real one. Values are used raw (ours are base64url).
 */
export function acceptedCookie(
  header: string | undefined,
  name: string,
  accept: (value: string) => boolean,
): string | undefined {
  if (!header) return undefined;
  // cookie's parser moves on to the next same-named pair when decode returns undefined.
  return parseCookie(header, { decode: (v) => (accept(v) ? v : undefined) })[name];
}

/** The ticket a request carries: the first well-formed value of the session cookie. */
export function ticketFrom(header: string | undefined, name: string): string | undefined {
  return acceptedCookie(header, name, (v) => TICKET.test(v));
}
