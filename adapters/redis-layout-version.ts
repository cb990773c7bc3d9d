import { StoreLayoutError } from '../src/errors.ts';
import { dataNodes, type RedisClient } from './redis-client.ts';
import { LAYOUT_VERSION, layoutKey } from './redis-layout.ts';

/*
 * The layout version of a key prefix (adapters/redis-layout.ts). A store is checked before
 * tollgate serves or a command writes: the version key names the layout; without one, keys
 * named the layout 1 way mean layout 1, and a store without them (a new one) is marked as this
 * layout.
 */

/** Families whose key names did not change in layout 2. */
const UNCHANGED = /^(kv|rl|otp|lock):/;

/**
 * True for a key name written by layout 1: under the prefix, with a family that changed, and
 * without the braces every layout 2 name of those families carries.
 */
export function isLayout1Key(prefix: string, key: string): boolean {
  if (!key.startsWith(prefix)) return false;
  const rest = key.slice(prefix.length);
  if (rest.includes('{') || UNCHANGED.test(rest)) return false;
  return rest.includes(':') && rest !== 'account:usernames';
}

/** A MATCH pattern for every key under `prefix`, its glob characters escaped. */
export function prefixPattern(prefix: string): string {
  return `${prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`)}*`;
}

/**
 * Calls `each` with the keys under `prefix`, a SCAN batch at a time, on every server that holds
 * data (each master of a Cluster). Stops early when `each` returns true.
 */
export async function scanPrefix(
  redis: RedisClient,
  prefix: string,
  each: (keys: string[], node: RedisClient) => Promise<boolean | undefined> | boolean | undefined,
): Promise<void> {
  const pattern = prefixPattern(prefix);
  for (const node of dataNodes(redis)) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0 && (await each(keys, node)) === true) return;
    } while (cursor !== '0');
  }
}

/** The layout the version key names, undefined without one; anything but a number is unknown (newer). */
export async function storedLayout(redis: RedisClient, prefix: string): Promise<number | undefined> {
  const raw = await redis.get(layoutKey(prefix));
  if (raw === null) return undefined;
  return /^\d+$/.test(raw) ? Number(raw) : Number.POSITIVE_INFINITY;
}

/** True when some key under `prefix` is named the layout 1 way (walks the keyspace). */
export async function hasLayout1Keys(redis: RedisClient, prefix: string): Promise<boolean> {
  let found = false;
  await scanPrefix(redis, prefix, (keys) => {
    found = keys.some((k) => isLayout1Key(prefix, k));
    return found;
  });
  return found;
}

/** What to tell an operator about a store in layout `found`. */
export function layoutError(prefix: string, found: number): StoreLayoutError {
  if (found > LAYOUT_VERSION) {
    return new StoreLayoutError(
      'layout_newer',
      found,
      `the Redis store under key prefix "${prefix}" has key layout ${Number.isFinite(found) ? found : 'unknown'}, newer than this tollgate knows (${LAYOUT_VERSION}): run the tollgate release that wrote it, or a later one`,
    );
  }
  return new StoreLayoutError(
    'layout_older',
    found,
    `the Redis store under key prefix "${prefix}" has key layout ${found}, older than this tollgate's (${LAYOUT_VERSION}): stop every tollgate on it, then run \`tollgate store migrate\` (a dry run) and \`tollgate store migrate --apply\``,
  );
}

/**
 * Makes sure the store under `prefix` is in this code's layout before anything writes to it:
 * resolves when it is (marking a new store as such), throws {@link StoreLayoutError} when it is
 * in another one. The first check of a store without a version key walks its keys once.
 */
export async function ensureLayout(redis: RedisClient, prefix: string): Promise<void> {
  let found = await storedLayout(redis, prefix);
  if (found === undefined) {
    if (await hasLayout1Keys(redis, prefix)) throw layoutError(prefix, 1);
    // NX: two processes starting at once on a new store both end up here; one writes it.
    await redis.set(layoutKey(prefix), String(LAYOUT_VERSION), 'NX');
    found = await storedLayout(redis, prefix);
  }
  if (found !== LAYOUT_VERSION) throw layoutError(prefix, found ?? 1);
}
