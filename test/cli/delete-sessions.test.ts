// `tollgate users delete` of a signed-in user leaves nothing behind (issue 16.6): its provider
// sessions, grants and tokens go, its relying parties get a back-channel logout, and no Redis
// key or value names the account afterwards. A back-channel logout that fails makes the command
// exit 4 and name the client (the known gap: it used to exit 0), for delete as for disable.
// The real CLI in its own process, the real server, a real redis-server, real receivers.
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisClient } from '../../adapters/redis-client.ts';
import { generateJwks } from '../../src/provider/keys.ts';
import { Browser } from '../helpers/browser.ts';
import { cleanEnv, type Run, runTollgate } from '../helpers/cli.ts';
import { freePort, type RedisServer, startRedis } from '../helpers/redis-server.ts';
import {
  API_SECRET,
  APP_SECRET,
  addUser,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
  TEST_COOKIE_KEY,
} from '../helpers/tollgate.ts';
import { authorize, exchange, password, rp } from '../mfa/helpers.ts';

const PASSWORD = 'delete sessions password 0123';
const PREFIX = 'tg:';

let redis: RedisServer;
let client: Redis;
let tg: RunningTollgate;
let dir: string;
let configFile: string;
let good: { server: Server; received: string[] };
let flaky: { server: Server; received: string[] };

/** A back-channel logout endpoint answering `status`, keeping the logout tokens it gets. */
async function receiver(status: number) {
  const received: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => {
      received.push(new URLSearchParams(body).get('logout_token') ?? '');
      res.writeHead(status).end();
    });
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, received, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/bc` };
}

const app = (client_id: string, backchannel_logout_uri: string) => ({
  client_id,
  client_secret: APP_SECRET,
  redirect_uris: [RP_CALLBACK],
  first_party: true,
  backchannel_logout_uri,
});

beforeAll(async () => {
  redis = await startRedis();
  dir = mkdtempSync(join(tmpdir(), 'tollgate-cli-delete-'));
  const jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(generateJwks()));
  const [g, f] = await Promise.all([receiver(200), receiver(500)]);
  good = g;
  flaky = f;
  const port = await freePort();
  // One configuration for the server and the CLI: JSON is YAML.
  const raw = {
    issuer: `http://127.0.0.1:${port}`,
    port,
    cookies: { keys: [TEST_COOKIE_KEY] },
    store: { redis: { url: redis.url, key_prefix: PREFIX } },
    jwks: { file: jwksFile },
    log_level: 'silent',
    clients: [
      app('app', g.url),
      app('flaky', f.url),
      {
        client_id: 'api',
        client_secret: API_SECRET,
        grant_types: ['client_credentials'],
        resource_server: true,
      },
    ],
  };
  configFile = join(dir, 'tollgate.yaml');
  writeFileSync(configFile, JSON.stringify(raw));
  tg = await startTollgate({ redisUrl: redis.url, jwksFile, port, overrides: raw });
  client = createRedisClient({ url: redis.url, key_prefix: PREFIX });
});

afterAll(async () => {
  await client?.quit();
  await tg?.stop();
  good?.server.close();
  flaky?.server.close();
  await redis?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cli = (command: string, username: string): Promise<Run> =>
  runTollgate(['users', command, username, '--config', configFile], { env: cleanEnv() });

/** Signs `username` in at each client in one browser; returns each client's tokens. */
async function signedIn(username: string, clientIds: string[]) {
  const account = await addUser(tg, username, PASSWORD, { email: `${username}@example.com` });
  const browser = new Browser();
  const tokens = [];
  for (const [i, id] of clientIds.entries()) {
    const config = await rp(tg, id);
    const { page, verifier } =
      i === 0
        ? await password(browser, config, username, { password: PASSWORD })
        : await authorize(browser, config);
    tokens.push({ config, ...(await exchange(config, page, verifier)).tokens });
  }
  return { account, tokens };
}

/** Every Redis key and every value in it, as text. */
async function everything(): Promise<string[]> {
  const out: string[] = [];
  for (const key of await client.keys('*')) {
    out.push(key);
    const type = await client.type(key);
    if (type === 'string') out.push((await client.get(key)) ?? '');
    else if (type === 'hash') out.push(JSON.stringify(await client.hgetall(key)));
    else if (type === 'zset') out.push(JSON.stringify(await client.zrange(key, '0', '-1')));
    else if (type === 'set') out.push(JSON.stringify(await client.smembers(key)));
    else if (type === 'list') out.push(JSON.stringify(await client.lrange(key, '0', '-1')));
  }
  return out;
}

/** The JSON audit lines of a run's stderr. */
const audit = (r: Run) =>
  r.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('users delete of a signed-in user', () => {
  it('ends its sessions and tokens, tells its relying party, and leaves no key or value naming it', async () => {
    const { account, tokens } = await signedIn('dora', ['app']);
    const [{ config, refresh_token, access_token }] = tokens as [(typeof tokens)[number]];
    expect((await everything()).some((v) => v.includes(account.id))).toBe(true);
    const before = good.received.length;

    const r = await cli('delete', 'dora');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('ended 1 session(s) and revoked 1 grant(s)');
    expect(r.stdout).toContain(`deleted user dora (sub ${account.id})`);
    expect(audit(r).map((l) => l.event)).toEqual([
      'account.sessions_ended',
      'logout.backchannel_sent',
      'account.deleted',
    ]);

    expect(good.received.length).toBe(before + 1);
    await expect(oidc.refreshTokenGrant(config, refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    const api = await rp(tg, 'api', API_SECRET);
    expect((await oidc.tokenIntrospection(api, access_token)).active).toBe(false);

    const left = (await everything()).filter((v) => v.includes(account.id) || v.includes('dora'));
    expect(left).toEqual([]);
  });
});

describe('a back-channel logout that fails', () => {
  it('disable: exit 4, the failed client named on stderr and in a logout.backchannel_failed line', async () => {
    const { account } = await signedIn('ezra', ['app', 'flaky']);
    const r = await cli('disable', 'ezra');
    expect(r.code).toBe(4);
    expect(r.stdout).toContain('user ezra disabled\nended 1 session(s)');
    expect(r.stderr).toMatch(
      /^tollgate: back-channel logout to flaky failed: expected 200 OK from http:\/\/127\.0\.0\.1:\d+\/bc, got: 500 Internal Server Error;/m,
    );
    expect(r.stderr).not.toMatch(/back-channel logout to app failed/);
    const failed = audit(r).filter((l) => l.event === 'logout.backchannel_failed');
    expect(failed).toEqual([expect.objectContaining({ client: 'flaky', account: account.id })]);
    expect(audit(r).filter((l) => l.event === 'logout.backchannel_sent')).toEqual([
      expect.objectContaining({ client: 'app', account: account.id }),
    ]);
    // The change itself was made: the account is disabled.
    expect((await tg.tollgate.store.accounts.findById(account.id))?.disabled).toBe(true);
  });

  it('delete: still deletes everything, then exits 4 naming the client', async () => {
    const { account } = await signedIn('finn', ['flaky']);
    const r = await cli('delete', 'finn');
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/^tollgate: back-channel logout to flaky failed: /m);
    expect(await tg.tollgate.store.accounts.findById(account.id)).toBeUndefined();
    expect((await everything()).filter((v) => v.includes(account.id))).toEqual([]);
  });

  it('all delivered: exit 0', async () => {
    await signedIn('gus', ['app']);
    const r = await cli('disable', 'gus');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('failed');
  });
});
