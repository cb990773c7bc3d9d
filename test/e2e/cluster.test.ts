import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutKey } from '../../adapters/redis-layout.ts';
import { enrolTotp, totpAt } from '../faults/helpers.ts';
import { Browser } from '../helpers/browser.ts';
import { type RedisCluster, startRedisCluster } from '../helpers/redis-cluster.ts';
import { addUser, RP_CALLBACK, type RunningTollgate } from '../helpers/tollgate.ts';
import { authorize, exchange, rp } from '../mfa/helpers.ts';
import { passwordSignIn, readyzBecomes, startScaleOutTollgate } from './scale-out.ts';

const PASSWORD = 'a cluster-wide password';

let cluster: RedisCluster;
let tg: RunningTollgate;

beforeAll(async () => {
  cluster = await startRedisCluster();
  tg = await startScaleOutTollgate({ cluster: { nodes: cluster.nodes } });
});

afterAll(async () => {
  await tg?.stop();
  await cluster?.stop();
});

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
    const before = await Promise.all(
      Array.from({ length: 8 }, (_v, i) => passwordSignIn(config, `load${i % 4}`, PASSWORD)),
    );

    let resharding = true;
    const during: Awaited<ReturnType<typeof passwordSignIn>>[] = [];
    const failures: string[] = [];
    const load = Array.from({ length: 2 }, async (_v, w) => {
      for (let n = 0; resharding || n === 0; n++) {
        try {
          during.push(await passwordSignIn(config, `load${(w + n) % 4}`, PASSWORD));
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
    await readyzBecomes(tg, 503, 10_000);
    // cluster-node-timeout is 2 s: the replica is promoted, and the client learns the new map.
    await readyzBecomes(tg, 200, 30_000);
    const { tokens } = await passwordSignIn(await rp(tg, 'app'), 'load0', PASSWORD);
    expect(tokens.access_token).toBeTruthy();
  });
});
