// /metrics: audit events become Prometheus counters, requests are timed by route. Metrics are off
// by default, never served on the public port, and never tell an unknown username from a known
// one (issue 15.3).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.ts';
import { createLogger } from '../../src/log.ts';
import { startMetricsServer } from '../../src/observability/metrics-server.ts';
import { Browser } from '../helpers/browser.ts';
import {
  APP_SECRET,
  addUser,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
} from '../helpers/tollgate.ts';

const TOKEN = 'scrape-token-0123456789';
let open: RunningTollgate;
let openMetrics: Server;
let guardedMetrics: Server;

const urlOf = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;

beforeAll(async () => {
  open = await startTollgate({ overrides: { metrics: { enabled: true, listen: '127.0.0.1:0' } } });
  const silent = createLogger('silent');
  openMetrics = await startMetricsServer(open.tollgate.metrics, open.config.metrics, silent);
  guardedMetrics = await startMetricsServer(
    open.tollgate.metrics,
    { ...open.config.metrics, bearer_token: TOKEN },
    silent,
  );
  await addUser(open, 'mia', 'mia password 123');
  const gone = await addUser(open, 'gone', 'gone password 123');
  await open.tollgate.store.accounts.update(gone.id, { disabled: true });
});

afterAll(async () => {
  openMetrics?.close();
  guardedMetrics?.close();
  await open?.stop();
});

async function signIn(username: string, password: string) {
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
  return browser.submit(login, { username, password }, RP_CALLBACK);
}

const series = (text: string, event: string) =>
  text.split('\n').filter((line) => line.startsWith(`tollgate_events_total{event="${event}"`));

describe('configuration', () => {
  it('is off by default, and listens on loopback when turned on', () => {
    const config = configSchema.parse({
      issuer: 'https://id.example.test',
      cookies: { keys: ['k'.repeat(32)] },
    });
    expect(config.metrics.enabled).toBe(false);
    expect(config.metrics.listen).toEqual({ host: '127.0.0.1', port: 9464 });
    const v6 = configSchema.parse({
      issuer: 'https://id.example.test',
      cookies: { keys: ['k'.repeat(32)] },
      metrics: { enabled: true, listen: '[::1]:9100' },
    });
    expect(v6.metrics.listen).toEqual({ host: '::1', port: 9100 });
    for (const listen of ['9464', 'localhost', ':9464', 'a b:1', '127.0.0.1:99999']) {
      expect(
        configSchema.safeParse({
          issuer: 'https://id.example.test',
          cookies: { keys: ['k'.repeat(32)] },
          metrics: { listen },
        }).success,
        listen,
      ).toBe(false);
    }
  });
});

it('is never served on the public port, even when turned on', async () => {
  const res = await fetch(`${open.url}/metrics`);
  expect(res.status).toBe(404);
  expect(await res.text()).not.toContain('tollgate_events_total');
});

it('counts logins, failures and requests, in the Prometheus format', async () => {
  await signIn('mia', 'wrong password!!');
  await signIn('mia', 'wrong password!!');
  const ok = await signIn('mia', 'mia password 123');
  expect(ok.url.startsWith(RP_CALLBACK)).toBe(true);

  const res = await fetch(urlOf(openMetrics));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/text\/plain/);
  const text = await res.text();
  expect(series(text, 'login.succeeded')).toEqual([expect.stringMatching(/ 1$/)]);
  expect(text).toMatch(
    /tollgate_http_request_duration_seconds_count\{route="\/interaction\/:uid\/login",method="POST",status="\d+"\} \d+/,
  );
  // Ids never become label values.
  expect(text).not.toMatch(/route="\/interaction\/[A-Za-z0-9_-]{20,}/);
  expect(text).toContain('tollgate_process_cpu_seconds_total');
});

it('counts unknown users, wrong passwords and disabled accounts as one kind of failure', async () => {
  const before = series(await (await fetch(urlOf(openMetrics))).text(), 'login.failed');
  const n = Number(before[0]?.split(' ').at(-1) ?? 0);
  await signIn('nobody-here', 'some password 123');
  await signIn('mia', 'wrong password!!');
  await signIn('gone', 'gone password 123');
  const text = await (await fetch(urlOf(openMetrics))).text();
  const failed = series(text, 'login.failed');
  // One series, no reason label value: a scraper cannot tell which of the three happened.
  expect(failed).toEqual([
    `tollgate_events_total{event="login.failed",factor="",channel="",reason=""} ${n + 3}`,
  ]);
  expect(text).not.toMatch(/unknown_user|wrong_password|disabled/);
});

it('asks for the bearer token when one is configured', async () => {
  expect((await fetch(urlOf(guardedMetrics))).status).toBe(401);
  expect((await fetch(urlOf(guardedMetrics), { headers: { authorization: 'Bearer nope' } })).status).toBe(
    401,
  );
  const ok = await fetch(urlOf(guardedMetrics), { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(ok.status).toBe(200);
});
