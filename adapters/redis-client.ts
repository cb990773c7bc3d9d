import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, type ClusterOptions, Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../src/config/schema.ts';

/**
 * A connection to tollgate's Redis: one server (`url`, or the master Sentinel names), or a Redis
 * Cluster. Both take the same commands; the stores keep to what works on either
 * (adapters/redis-layout.ts).
 */
export type RedisClient = Redis | Cluster;

/**
 * Options for {@link createRedisClient}.
 */
export interface RedisClientOptions {
  /** Connect on the first command (or `connect()`) instead of at construction. @default false */
  lazyConnect?: boolean;
  /** Name of the connection in `CLIENT LIST`. @default "tollgate" */
  connectionName?: string;
}

/** Longest pause between reconnect attempts, in ms. */
const MAX_RECONNECT_DELAY_MS = 1000;

/**
 * A command gives up after this many ms, queued or in flight. Fail closed (SECURITY.md): a login
 * that cannot reach Redis must get an error quickly, not hang until the proxy in front times out.
 */
const COMMAND_TIMEOUT_MS = 2000;

/** One connection attempt (TCP + handshake) may take this long before it counts as failed. */
const CONNECT_TIMEOUT_MS = 2000;

/**
 * No reply at all for this long while commands are pending: the socket is a zombie (frozen
 * server, dropped route) that TCP would notice only minutes later, so drop it and reconnect.
 */
const SOCKET_TIMEOUT_MS = 5000;

/** Pause before a Cluster command is sent again after MOVED/ASK storms, TRYAGAIN or CLUSTERDOWN. */
const CLUSTER_RETRY_DELAY_MS = 100;

const backoff = (times: number) => Math.min(times * 100, MAX_RECONNECT_DELAY_MS);

/** A config block with only a `url` (tests, the auth-proxy): the client is one `Redis`. */
type UrlConfig = Pick<RedisConfig, 'key_prefix'> & { url: string; sentinel?: undefined; cluster?: undefined };

/**
 * Opens the Redis connection described by the `store.redis` configuration block: `url`
 * (`redis://` or `rediss://` for TLS, ACL user and password in the URL), `sentinel` or
 * `cluster` (ioredis `Cluster`), each with `tls` and an ACL user and password of its own.
 *
 * Commands issued before the connection is ready are queued. Once Redis goes away, queued and
 * in-flight commands fail within about 2 s while the client keeps reconnecting on its own with a
 * capped backoff. `key_prefix` is NOT applied here: adapters prefix their keys themselves, so
 * Lua scripts see full key names.
 *
 * Attach an `error` listener: ioredis prints unhandled connection errors to stderr otherwise.
 * Errors never contain the password; do not log the `url` yourself.
 */
export function createRedisClient(config: UrlConfig, opts?: RedisClientOptions): Redis;
export function createRedisClient(config: RedisConfig, opts?: RedisClientOptions): RedisClient;
export function createRedisClient(config: RedisConfig, opts: RedisClientOptions = {}): RedisClient {
  const tls = tlsOptions(config);
  const common: RedisOptions = {
    lazyConnect: opts.lazyConnect ?? false,
    // Queued commands are flushed with an error after this many failed reconnects; together
    // with commandTimeout this keeps a dead Redis from parking requests forever.
    maxRetriesPerRequest: 1,
    retryStrategy: backoff,
    connectTimeout: CONNECT_TIMEOUT_MS,
    commandTimeout: COMMAND_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    connectionName: opts.connectionName ?? 'tollgate',
  };
  if (config.cluster) {
    const { nodes, username, password } = config.cluster;
    const { retryStrategy: _perNode, lazyConnect, ...perNode } = common;
    const options: ClusterOptions = {
      lazyConnect,
      redisOptions: { ...perNode, username, password, ...(tls ? { tls } : {}) },
      clusterRetryStrategy: backoff,
      retryDelayOnFailover: CLUSTER_RETRY_DELAY_MS,
      retryDelayOnClusterDown: CLUSTER_RETRY_DELAY_MS,
      retryDelayOnTryAgain: CLUSTER_RETRY_DELAY_MS,
      slotsRefreshTimeout: CONNECT_TIMEOUT_MS,
      // No auto-pipelining: a pipeline mixes slots, and ioredis does not follow MOVED/ASK for
      // those while slots move between masters (a reshard): each command follows its own.
      enableAutoPipelining: false,
      // Reads from the masters only: a replica may not have a record written a moment ago.
      scaleReads: 'master',
      // TLS certificates name hosts; the slot map names addresses. Keep the configured names.
      ...(tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
    };
    return new Cluster(
      nodes.map(({ host, port }) => ({ host, port })),
      options,
    );
  }
  if (config.sentinel) {
    const { name, nodes, username, password, sentinel_username, sentinel_password } = config.sentinel;
    return new Redis({
      ...common,
      name,
      sentinels: nodes.map(({ host, port }) => ({ host, port })),
      username,
      password,
      sentinelUsername: sentinel_username,
      sentinelPassword: sentinel_password,
      sentinelRetryStrategy: backoff,
      ...(tls ? { tls, enableTLSForSentinelMode: true, sentinelTLS: tls } : {}),
    });
  }
  if (config.url) {
    // rediss:// turns TLS on by itself; `tls` adds a CA, client certificate or server name.
    return new Redis(config.url, tls ? { ...common, tls } : common);
  }
  // The schema refuses this, but a hand-built config object could still get here.
  throw new Error('store.redis needs one of `url`, `sentinel` or `cluster`');
}

/** The TLS options of `store.redis.tls`, files read; undefined when TLS is not asked for. */
function tlsOptions(config: RedisConfig): ConnectionOptions | undefined {
  const tls = config.tls;
  const viaUrl = config.url?.startsWith('rediss:') === true;
  if (tls === undefined || tls === false) return viaUrl ? {} : undefined;
  if (tls === true) return {};
  const read = (file: string | undefined) => (file === undefined ? undefined : readFileSync(file));
  return {
    ...(tls.ca_file ? { ca: read(tls.ca_file) } : {}),
    ...(tls.cert_file ? { cert: read(tls.cert_file) } : {}),
    ...(tls.key_file ? { key: read(tls.key_file) } : {}),
    ...(tls.servername ? { servername: tls.servername } : {}),
    rejectUnauthorized: tls.reject_unauthorized,
  };
}

/**
 * A second connection like `client`, for SUBSCRIBE (a subscribed connection takes no other
 * command). A Cluster's subscriber follows the cluster's nodes on its own.
 */
export function duplicateForSubscriber(client: RedisClient, connectionName: string): RedisClient {
  if (isCluster(client)) {
    return client.duplicate(undefined, { redisOptions: { ...client.options.redisOptions, connectionName } });
  }
  return client.duplicate({ autoResubscribe: false, connectionName });
}

/** True for a Redis Cluster client. */
export function isCluster(client: RedisClient): client is Cluster {
  return client instanceof Cluster;
}

/**
 * The servers that hold data: every master of a Cluster, else the client itself. SCAN, FLUSHDB
 * and INFO see one server only, so anything that walks the keyspace goes through these.
 */
export function dataNodes(client: RedisClient): Redis[] {
  return isCluster(client) ? client.nodes('master') : [client];
}

/**
 * Throws unless the store can serve: the server answers PING; on a Cluster every master answers
 * and the cluster reports `cluster_state:ok` (all slots served). Used by `/readyz`.
 */
export async function checkRedis(client: RedisClient): Promise<void> {
  if (!isCluster(client)) {
    await client.ping();
    return;
  }
  if (client.status !== 'ready') throw new Error(`redis cluster connection is ${client.status}`);
  const masters = client.nodes('master');
  if (masters.length === 0) throw new Error('redis cluster has no reachable master');
  try {
    await Promise.all(masters.map((node) => node.ping()));
  } catch (err) {
    // The client's map may still list a master that went away; once a replica took its slots,
    // a fresh map leaves it out. Nothing else refreshes it when no command met a MOVED: ask.
    await new Promise<void>((resolve) => client.refreshSlotsCache(() => resolve()));
    throw err;
  }
  const info = String(await client.cluster('INFO'));
  const state = /cluster_state:(\w+)/.exec(info)?.[1];
  if (state !== 'ok') throw new Error(`redis cluster state is ${state ?? 'unknown'}`);
}

/**
 * Joins a key prefix (which carries its own trailing separator, e.g. `tollgate:`) and key parts
 * with `:`: `redisKey('tollgate:', 'grant', id)` is `tollgate:grant:<id>`.
 */
export function redisKey(prefix: string, ...parts: string[]): string {
  return prefix + parts.join(':');
}
