import { z } from 'zod';
import { emptyToUndefined, optionalString } from './schema-parts.ts';

/**
 * `store.redis`: where tollgate keeps its state. One of `url` (one server), `sentinel` (the
 * master a Sentinel group names) or `cluster` (a Redis Cluster), each with TLS and an ACL user.
 * The auth-proxy's `session.store` takes the same block.
 */

const nodeSchema = z.strictObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
});

const sentinelSchema = z.strictObject({
  /** Name of the monitored master. */
  name: z.string().min(1),
  nodes: z.array(nodeSchema).min(1),
  /** ACL user and password of the data nodes (master and replicas). */
  username: optionalString,
  password: optionalString,
  /** ACL user and password of the sentinels themselves. */
  sentinel_username: optionalString,
  sentinel_password: optionalString,
});

const clusterSchema = z.strictObject({
  /** Some of the cluster's nodes (masters or replicas): the client learns the rest from them. */
  nodes: z.array(nodeSchema).min(1),
  /** ACL user and password, the same on every node. */
  username: optionalString,
  password: optionalString,
});

const tlsSchema = z.union([
  z.boolean(),
  z.strictObject({
    /** PEM file of the CA that signed the servers' certificates. @default the system's CAs */
    ca_file: optionalString,
    /** PEM client certificate and key, for servers that ask for one (`tls-auth-clients`). */
    cert_file: optionalString,
    key_file: optionalString,
    /** Name to check in the server certificate (SNI). @default the host connected to */
    servername: optionalString,
    /** Refuse servers whose certificate does not verify. @default true */
    reject_unauthorized: z.boolean().default(true),
  }),
]);

/** A URL ioredis can connect to. */
function isRedisUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return (u.protocol === 'redis:' || u.protocol === 'rediss:') && u.hostname !== '';
  } catch {
    return false;
  }
}

const connectionFields = {
  /** `redis://[user:password@]host:port/db` or `rediss://` for TLS. */
  url: optionalString.refine((u) => u === undefined || isRedisUrl(u), {
    message: 'use redis://[user:password@]host:port/db, or rediss:// for TLS',
  }),
  sentinel: sentinelSchema.optional(),
  cluster: clusterSchema.optional(),
  /**
   * TLS to every node (sentinels included): `true`, or options (CA, client certificate). With
   * `url`, `rediss://` turns TLS on and this only adds options. @default false
   */
  tls: tlsSchema.optional(),
  /**
   * Replicas a security write (a password change, a factor removed, a sign-out: see
   * adapters/redis-durable.ts) waits for with `WAIT` before it counts as done; 0 = none.
   * @default 1 with `sentinel` or `cluster`, 0 with `url`
   */
  wait_replicas: z.number().int().min(0).max(16).optional(),
  /**
   * How long such a write waits for them, in ms; then it fails closed (503). Below the client's
   * 2000 ms command timeout. @default 1000
   */
  wait_timeout_ms: z.number().int().min(10).max(1500).optional(),
};

type Connection = { url?: string; sentinel?: unknown; cluster?: unknown; tls?: unknown };

/** One of url, sentinel or cluster; tls only with a rediss:// url. */
function refineConnection<T extends z.ZodType<Connection>>(schema: T) {
  return schema
    .refine((r) => [r.url, r.sentinel, r.cluster].filter((v) => v !== undefined).length <= 1, {
      message: 'set one of url, sentinel or cluster',
    })
    .refine((r) => !(r.url?.startsWith('redis:') && r.tls !== undefined && r.tls !== false), {
      message: 'tls needs a rediss:// url',
      path: ['tls'],
    });
}

export const redisSchema = refineConnection(
  z.strictObject({
    ...connectionFields,
    /** Prefix of every key tollgate writes, so one Redis can serve several deployments. @default "tollgate:" */
    key_prefix: z
      .string()
      .refine((p) => !p.includes('{') && !p.includes('}'), {
        message: 'no { or }: hash tags (Redis Cluster slots) are placed by tollgate',
      })
      .default('tollgate:'),
  }),
);

/**
 * Where a Redis is, without a key prefix (the auth-proxy's `session.store`, whose prefix is a
 * field of its own): one of url, sentinel or cluster, with tls.
 */
export const redisConnectionSchema = refineConnection(
  z.strictObject(connectionFields).refine((r) => r.url || r.sentinel || r.cluster, {
    message: 'set one of url, sentinel or cluster',
  }),
);

/** A `store.redis` block without url, sentinel or cluster stands for "no Redis". */
export function emptyRedisToUndefined(v: unknown): unknown {
  if (
    v &&
    typeof v === 'object' &&
    !('sentinel' in v) &&
    !('cluster' in v) &&
    emptyToUndefined((v as { url?: unknown }).url) === undefined
  ) {
    return undefined;
  }
  return v;
}
