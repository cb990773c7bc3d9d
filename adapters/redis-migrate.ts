import type { RedisClient } from './redis-client.ts';
import { accountKeys, LAYOUT_VERSION, layoutKey, oidcKeys, POINTER } from './redis-layout.ts';
import { isLayout1Key, layoutError, scanPrefix, storedLayout } from './redis-layout-version.ts';

/*
 * Moves a store from key layout 1 to layout 2 (adapters/redis-layout.ts), key by key: each key
 * is written under its new name, with its remaining lifetime, then the old one is deleted. Run
 * with every tollgate of the prefix stopped. Safe to run again after an interruption: what was
 * moved has a layout 2 name and is not seen again; a key written twice is written the same.
 */

/** What one layout 1 key is. */
export type Layout1Kind =
  | 'record'
  | 'grant record'
  | 'grant index'
  | 'account index'
  | 'uid pointer'
  | 'user code pointer'
  | 'account'
  | 'credentials';

/** The outcome of {@link migrateLayout}. */
export interface MigrationReport {
  /** The layout the version key named before; undefined: none (layout 1 wrote none). */
  from: number | undefined;
  /** Layout 1 keys found, by kind ("grant record": a record that moves into its grant's slot). */
  found: Record<Layout1Kind, number>;
  /** Keys under the prefix in no known layout: left as they are (up to 20 names). */
  unknown: string[];
  unknownCount: number;
  /** Whether keys were moved and the version key set (false: a dry run). */
  applied: boolean;
}

/** Options for {@link migrateLayout}. */
export interface MigrateOptions {
  /** Write: move the keys and set the version key. @default false (a dry run: read only) */
  apply?: boolean;
}

const SHOWN_UNKNOWN = 20;

type Plan = { kind: Layout1Kind; move: () => Promise<void> };

/**
 * Finds every layout 1 key under `prefix` and, with `apply`, moves it to its layout 2 name;
 * then records layout 2 in the version key. Throws {@link StoreLayoutError} on a store whose
 * version key names a layout newer than this code's.
 */
export async function migrateLayout(
  redis: RedisClient,
  prefix: string,
  options: MigrateOptions = {},
): Promise<MigrationReport> {
  const from = await storedLayout(redis, prefix);
  if (from !== undefined && from > LAYOUT_VERSION) throw layoutError(prefix, from);
  const report: MigrationReport = {
    from,
    found: {
      record: 0,
      'grant record': 0,
      'grant index': 0,
      'account index': 0,
      'uid pointer': 0,
      'user code pointer': 0,
      account: 0,
      credentials: 0,
    },
    unknown: [],
    unknownCount: 0,
    applied: options.apply === true,
  };
  await scanPrefix(redis, prefix, async (keys, node) => {
    for (const key of keys) {
      if (!isLayout1Key(prefix, key)) continue;
      const plan = await planKey(redis, node, prefix, key);
      if (plan === undefined) {
        report.unknownCount += 1;
        if (report.unknown.length < SHOWN_UNKNOWN) report.unknown.push(key);
        continue;
      }
      report.found[plan.kind] += 1;
      if (options.apply) await plan.move();
    }
    return false;
  });
  if (options.apply) await redis.set(layoutKey(prefix), String(LAYOUT_VERSION));
  return report;
}

/** Remaining lifetime in ms for PX/PEXPIRE: undefined = none, 'gone' = expired meanwhile. */
async function lifetime(node: RedisClient, key: string): Promise<number | undefined | 'gone'> {
  const pttl = await node.pttl(key);
  if (pttl === -2) return 'gone';
  return pttl > 0 ? pttl : undefined;
}

/** How `key` (layout 1) moves, or undefined when it is nothing tollgate wrote. */
async function planKey(
  redis: RedisClient,
  node: RedisClient,
  prefix: string,
  key: string,
): Promise<Plan | undefined> {
  const oidc = oidcKeys(prefix);
  const accounts = accountKeys(prefix);
  const rest = key.slice(prefix.length);
  const [family = '', ...parts] = rest.split(':');
  const tail = parts.join(':');
  const type = await node.type(key);

  const moveString = (to: (raw: string) => Promise<void>) => async () => {
    const raw = await node.get(key);
    if (raw !== null) await to(raw);
    await node.del(key);
  };
  const setString = async (to: string, raw: string, ttl: number | undefined) => {
    if (ttl === undefined) await redis.set(to, raw);
    else await redis.set(to, raw, 'PX', ttl);
  };
  const moveSorted = (to: string) => async () => {
    const ttl = await lifetime(node, key);
    const flat = await node.zrange(key, '0', '-1', 'WITHSCORES');
    if (ttl !== 'gone' && flat.length > 0) {
      for (let i = 0; i < flat.length; i += 1000) {
        const pairs: string[] = [];
        for (let j = i; j < Math.min(i + 1000, flat.length); j += 2)
          pairs.push(flat[j + 1] as string, flat[j] as string);
        await redis.zadd(to, ...pairs);
      }
      if (ttl !== undefined) await redis.pexpire(to, ttl);
    }
    await node.del(key);
  };
  const moveHash = (to: string) => async () => {
    const ttl = await lifetime(node, key);
    const fields = await node.hgetall(key);
    if (ttl !== 'gone' && Object.keys(fields).length > 0) {
      await redis.hset(to, fields);
      if (ttl !== undefined) await redis.pexpire(to, ttl);
    }
    await node.del(key);
  };

  if (family === 'grant' && type === 'zset')
    return { kind: 'grant index', move: moveSorted(oidc.grant(tail)) };
  if (family === 'byAccount' && type === 'zset') {
    return { kind: 'account index', move: moveSorted(oidc.byAccount(tail)) };
  }
  if ((family === 'uid' || family === 'userCode') && type === 'string' && parts.length >= 2) {
    const [model = '', ...value] = parts;
    const to = family === 'uid' ? oidc.uid(model, value.join(':')) : oidc.userCode(model, value.join(':'));
    return {
      kind: family === 'uid' ? 'uid pointer' : 'user code pointer',
      move: moveString(async (raw) => {
        const ttl = await lifetime(node, key);
        if (ttl !== 'gone') await setString(to, raw, ttl);
      }),
    };
  }
  if (family === 'account' && type === 'hash')
    return { kind: 'account', move: moveHash(accounts.account(tail)) };
  if (family === 'cred' && type === 'hash')
    return { kind: 'credentials', move: moveHash(accounts.credentials(tail)) };
  // Every other "<Model>:<id>" string is an oidc-provider record (layout 1 stored them as JSON).
  if (type !== 'string' || !/^[A-Z]/.test(family) || tail === '') return undefined;
  const raw = await node.get(key);
  const grantId = raw === null ? undefined : grantOf(raw);
  return {
    kind: grantId === undefined ? 'record' : 'grant record',
    move: moveString(async (value) => {
      const ttl = await lifetime(node, key);
      if (ttl === 'gone') return;
      const id = tail;
      const gid = grantOf(value);
      if (gid === undefined) {
        await setString(oidc.home(family, id), value, ttl);
        return;
      }
      // The record first, then its home's pointer: a reader never meets a pointer to nothing.
      await setString(oidc.member(family, gid, id), value, ttl);
      await setString(oidc.home(family, id), POINTER + gid, ttl);
    }),
  };
}

/** The grantId of a stored record, undefined when it has none (or is not JSON). */
function grantOf(raw: string): string | undefined {
  try {
    const payload = JSON.parse(raw) as { grantId?: unknown };
    return typeof payload.grantId === 'string' ? payload.grantId : undefined;
  } catch {
    return undefined;
  }
}
