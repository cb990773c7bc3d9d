// Fail closed and recover: with Redis gone, oidc-provider's own endpoints answer 503 (not 500,
// never a pass), and once Redis is back the same process serves again by itself.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRedis } from '../helpers/redis-server.ts';
import { API_SECRET, type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let tg: RunningTollgate;

beforeAll(async () => {
  redis = await startRedis();
  tg = await startTollgate({ redisUrl: redis.url });
});

afterAll(async () => {
  await tg?.stop();
  await redis?.stop();
});

const basic = `Basic ${Buffer.from(`api:${API_SECRET}`).toString('base64')}`;
const tokenRequest = () =>
  fetch(`${tg.url}/token`, {
    method: 'POST',
    headers: {
      authorization: basic,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: 'grant_type=client_credentials',
  });

it('answers 503 on provider endpoints while Redis is down, and recovers when it returns', async () => {
  expect((await tokenRequest()).status).toBe(200);

  await redis.stop();
  const down = await tokenRequest();
  expect(down.status).toBe(503);
  expect(down.headers.get('retry-after')).toBe('5');
  expect(await down.json()).toMatchObject({ error: 'service_unavailable' });

  // The authorization endpoint cannot load the browser session: a page that says so.
  const auth = await fetch(
    `${tg.url}/auth?client_id=app&response_type=code&scope=openid&code_challenge_method=S256&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM`,
    { headers: { accept: 'text/html' }, redirect: 'manual' },
  );
  expect(auth.status).toBe(503);
  expect(auth.headers.get('content-type')).toMatch(/html/);
  expect(await auth.text()).toContain('temporarily unavailable');

  // Discovery needs no store and keeps answering; readiness says the truth.
  expect((await fetch(`${tg.url}/.well-known/openid-configuration`)).status).toBe(200);
  expect((await fetch(`${tg.url}/readyz`)).status).toBe(503);

  await redis.restart();
  // Bounded poll until tollgate's client has reconnected; 15 s leaves room for a loaded machine.
  const deadline = Date.now() + 15_000;
  let status = 0;
  while (Date.now() < deadline) {
    status = (await tokenRequest()).status;
    if (status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(status).toBe(200);
});
