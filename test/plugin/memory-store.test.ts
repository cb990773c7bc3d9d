// No silent in-memory state on the plugin path (issue 12.6): createInteractionRouter without a
// shared store for pending logins and attempt counters refuses to start, unless the caller says
// `unsafeMemoryStore: true`, and then it warns once.
import type { Redis } from 'ioredis';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryAdapter } from '../../adapters/memory.ts';
import { createMemoryAccountStore } from '../../adapters/memory-accounts.ts';
import { createMemoryCredentialStore } from '../../adapters/memory-credentials.ts';
import { createMemoryKeyValueStore } from '../../adapters/memory-kv.ts';
import { createRedisClient } from '../../adapters/redis-client.ts';
import { createRedisCredentialStore } from '../../adapters/redis-credentials.ts';
import { createRedisKeyValueStore } from '../../adapters/redis-kv.ts';
import { createInteractionRouter, type InteractionOptions } from '../../interactions/index.ts';
import { createPasswordHasher } from '../../src/accounts/password.ts';
import { createFactors } from '../../src/factors/index.ts';
import { createLogger } from '../../src/log.ts';
import { assembleMfa } from '../../src/mfa/parts.ts';
import { generateJwks } from '../../src/provider/keys.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';

const COOKIE_KEY = 'memory-store-test-cookie-key-0123456789';
const provider = new Provider('http://127.0.0.1:1', {
  adapter: createMemoryAdapter(),
  jwks: generateJwks(),
  features: { devInteractions: { enabled: false } },
});
const lines: Record<string, unknown>[] = [];
const base = (): InteractionOptions => ({
  accounts: createMemoryAccountStore(),
  hasher: createPasswordHasher(),
  csrfSecret: COOKIE_KEY,
  logger: createLogger('warn', { write: (s: string) => lines.push(JSON.parse(s)) }),
});
const warnings = () => lines.filter((l) => l.event === 'interactions.memory_store');

let server: RedisServer;
let redis: Redis;
beforeAll(async () => {
  server = await startRedis();
  redis = createRedisClient({ url: server.url, key_prefix: 'plug:' });
});
afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});

describe('createInteractionRouter and process-local state', () => {
  it('refuses to start without a store for pending logins and counters', () => {
    expect(() => createInteractionRouter(provider, base())).toThrow(
      /pending logins and attempt counters would live in this process's memory.*unsafeMemoryStore: true/s,
    );
  });

  it('refuses MFA parts assembled on memory (no Redis for the counters)', () => {
    const store = { credentials: createMemoryCredentialStore(), kv: createMemoryKeyValueStore() };
    const mfa = assembleMfa({
      clients: [],
      factors: createFactors(undefined, store),
      ...store,
      cookieKey: COOKIE_KEY,
    });
    expect(() => createInteractionRouter(provider, { ...base(), mfa })).toThrow(/attempt counters/);
  });

  it('starts on Redis-backed parts without a warning', () => {
    const store = {
      credentials: createRedisCredentialStore(redis, { keyPrefix: 'plug:' }),
      kv: createRedisKeyValueStore(redis, { keyPrefix: 'plug:' }),
    };
    const mfa = assembleMfa({
      clients: [],
      factors: createFactors(undefined, store),
      ...store,
      redis,
      keyPrefix: 'plug:',
      cookieKey: COOKIE_KEY,
    });
    expect(mfa.inMemory).toEqual([]);
    expect(createInteractionRouter(provider, { ...base(), mfa })).toBeTruthy();
    expect(warnings()).toEqual([]);
  });

  it('with unsafeMemoryStore: true it starts and warns once per process', () => {
    createInteractionRouter(provider, { ...base(), unsafeMemoryStore: true });
    createInteractionRouter(provider, { ...base(), unsafeMemoryStore: true });
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatchObject({ in_memory: ['pending logins', 'attempt counters'] });
  });
});
