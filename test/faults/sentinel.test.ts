// A Sentinel failover, for real: one master, one replica, three sentinels. The master is killed
// (SIGKILL) under a steady login load; tollgate, configured with store.redis.sentinel, answers
// 503 meanwhile (never a 500, never a sign-in it should refuse) and signs users in again on the
// promoted replica within 10 s.
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.ts';
import { type RedisSentinelGroup, startRedisSentinel } from '../helpers/redis-sentinel.ts';
import {
  APP_SECRET,
  addUser,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
} from '../helpers/tollgate.ts';

const PASSWORD = 'a password that survives failover';

let group: RedisSentinelGroup;
let tg: RunningTollgate;
let app: oidc.Configuration;

beforeAll(async () => {
  group = await startRedisSentinel();
  tg = await startTollgate({
    redis: { sentinel: { name: group.name, nodes: group.nodes } },
    overrides: {
      // The wrong-password tries come from one address: keep its limit out of the way.
      mfa: {
        encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
        regulation: { max_failures_per_ip: 1000 },
      },
      clients: [
        {
          client_id: 'app',
          client_secret: APP_SECRET,
          redirect_uris: [RP_CALLBACK],
          first_party: true,
          mfa: 'off',
        },
      ],
    },
  });
  await tg.tollgate.store.ensureLayout();
  for (const name of ['user0', 'user1', 'user2', 'mallory']) await addUser(tg, name, PASSWORD);
  app = await oidc.discovery(new URL(tg.url), 'app', undefined, oidc.ClientSecretBasic(APP_SECRET), {
    execute: [oidc.allowInsecureRequests],
  });
});

afterAll(async () => {
  await tg?.stop();
  await group?.stop();
});

type Outcome = { at: number; ok: boolean; statuses: number[]; wrongPassword: boolean; error?: string };

/**
 * One login: authorize, the password form, the callback, the token exchange. `ok` only when it
 * got tokens; every status on the way is kept. A 503 ends the attempt (the user would retry).
 */
async function login(username: string, password: string): Promise<Omit<Outcome, 'at'>> {
  const browser = new Browser();
  const statuses: number[] = [];
  const wrongPassword = password !== PASSWORD;
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(app, {
    redirect_uri: RP_CALLBACK,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 'st',
  });
  const page = await browser.get(url.href, RP_CALLBACK);
  statuses.push(page.status);
  if (!page.body.includes('name="password"')) return { ok: false, statuses, wrongPassword };
  const done = await browser.submit(page, { username, password }, RP_CALLBACK);
  // The helper stops at the client's redirect_uri (status 0: nobody answers there): a redirect.
  statuses.push(done.url.startsWith(RP_CALLBACK) ? 303 : done.status);
  if (!done.url.startsWith(RP_CALLBACK)) return { ok: false, statuses, wrongPassword };
  try {
    await oidc.authorizationCodeGrant(app, new URL(done.url), {
      pkceCodeVerifier: verifier,
      expectedState: 'st',
    });
    statuses.push(200);
    return { ok: true, statuses, wrongPassword };
  } catch (err) {
    // openid-client puts the status of a non-JSON answer (a 503 page) on the error's cause.
    const e = err as { status?: number; cause?: { status?: number } };
    statuses.push(e.status ?? e.cause?.status ?? -2);
    return { ok: false, statuses, wrongPassword, error: String(err) };
  }
}

describe('Sentinel failover under a login load', () => {
  it('answers 503 while the master is gone, never a 500 or a wrong sign-in, and follows the new master within 10 s', async () => {
    const before = await group.masterPort();
    expect(before).toBe(group.master.port);
    const outcomes: Outcome[] = [];
    let running = true;
    const worker = async (w: number) => {
      for (let n = 0; running; n++) {
        // Every fourth attempt has a wrong password (for an account of its own, which it locks):
        // it must never come back signed in.
        const wrong = n % 4 === 3;
        const username = wrong ? 'mallory' : `user${(w + n) % 3}`;
        const password = wrong ? 'not the password' : PASSWORD;
        const at = Date.now();
        try {
          outcomes.push({ at, ...(await login(username, password)) });
        } catch (err) {
          // No answer at all (a reset connection) would be a failure of its own: status 0.
          outcomes.push({
            at,
            ok: false,
            statuses: [0],
            wrongPassword: false,
            error: (err as Error).message,
          });
        }
      }
    };
    const load = [worker(0), worker(1)];
    // Logins work before the failure.
    const deadline = Date.now() + 20_000;
    while (outcomes.filter((o) => o.ok).length < 4 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    expect(outcomes.filter((o) => o.ok).length, JSON.stringify(outcomes.slice(0, 3))).toBeGreaterThanOrEqual(
      4,
    );

    // What the replica has is what survives: the accounts, and the logins so far.
    await group.synced();
    const killedAt = Date.now();
    await group.master.kill();
    // Bounded wait for the first sign-in that started after the kill and got tokens.
    let recoveredAt: number | undefined;
    while (Date.now() - killedAt < 30_000) {
      const first = outcomes.find((o) => o.at > killedAt && o.ok);
      if (first) {
        recoveredAt = first.at;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    // A few more logins on the new master, then stop the load.
    const settled = outcomes.length;
    while (outcomes.length < settled + 4 && Date.now() - killedAt < 40_000)
      await new Promise((r) => setTimeout(r, 50));
    running = false;
    await Promise.all(load);

    expect(await group.masterPort()).toBe(group.replica.port);
    expect(recoveredAt, 'no sign-in succeeded after the failover').toBeDefined();
    expect((recoveredAt as number) - killedAt).toBeLessThan(10_000);
    const statuses = outcomes.flatMap((o) => o.statuses);
    // 503 while the master was gone; never a 500 (or any other 5xx).
    // A failure reads with what the client saw (-2: an error with no status).
    const errors = outcomes.flatMap((o) => (o.error ? [o.error] : []));
    expect(
      statuses.filter((s) => (s >= 500 && s !== 503) || s < 0),
      errors.join('\n'),
    ).toEqual([]);
    expect(outcomes.filter((o) => o.at > killedAt && o.statuses.includes(503)).length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o.wrongPassword && o.ok)).toEqual([]);
    expect((await fetch(`${tg.url}/readyz`)).status).toBe(200);
  });
});
