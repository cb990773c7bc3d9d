import type { Redis } from 'ioredis';
import { isCluster, type RedisClient } from './redis-client.ts';

/*
 * Redis replicates asynchronously: a master acknowledges a write before any replica has it, and
 * a failover to that replica (Sentinel, Cluster) loses it. For most of tollgate's state that is a
 * lost sign-in at worst. For security state it is worse: a lost write can give back access that
 * was taken away (a password changed, a factor removed, a session signed out). Those writes are
 * followed by `WAIT <replicas> <timeout>`, and report success only once that many replicas have
 * acknowledged them; otherwise they fail closed (the request answers 503; the user retries).
 * Which writes do is decided in adapters/redis-durable.ts.
 *
 * WAIT covers the writes of the connection it is sent on, and blocks that connection until it
 * answers: the writes that wait have a connection of their own (the caller's `redis`), so a slow
 * replica holds up no other request. On a Cluster, WAIT goes to the master of each key written
 * (the slot map after the write, so a write that followed a MOVED waits where it landed).
 */

/** How a write waits for replicas. */
export interface ReplicaWaitOptions {
  /** Replicas that must acknowledge the write (`WAIT` numreplicas); at least 1. */
  replicas: number;
  /** How long `WAIT` may block, in ms; below the client's command timeout (2000 ms). */
  timeoutMs: number;
}

/**
 * A write that fewer replicas than asked for acknowledged in time, or whose connection changed
 * between the write and its `WAIT` (so the `WAIT` could not vouch for it). The write may still be
 * on the master: each write that waits can be repeated without harm, so the caller retries. The
 * message starts with `NOREPLICAS`, as Redis's own error for writes refused by
 * `min-replicas-to-write`, so the HTTP layers read it as a store outage (503).
 */
export class ReplicaWaitError extends Error {
  override readonly name = 'ReplicaWaitError';
  readonly code = 'NOREPLICAS';
}

/** `store.redis.wait_timeout_ms` when it is not set. */
export const DEFAULT_WAIT_TIMEOUT_MS = 1000;

/**
 * How security writes wait under a `store.redis` block (or the auth-proxy's `session.store`):
 * `wait_replicas`, by default 1 behind Sentinel or on a Cluster (a failover promotes a replica)
 * and 0 on one server (`url`: nothing to fail over to, so a server without replicas never waits).
 * Undefined: they do not wait.
 */
export function replicaWaitOf(config: {
  sentinel?: unknown;
  cluster?: unknown;
  wait_replicas?: number | undefined;
  wait_timeout_ms?: number | undefined;
}): ReplicaWaitOptions | undefined {
  const replicas = config.wait_replicas ?? (config.sentinel || config.cluster ? 1 : 0);
  if (replicas <= 0) return undefined;
  return { replicas, timeoutMs: config.wait_timeout_ms ?? DEFAULT_WAIT_TIMEOUT_MS };
}

/** Hash slots of a Redis Cluster. */
const SLOTS = 16384;

/**
 * CRC16/XMODEM, the key hash of Redis Cluster. Not ioredis's `cluster-key-slot`: it reads a key
 * with an empty tag before another (`a{}{b}`) by the later tag, where Redis hashes the whole key
 * (test/adapters/replica-wait.test.ts compares with CLUSTER KEYSLOT).
 */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The Cluster hash slot of `key`: of its hash tag (the first non-empty `{...}`) when it has one. */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  return crc16(new TextEncoder().encode(key)) % SLOTS;
}

/** The connections a write may go out on: the client, or every node of a Cluster. */
function connectionsOf(redis: RedisClient): Redis[] {
  return isCluster(redis) ? redis.nodes('all') : [redis];
}

/** The connections to the masters that hold `keys`, one each. */
function mastersOf(redis: RedisClient, keys: readonly string[]): Redis[] {
  if (!isCluster(redis)) return [redis];
  const byNode = new Map(redis.nodes('master').map((n) => [`${n.options.host}:${n.options.port}`, n]));
  const masters = new Set<Redis>();
  for (const key of keys) {
    const nodeKey = redis.slots[keySlot(key)]?.[0];
    const node = nodeKey === undefined ? undefined : byNode.get(nodeKey);
    if (!node) throw new ReplicaWaitError(`NOREPLICAS no connection to the master of ${key}`);
    masters.add(node);
  }
  return [...masters];
}

/**
 * Runs `write` (commands on `redis` that touch `keys`), then waits until `options.replicas`
 * replicas of each master holding `keys` acknowledged it. Throws {@link ReplicaWaitError} when
 * they did not within `options.timeoutMs`, or when a connection was re-made meanwhile (a
 * failover: the write may have gone to the old master, the `WAIT` to the new one).
 */
export async function writeAndWait<T>(
  redis: RedisClient,
  keys: readonly string[],
  write: () => Promise<T>,
  options: ReplicaWaitOptions,
): Promise<T> {
  // ioredis opens a new socket when it reconnects: the same socket before the write (unless the
  // connection was first made for it), after it and after the WAIT means one unbroken connection
  // carried both.
  const before = new Map(connectionsOf(redis).map((c) => [c, c.stream]));
  const result = await write();
  await Promise.all(
    mastersOf(redis, keys).map(async (node) => {
      const socket = node.stream;
      const earlier = before.get(node);
      const acked = Number(await node.call('WAIT', String(options.replicas), String(options.timeoutMs)));
      if ((earlier !== undefined && earlier !== socket) || node.stream !== socket) {
        throw new ReplicaWaitError('NOREPLICAS the connection was re-made between the write and its WAIT');
      }
      if (acked < options.replicas) {
        throw new ReplicaWaitError(
          `NOREPLICAS ${acked} of ${options.replicas} replica(s) acknowledged the write within ${options.timeoutMs} ms`,
        );
      }
    }),
  );
  return result;
}
