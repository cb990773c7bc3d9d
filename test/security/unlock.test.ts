// `unlockAccount` (what `tollgate users unlock` runs) lifts exactly one account's lockouts, on
// Redis and in memory: its password counters (per normalised username), its second-factor
// counters (per account id), their lockout history, and the step-up challenges of its sessions.
// Other accounts, per-IP counts and other sessions' challenges keep their counts.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountIndexedAdapter } from '../../adapters/account-index.ts';
import { createMemoryAdapter } from '../../adapters/memory.ts';
import { createRedisAdapter } from '../../adapters/redis.ts';
import { createLimiters, type Limiters } from '../../src/mfa/parts.ts';
import { stepUpChallenge } from '../../src/security/attempts.ts';
import type { Regulation } from '../../src/security/regulation.ts';
import { unlockAccount } from '../../src/security/unlock.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';

const REGULATION = {
  max_failures: 3,
  max_failures_per_ip: 50,
  max_attempts_per_challenge: 2,
  find_time: 900,
  ban_time: 60,
  max_ban_time: 3600,
};
const IP = '192.0.2.7';
const ALICE = { id: 'acct-alice', username: 'alice' };
const BOB = { id: 'acct-bob', username: 'bob' };

let server: RedisServer;
let redis: Redis;
let prefixes = 0;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url);
});
afterAll(async () => {
  await redis?.quit();
  await server?.stop();
});

type Setup = () => { limiters: Limiters; adapter: AccountIndexedAdapter };
const setups: [string, Setup][] = [
  [
    'memory',
    () => ({ limiters: createLimiters({ regulation: REGULATION }), adapter: createMemoryAdapter() }),
  ],
  [
    'redis',
    () => {
      const keyPrefix = `unlock${prefixes++}:`;
      return {
        limiters: createLimiters({ redis, keyPrefix, regulation: REGULATION }),
        adapter: createRedisAdapter(redis, { keyPrefix }),
      };
    },
  ],
];

/** Wrong answers until `key` is locked; returns the lockout's end. */
async function lockOut(regulation: Regulation, key: string, ip = IP): Promise<Date> {
  for (let i = 0; i < REGULATION.max_failures; i++) await regulation.fail(key, ip);
  const status = await regulation.status(key, ip);
  if (!status.locked) throw new Error(`${key} did not lock`);
  return status.retryAt;
}

/** A provider session of `accountId` in the adapter, as oidc-provider saves one. */
async function session(adapter: AccountIndexedAdapter, id: string, accountId: string, uid: string) {
  await new adapter('Session').upsert(id, { kind: 'Session', jti: id, accountId, uid, exp: 0 }, 600);
}

describe.each(setups)('unlockAccount on %s', (_name, setup) => {
  it('lifts a password lockout and a second-factor lockout of the account, and reports them', async () => {
    const { limiters, adapter } = setup();
    const passwordUntil = await lockOut(limiters.passwordRegulation, 'alice');
    const mfaUntil = await lockOut(limiters.regulation, ALICE.id);

    const cleared = await unlockAccount({ ...limiters, adapter }, ALICE);
    expect(cleared.password).toMatchObject({ failures: 3, lockouts: 1 });
    expect(cleared.mfa).toMatchObject({ failures: 3, lockouts: 1 });
    expect(Math.abs((cleared.password.lockedUntil?.getTime() ?? 0) - passwordUntil.getTime())).toBeLessThan(
      2000,
    );
    expect(Math.abs((cleared.mfa.lockedUntil?.getTime() ?? 0) - mfaUntil.getTime())).toBeLessThan(2000);
    expect(await limiters.passwordRegulation.status('alice', IP)).toEqual({ locked: false });
    expect(await limiters.regulation.status(ALICE.id, IP)).toEqual({ locked: false });
    // Attempts are allowed again: a reservation goes through.
    const attempt = await limiters.passwordRegulation.reserve('alice', IP);
    expect(attempt.ok).toBe(true);
  });

  it('forgets the lockout history: the next lockout is a first one (ban_time), not a doubled one', async () => {
    const { limiters, adapter } = setup();
    await lockOut(limiters.regulation, ALICE.id);
    await unlockAccount({ ...limiters, adapter }, ALICE);
    const again = await lockOut(limiters.regulation, ALICE.id);
    const ban = (again.getTime() - Date.now()) / 1000;
    // A doubled ban would be 120 s.
    expect(ban).toBeGreaterThan(REGULATION.ban_time - 5);
    expect(ban).toBeLessThanOrEqual(REGULATION.ban_time);
  });

  it('leaves other accounts and the per-IP counts alone', async () => {
    const { limiters, adapter } = setup();
    await lockOut(limiters.passwordRegulation, 'alice', '198.51.100.1');
    await lockOut(limiters.passwordRegulation, 'bob', '198.51.100.1');
    await lockOut(limiters.regulation, BOB.id);
    // A per-IP limit of one failure shows whether alice's unlock touched the IP's count.
    const strict = createLimiters({ regulation: { ...REGULATION, max_failures_per_ip: 1 } });
    await strict.regulation.fail('someone', '203.0.113.9');
    await strict.regulation.fail('someone-else', '203.0.113.9');

    await unlockAccount({ ...limiters, adapter }, ALICE);
    await unlockAccount({ ...strict, adapter }, { id: 'someone', username: 'someone' });
    expect((await limiters.passwordRegulation.status('bob', IP)).locked).toBe(true);
    expect((await limiters.regulation.status(BOB.id, IP)).locked).toBe(true);
    expect((await strict.regulation.status('nobody', '203.0.113.9')).locked).toBe(true);
  });

  it('an account with nothing recorded: nothing to clear, no error', async () => {
    const { limiters, adapter } = setup();
    expect(await unlockAccount({ ...limiters, adapter }, ALICE)).toEqual({
      password: { failures: 0, lockouts: 0 },
      mfa: { failures: 0, lockouts: 0 },
      stepUps: 0,
    });
  });

  it('keys the password counters by normalised username, as the login does', async () => {
    const { limiters, adapter } = setup();
    await lockOut(limiters.passwordRegulation, 'alice');
    await unlockAccount({ ...limiters, adapter }, { id: ALICE.id, username: 'ALICE' });
    expect((await limiters.passwordRegulation.status('alice', IP)).locked).toBe(false);
  });

  it("reopens the closed step-up challenges of the account's sessions, and only those", async () => {
    const { limiters, adapter } = setup();
    await session(adapter, 'sess-a', ALICE.id, 'uid-a');
    await session(adapter, 'sess-b', BOB.id, 'uid-b');
    for (const uid of ['uid-a', 'uid-b']) {
      for (let i = 0; i < REGULATION.max_attempts_per_challenge; i++) {
        const r = await limiters.attempts.reserve({ challenge: stepUpChallenge(uid), account: uid, ip: IP });
        if (r.ok) await r.fail();
      }
      expect(await limiters.attempts.closed(stepUpChallenge(uid))).toBe(true);
    }

    const cleared = await unlockAccount({ ...limiters, adapter }, ALICE);
    expect(cleared.stepUps).toBe(1);
    expect(await limiters.attempts.closed(stepUpChallenge('uid-a'))).toBe(false);
    expect(await limiters.attempts.closed(stepUpChallenge('uid-b'))).toBe(true);
  });
});
