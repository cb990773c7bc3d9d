import type { AccountIndexedAdapter } from '../../adapters/account-index.ts';
import { createMemoryAdapter } from '../../adapters/memory.ts';
import { createMemoryAccountStore } from '../../adapters/memory-accounts.ts';
import { createMemoryCredentialStore } from '../../adapters/memory-credentials.ts';
import { createMemoryKeyValueStore } from '../../adapters/memory-kv.ts';
import { createMemoryOtpStore } from '../../adapters/memory-otp.ts';
import { createRedisAdapter } from '../../adapters/redis.ts';
import { createRedisAccountStore } from '../../adapters/redis-accounts.ts';
import type { RedisClient } from '../../adapters/redis-client.ts';
import { checkRedis, createRedisClient } from '../../adapters/redis-client.ts';
import { createRedisCredentialStore } from '../../adapters/redis-credentials.ts';
import { withDurableWrites } from '../../adapters/redis-durable.ts';
import { createRedisKeyValueStore } from '../../adapters/redis-kv.ts';
import { ensureLayout } from '../../adapters/redis-layout-version.ts';
import { createRedisOtpStore } from '../../adapters/redis-otp.ts';
import { replicaWaitOf } from '../../adapters/redis-wait.ts';
import type { AccountStore } from '../accounts/types.ts';
import type { TollgateConfig } from '../config/schema.ts';
import type { CredentialStore, KeyValueStore } from '../factors/types.ts';
import type { Logger } from '../log.ts';
import type { OtpStore } from '../otp/store.ts';

/** Every persistent part, on one backend: Redis, or memory for the embedded demo. */
export interface Store {
  kind: 'redis' | 'memory';
  /** oidc-provider storage, which also finds an account's sessions and grants. */
  adapter: AccountIndexedAdapter;
  accounts: AccountStore;
  credentials: CredentialStore;
  /** Short-lived state: pending logins, used codes. */
  kv: KeyValueStore;
  /** One-time codes sent by email/SMS (hashed). */
  otp: OtpStore;
  /** Prefix of every Redis key (rate limiters add their own below it). */
  keyPrefix: string;
  /** The Redis connection, when there is one (readiness, later stores). */
  redis?: RedisClient;
  /**
   * Resolves once the store is known to be in the key layout this code writes (a new Redis store
   * is marked as such); throws {@link StoreLayoutError} otherwise. Call before serving or writing.
   */
  ensureLayout(): Promise<void>;
  /** Throws when the backend does not answer (on a Cluster: a master, or the cluster's state). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Opens the configured store; without a Redis section, the in-memory one with a loud warning. */
export function createStore(config: TollgateConfig, logger: Logger): Store {
  const redisConfig = config.store.redis;
  if (!redisConfig) {
    logger.warn(
      { event: 'store.embedded' },
      'EMBEDDED IN-MEMORY STORE: every session, token and account is lost on restart. Configure store.redis for real use.',
    );
    return {
      kind: 'memory',
      adapter: createMemoryAdapter(),
      accounts: createMemoryAccountStore(),
      credentials: createMemoryCredentialStore(),
      kv: createMemoryKeyValueStore(),
      otp: createMemoryOtpStore(),
      keyPrefix: '',
      ensureLayout: async () => {},
      ping: async () => {},
      close: async () => {},
    };
  }
  const redis = createRedisClient(redisConfig);
  const onError = (err: Error) =>
    logger.warn({ event: 'redis.error', message: err.message }, 'redis connection problem');
  redis.on('error', onError);
  const keyPrefix = redisConfig.key_prefix;
  // Security writes wait for replicas (adapters/redis-durable.ts), on a connection of their own.
  const wait = replicaWaitOf(redisConfig);
  const durable = wait ? createRedisClient(redisConfig, { connectionName: 'tollgate-durable' }) : undefined;
  durable?.on('error', onError);
  const shared = {
    adapter: createRedisAdapter(redis, { keyPrefix }),
    accounts: createRedisAccountStore(redis, { keyPrefix }),
    credentials: createRedisCredentialStore(redis, { keyPrefix }),
  };
  const close = (client: RedisClient) => client.quit().catch(() => client.disconnect());
  return {
    kind: 'redis',
    redis,
    ...(durable && wait ? withDurableWrites(shared, { durable, keyPrefix, wait }) : shared),
    kv: createRedisKeyValueStore(redis, { keyPrefix }),
    otp: createRedisOtpStore(redis, { keyPrefix }),
    keyPrefix,
    ensureLayout: () => ensureLayout(redis, keyPrefix),
    async ping() {
      await checkRedis(redis);
    },
    async close() {
      await Promise.all([close(redis), durable && close(durable)]);
    },
  };
}
