// The provider's own endpoints in the audit log (issue 16.8): an RP-initiated sign-out is
// `logout.succeeded`; each back-channel logout it sends is `logout.backchannel_sent` or, when the
// relying party answers 500 or cannot be reached, `logout.backchannel_failed` naming the client
// and why; a revoked token is `token.revoked` (its client, type and account), a refused
// revocation `token.revocation_failed`. Real tollgate on a real redis-server, real HTTP
// receivers; no token ever appears in a line.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../src/log.ts';
import { Browser } from '../helpers/browser.ts';
import { freePort, type RedisServer, startRedis } from '../helpers/redis-server.ts';
import {
  APP_SECRET,
  addUser,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
} from '../helpers/tollgate.ts';
import { authorize, exchange, password, rp } from '../mfa/helpers.ts';

const PASSWORD = 'provider events password 0123';

const lines: string[] = [];
function capturingLogger(): Logger {
  let buffer = '';
  return createLogger('info', {
    write(chunk: string) {
      buffer += chunk;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        lines.push(buffer.slice(0, nl));
        buffer = buffer.slice(nl + 1);
      }
    },
  });
}
const events = (name: string) =>
  lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === name);

/** A back-channel logout endpoint answering `status`; counts what it receives. */
async function receiver(status: number): Promise<{ server: Server; url: string; received: () => number }> {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(status).end();
    });
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}/backchannel`, received: () => received };
}

let redis: RedisServer;
let tg: RunningTollgate;
let ok: Awaited<ReturnType<typeof receiver>>;
let broken: Awaited<ReturnType<typeof receiver>>;
/** Every token handed out: none may appear in a log line. */
const tokens = new Set<string>();

const client = (client_id: string, backchannel_logout_uri: string) => ({
  client_id,
  client_secret: APP_SECRET,
  redirect_uris: [RP_CALLBACK],
  first_party: true,
  backchannel_logout_uri,
});

beforeAll(async () => {
  redis = await startRedis();
  [ok, broken] = await Promise.all([receiver(200), receiver(500)]);
  const unreachable = `http://127.0.0.1:${await freePort()}/backchannel`;
  tg = await startTollgate({
    redisUrl: redis.url,
    logger: capturingLogger(),
    overrides: {
      clients: [
        client('app-ok', ok.url),
        client('app-broken', broken.url),
        client('app-down', unreachable),
        { client_id: 'plain', client_secret: APP_SECRET, redirect_uris: [RP_CALLBACK], first_party: true },
      ],
    },
  });
});

afterAll(async () => {
  await tg?.stop();
  ok?.server.close();
  broken?.server.close();
  await redis?.stop();
});

/** Signs in (password once, then silently) at each client in one browser; returns their tokens. */
async function signedInAt(browser: Browser, username: string, clientIds: string[]) {
  const out: Record<string, oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers> = {};
  for (const [i, id] of clientIds.entries()) {
    const config = await rp(tg, id);
    const { page, verifier } =
      i === 0
        ? await password(browser, config, username, { password: PASSWORD })
        : await authorize(browser, config);
    const { tokens: t } = await exchange(config, page, verifier);
    for (const v of [t.access_token, t.refresh_token, t.id_token]) if (v) tokens.add(v);
    out[id] = t;
  }
  return out;
}

describe('provider audit events', () => {
  it('a sign-out logs logout.succeeded, and each back-channel logout as sent or failed with its client', async () => {
    const account = await addUser(tg, 'lou', PASSWORD);
    const browser = new Browser();
    await signedInAt(browser, 'lou', ['app-ok', 'app-broken', 'app-down']);

    const confirm = await browser.get(`${tg.url}/session/end?client_id=app-ok`);
    expect(confirm.body).toContain('op.logoutForm');
    const done = await browser.submit(confirm, { logout: 'yes' });
    expect(done.status).toBe(200);

    expect(events('logout.succeeded')).toEqual([
      expect.objectContaining({ account: account.id, client: 'app-ok', everywhere: true, level: 30 }),
    ]);
    expect(ok.received()).toBe(1);
    expect(broken.received()).toBe(1);
    expect(events('logout.backchannel_sent')).toEqual([
      expect.objectContaining({ client: 'app-ok', account: account.id, level: 30 }),
    ]);
    const failed = events('logout.backchannel_failed');
    expect(failed.map((f) => f.client).sort()).toEqual(['app-broken', 'app-down']);
    // Warnings, with the reason: the status the relying party answered, or the network error.
    expect(failed.every((f) => f.level === 40 && f.account === account.id)).toBe(true);
    expect(failed.find((f) => f.client === 'app-broken')?.error).toMatch(/500 Internal Server Error/);
    expect(failed.find((f) => f.client === 'app-down')?.error).toMatch(/ECONNREFUSED/);
  });

  it('"No, stay signed in" logs a sign-out of the asking client only', async () => {
    const account = await addUser(tg, 'nia', PASSWORD);
    const browser = new Browser();
    await signedInAt(browser, 'nia', ['plain']);
    const before = events('logout.succeeded').length;
    const confirm = await browser.get(`${tg.url}/session/end?client_id=plain`);
    await browser.submit(confirm, {});
    expect(events('logout.succeeded').slice(before)).toEqual([
      expect.objectContaining({ account: account.id, client: 'plain', everywhere: false }),
    ]);
  });

  it('a revoked refresh or access token logs token.revoked with its client, type and account', async () => {
    const account = await addUser(tg, 'rex', PASSWORD);
    const plain = await rp(tg, 'plain');
    const first = await signedInAt(new Browser(), 'rex', ['plain']);
    const second = await signedInAt(new Browser(), 'rex', ['plain']);
    const third = await signedInAt(new Browser(), 'rex', ['plain']);
    const before = events('token.revoked').length;
    // A reused refresh token is destroyed too, but at the token endpoint: that is no revocation.
    const rotated = third.plain?.refresh_token as string;
    const fresh = await oidc.refreshTokenGrant(plain, rotated);
    if (fresh.refresh_token) tokens.add(fresh.refresh_token);
    tokens.add(fresh.access_token);
    await expect(oidc.refreshTokenGrant(plain, rotated)).rejects.toMatchObject({ error: 'invalid_grant' });
    await oidc.tokenRevocation(plain, first.plain?.refresh_token as string);
    await oidc.tokenRevocation(plain, second.plain?.access_token as string);
    // Each revocation took its grant's other tokens with it: a token no longer there is no
    // revocation, and gets no line.
    await oidc.tokenRevocation(plain, first.plain?.access_token as string);
    await oidc.tokenRevocation(plain, second.plain?.refresh_token as string);
    expect(events('token.revoked').slice(before)).toEqual([
      expect.objectContaining({ client: 'plain', token_type: 'refresh_token', account: account.id }),
      expect.objectContaining({ client: 'plain', token_type: 'access_token', account: account.id }),
    ]);
  });

  it('a refused revocation logs token.revocation_failed with the client and the error code', async () => {
    await addUser(tg, 'ray', PASSWORD);
    const issued = await signedInAt(new Browser(), 'ray', ['plain']);
    const token = issued.plain?.access_token as string;
    const before = events('token.revoked').length;
    // Another confidential client's token, and a wrong client secret.
    await expect(oidc.tokenRevocation(await rp(tg, 'app-ok'), token)).rejects.toMatchObject({
      error: 'invalid_request',
    });
    await expect(
      oidc.tokenRevocation(await rp(tg, 'plain', 'wrong-secret-0123456789'), token),
    ).rejects.toMatchObject({ status: 401 });
    expect(events('token.revocation_failed').slice(-2)).toEqual([
      expect.objectContaining({ client: 'app-ok', reason: 'invalid_request' }),
      expect.objectContaining({ reason: 'invalid_client' }),
    ]);
    expect(events('token.revoked').length).toBe(before);
  });

  it('no line carries a token', () => {
    expect(tokens.size).toBeGreaterThan(5);
    for (const line of lines) for (const t of tokens) expect(line).not.toContain(t);
  });
});
