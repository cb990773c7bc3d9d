// How many times one full MFA login waits for Redis (issue #11 asks for at most 20): the commands
// of a login counted by the round trip they wait in (test/helpers/round-trips.ts). Pins today's
// count, so a change that adds round trips shows here, with the list to read.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { mfaLoginRoundTrips, startRoundTripTollgate } from '../helpers/round-trips.ts';
import type { RunningTollgate } from '../helpers/tollgate.ts';

/** Today's count after a warm-up login (scripts loaded); the goal is 20. */
const ROUND_TRIPS_NOW = 49;

let redis: RedisServer;
let tg: RunningTollgate;

beforeAll(async () => {
  redis = await startRedis();
  tg = await startRoundTripTollgate(redis.url);
});

afterAll(async () => {
  await tg?.stop();
  await redis?.stop();
});

it(`one full MFA login waits for Redis at most ${ROUND_TRIPS_NOW} times (goal: 20)`, async () => {
  const trips = await mfaLoginRoundTrips(tg);
  expect(trips.length, trips.join('\n')).toBeLessThanOrEqual(ROUND_TRIPS_NOW);
});
