// /metrics: audit events become Prometheus counters, requests are timed by route, and the
// endpoint can require a bearer token.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Browser } from '../helpers/browser.ts';
import {
  APP_SECRET,
  addUser,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
} from '../helpers/tollgate.ts';

let open: RunningTollgate;
let guarded: RunningTollgate;

beforeAll(async () => {
  open = await startTollgate();
  guarded = await startTollgate({ overrides: { metrics: { bearer_token: 'scrape-token-0123456789' } } });
  await addUser(open, 'mia', 'mia password 123');
});

afterAll(async () => {
  await open?.stop();
  await guarded?.stop();
});

async function signIn(password: string) {
  const config = await oidc.discovery(
    new URL(open.url),
    'app',
    undefined,
    oidc.ClientSecretBasic(APP_SECRET),
    {
      execute: [oidc.allowInsecureRequests],
    },
  );
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: RP_CALLBACK,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  const browser = new Browser();
  const login = await browser.get(url.href, RP_CALLBACK);
  return browser.submit(login, { username: 'mia', password }, RP_CALLBACK);
}

const count = (text: string, event: string) =>
  Number(
    new RegExp(`^tollgate_events_total\\{event="${event.replace('.', '\\.')}"[^}]*\\} (\\d+)`, 'm').exec(
      text,
    )?.[1] ?? 0,
  );

it('counts logins, failures and requests, in the Prometheus format', async () => {
  await signIn('wrong password!!');
  await signIn('wrong password!!');
  const ok = await signIn('mia password 123');
  expect(ok.url.startsWith(RP_CALLBACK)).toBe(true);

  const res = await fetch(`${open.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/text\/plain/);
  const text = await res.text();
  expect(count(text, 'login.failed')).toBe(2);
  expect(count(text, 'login.succeeded')).toBe(1);
  expect(text).toMatch(
    /tollgate_http_request_duration_seconds_count\{route="\/interaction\/:uid\/login",method="POST",status="\d+"\} \d+/,
  );
  // Ids never become label values.
  expect(text).not.toMatch(/route="\/interaction\/[A-Za-z0-9_-]{20,}/);
  expect(text).toContain('tollgate_process_cpu_seconds_total');
});

it('asks for the bearer token when one is configured', async () => {
  expect((await fetch(`${guarded.url}/metrics`)).status).toBe(401);
  expect((await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer nope' } })).status).toBe(
    401,
  );
  const ok = await fetch(`${guarded.url}/metrics`, {
    headers: { authorization: 'Bearer scrape-token-0123456789' },
  });
  expect(ok.status).toBe(200);
});
