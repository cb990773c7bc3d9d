// How many times one full MFA login waits for Redis (issue #11 asks for at most 20): the
// commands of a login counted by the round trip they wait in. Commands sent while others are in
// flight share a round trip (a pipeline, or writes sent together); each new wait is one more.
// Pins today's count, so a change that adds round trips shows here, with the list to read.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { enrolTotp, totpAt } from '../faults/helpers.ts';
import { Browser } from '../helpers/browser.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import {
  APP_SECRET,
  addUser,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
} from '../helpers/tollgate.ts';
import { authorize, exchange, rp } from '../mfa/helpers.ts';

/** Today's count after a warm-up login (scripts loaded); the goal is 20. */
const ROUND_TRIPS_NOW = 49;

let redis: RedisServer;
let tg: RunningTollgate;

beforeAll(async () => {
  redis = await startRedis();
  tg = await startTollgate({
    redisUrl: redis.url,
    overrides: {
      mfa: {
        factors: ['totp', 'recovery'],
        encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
      },
      clients: [
        {
          client_id: 'mfa-app',
          client_secret: APP_SECRET,
          redirect_uris: [RP_CALLBACK],
          first_party: true,
          mfa: { policy: 'required', factors: ['totp'] },
        },
      ],
    },
  });
});

afterAll(async () => {
  await tg?.stop();
  await redis?.stop();
});

type Command = { name: string; args: unknown[]; promise: Promise<unknown> };

/** Runs `fn` counting round trips of `client`; returns them, each with its step and commands. */
async function roundTrips(client: Redis, fn: (step: (name: string) => void) => Promise<void>) {
  const trips: string[] = [];
  let inflight = 0;
  let current = '';
  const original = client.sendCommand.bind(client);
  client.sendCommand = ((command: Command, ...rest: unknown[]) => {
    if (inflight === 0) trips.push(`${current}:`);
    const key = command.name.startsWith('eval') ? command.args[2] : command.args[0];
    trips[trips.length - 1] += ` ${command.name} ${String(key ?? '').slice(0, 30)}`;
    inflight++;
    const settle = () => {
      inflight--;
    };
    command.promise.then(settle, settle);
    return original(command as never, ...(rest as []));
  }) as Redis['sendCommand'];
  try {
    await fn((name) => {
      current = name;
    });
  } finally {
    client.sendCommand = original;
  }
  return trips;
}

async function login(username: string, key: string, step: (name: string) => void = () => {}) {
  const config = await rp(tg, 'mfa-app');
  const browser = new Browser();
  step('authorize');
  const { page, verifier } = await authorize(browser, config);
  step('password');
  const challenge = await browser.submit(page, { username, password: 'a long enough password' }, RP_CALLBACK);
  step('totp');
  const done = await browser.submit(challenge, { code: totpAt(key) }, RP_CALLBACK);
  step('token');
  await exchange(config, done, verifier);
}

it(`one full MFA login waits for Redis at most ${ROUND_TRIPS_NOW} times (goal: 20)`, async () => {
  const warm = await enrolTotp(tg, await addUser(tg, 'warm', 'a long enough password'));
  await login('warm', warm.key);
  const { key } = await enrolTotp(tg, await addUser(tg, 'rita', 'a long enough password'));
  const trips = await roundTrips(tg.tollgate.store.redis as Redis, (step) => login('rita', key, step));
  expect(trips.length, trips.join('\n')).toBeLessThanOrEqual(ROUND_TRIPS_NOW);
});
