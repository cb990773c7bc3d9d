// tollgate on a real Redis Cluster (3 masters, 3 replicas): a full MFA login through
// openid-client, refresh and revocation; logins under way while slots move between masters
// (redis-cli --cluster reshard) lose no session; /readyz follows the cluster's state.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutKey } from '../../adapters/redis-layout.ts';
import { generateJwks } from '../../src/provider/keys.ts';
import { enrolTotp, totpAt } from '../faults/helpers.ts';
import { Browser } from '../helpers/browser.ts';
import { type RedisCluster, startRedisCluster } from '../helpers/redis-cluster.ts';
import {
  APP_SECRET,
  addUser,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
} from '../helpers/tollgate.ts';
import { authorize, exchange, rp } from '../mfa/helpers.ts';

const PASSWORD = 'a cluster-wide password';

let cluster: RedisCluster;
let tg: RunningTollgate;

beforeAll(async () => {
  cluster = await startRedisCluster();
  const jwksFile = join(mkdtempSync(join(tmpdir(), 'tollgate-cluster-')), 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(generateJwks()));
  const client = (client_id: string, mfa: unknown) => ({
    client_id,
    client_secret: APP_SECRET,
    redirect_uris: [RP_CALLBACK],
    first_party: true,
    mfa,
  });
  tg = await startTollgate({
    redis: { cluster: { nodes: cluster.nodes } },
    jwksFile,
    overrides: {
      mfa: {
        factors: ['totp', 'recovery'],
        encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
      },
      clients: [client('mfa-app', { policy: 'required', factors: ['totp'] }), client('app', 'off')],
    },
  });
  await tg.tollgate.store.ensureLayout();
});

afterAll(async () => {
  await tg?.stop();
  await cluster?.stop();
});

/** A password-only login at `app`: the browser keeps its session, the RP its tokens. */
async function signIn(config: oidc.Configuration, username: string) {
  const browser = new Browser();
  const { page, verifier } = await authorize(browser, config);
  const done = await browser.submit(page, { username, password: PASSWORD }, RP_CALLBACK);
  const { tokens } = await exchange(config, done, verifier);
  return { browser, tokens };
}

/** Readiness, polled until it answers `status` (bounded: a failover takes a few seconds). */
async function readyzBecomes(status: number, ms: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const got = (await fetch(`${tg.url}/readyz`)).status;
    if (got === status) return Date.now() - started;
    if (Date.now() - started > ms) throw new Error(`/readyz stayed ${got}, not ${status}, for ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('tollgate on a Redis Cluster', () => {
  it('marks the store with its layout and is ready', async () => {
    expect(await tg.tollgate.store.redis?.get(layoutKey('tg:'))).toBe('2');
    expect(await (await fetch(`${tg.url}/readyz`)).json()).toEqual({ status: 'ready' });
  });

  it('signs in with a password and TOTP, refreshes, and a revoked grant takes every token', async () => {
    const { key } = await enrolTotp(tg, await addUser(tg, 'mira', PASSWORD));
    const config = await rp(tg, 'mfa-app');
    const browser = new Browser();
    const { page, verifier } = await authorize(browser, config);
    const challenge = await browser.submit(page, { username: 'mira', password: PASSWORD }, RP_CALLBACK);
    expect(challenge.body).toContain('name="code"');
    const done = await browser.submit(challenge, { code: totpAt(key) }, RP_CALLBACK);
    const { tokens, claims } = await exchange(config, done, verifier);
    expect(claims).toMatchObject({ acr: 'urn:tollgate:acr:2fa', amr: ['pwd', 'otp', 'mfa'] });

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
    expect(await oidc.fetchUserInfo(config, refreshed.access_token, claims.sub as string)).toMatchObject({
      sub: claims.sub,
    });
    // Reusing the rotated refresh token revokes the grant: every token of it, on its one slot.
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toThrow();
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token as string)).rejects.toThrow();
    await expect(oidc.fetchUserInfo(config, refreshed.access_token, claims.sub as string)).rejects.toThrow();
  });

  it('loses no session while slots move between masters under a login load', async () => {
    const config = await rp(tg, 'app');
    for (let i = 0; i < 4; i++) await addUser(tg, `load${i}`, PASSWORD);
    const before = await Promise.all(Array.from({ length: 8 }, (_v, i) => signIn(config, `load${i % 4}`)));

    let resharding = true;
    const during: Awaited<ReturnType<typeof signIn>>[] = [];
    const failures: string[] = [];
    const load = Array.from({ length: 2 }, async (_v, w) => {
      for (let n = 0; resharding || n === 0; n++) {
        try {
          during.push(await signIn(config, `load${(w + n) % 4}`));
        } catch (err) {
          failures.push((err as Error).message.slice(0, 300));
        }
      }
    });
    try {
      await cluster.reshard(3000);
    } finally {
      resharding = false;
      await Promise.all(load);
    }
    expect(failures).toEqual([]);
    expect(during.length).toBeGreaterThan(0);

    // Every session from before and during the move: the browser is still signed in (no
    // password asked), and its refresh token still works.
    for (const { browser, tokens } of [...before, ...during]) {
      const again = await authorize(browser, config);
      expect(again.page.url.startsWith(RP_CALLBACK), again.page.body.slice(0, 300)).toBe(true);
      expect(
        (await oidc.refreshTokenGrant(config, tokens.refresh_token as string)).access_token,
      ).toBeTruthy();
    }
  });

  it('/readyz answers 503 while a master is down, and 200 again once its replica took over', async () => {
    const master = (await cluster.roles()).find((r) => r.role === 'master' && !r.failed);
    const server = cluster.servers.find((s) => s.port === master?.port);
    if (!server) throw new Error('no master to stop');
    await server.kill();
    await readyzBecomes(503, 10_000);
    // cluster-node-timeout is 2 s: the replica is promoted, and the client learns the new map.
    await readyzBecomes(200, 30_000);
    const { tokens } = await signIn(await rp(tg, 'app'), 'load0');
    expect(tokens.access_token).toBeTruthy();
  });
});
