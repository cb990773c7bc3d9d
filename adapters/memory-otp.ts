import type { ClaimStatus, OtpRecord, OtpStore } from '../src/otp/store.ts';

/**
 * OTP sessions in process memory (the embedded store: demo and tests). Every method runs without
 * an `await` between its read and its write, which is what makes it atomic in one process.
 * @param options.now clock, for the retention TTL. @default Date.now
 */
export function createMemoryOtpStore(options: { now?: () => number } = {}): OtpStore {
  const now = options.now ?? Date.now;
  const entries = new Map<string, { record: OtpRecord; closed?: ClaimStatus; keepUntil: number }>();
  let writes = 0;

  const live = (id: string) => {
    const e = entries.get(id);
    if (e && e.keepUntil <= now()) {
      entries.delete(id);
      return undefined;
    }
    return e;
  };
  // Sweep now and then on writes, so expired records do not pile up without a timer.
  const sweep = () => {
    if (++writes % 1000 !== 0) return;
    const t = now();
    for (const [id, e] of entries) if (e.keepUntil <= t) entries.delete(id);
  };
  // Copies in and out, so callers never hold a reference into the store (as with Redis).
  const copy = (r: OtpRecord): OtpRecord => structuredClone(r);

  return {
    async create(record, ttlSeconds) {
      sweep();
      entries.set(record.id, {
        record: { ...copy(record), status: 'pending' },
        keepUntil: now() + ttlSeconds * 1000,
      });
    },
    async get(id) {
      const e = live(id);
      if (!e) return undefined;
      return { ...copy(e.record), status: e.closed ?? e.record.status };
    },
    async update(id, patch) {
      const e = live(id);
      if (!e) return false;
      // Like Redis HSET: an undefined field is left as it is, not removed.
      const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      e.record = { ...e.record, ...set };
      return true;
    },
    async incrementAttempts(id) {
      const e = live(id);
      if (!e) return 0;
      e.record.attempts += 1;
      return e.record.attempts;
    },
    async claim(id, status: ClaimStatus = 'approved') {
      const e = live(id);
      if (!e || e.closed) return false;
      e.closed = status;
      return true;
    },
    async delete(id) {
      entries.delete(id);
    },
  };
}
