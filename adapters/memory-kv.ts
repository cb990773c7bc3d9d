import type { KeyValueStore } from '../src/factors/types.ts';

/** Every store made here, so callers can tell (and refuse) process-local state. */
const memoryStores = new WeakSet<KeyValueStore>();

/** Whether `kv` keeps its state in this process's memory (made by {@link createMemoryKeyValueStore}). */
export function isMemoryKeyValueStore(kv: KeyValueStore): boolean {
  return memoryStores.has(kv);
}

/** Short-lived key-value state in process memory, with TTLs checked on read. */
export function createMemoryKeyValueStore(options: { now?: () => number } = {}): KeyValueStore {
  const now = options.now ?? Date.now;
  const entries = new Map<string, { value: string; expiresAt: number }>();
  let writes = 0;
  const live = (key: string) => {
    const e = entries.get(key);
    if (e && e.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return e;
  };
  // Sweep now and then on writes, so expired keys do not pile up without a timer.
  const sweep = () => {
    if (++writes % 1000 !== 0) return;
    const t = now();
    for (const [k, e] of entries) if (e.expiresAt <= t) entries.delete(k);
  };
  const store: KeyValueStore = {
    async get(key) {
      return live(key)?.value;
    },
    async set(key, value, ttlSeconds) {
      sweep();
      entries.set(key, { value, expiresAt: now() + ttlSeconds * 1000 });
    },
    async setIfAbsent(key, value, ttlSeconds) {
      if (live(key)) return false;
      sweep();
      entries.set(key, { value, expiresAt: now() + ttlSeconds * 1000 });
      return true;
    },
    async delete(key) {
      entries.delete(key);
    },
  };
  memoryStores.add(store);
  return store;
}
