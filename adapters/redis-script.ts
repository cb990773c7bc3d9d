import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-client.ts';

/** A Lua script and its SHA1, for EVALSHA. */
export interface LuaScript {
  lua: string;
  sha: string;
}

/** Wraps Lua source for {@link runScript}. */
export function script(lua: string): LuaScript {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * Runs `s` with EVALSHA, sending the body once when the server does not know it (first use after
 * a Redis restart or failover: the script cache is empty, EVALSHA did nothing, so EVAL is still
 * atomic). Every key the script touches must be in `keys`, all in one Cluster slot.
 */
export async function runScript(
  redis: RedisClient,
  s: LuaScript,
  keys: string[],
  args: (string | number)[],
): Promise<unknown> {
  try {
    return await redis.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith('NOSCRIPT')) {
      return redis.eval(s.lua, keys.length, ...keys, ...args);
    }
    throw err;
  }
}
