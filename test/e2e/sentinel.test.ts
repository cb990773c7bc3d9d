import { Redis } from 'ioredis';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { layoutKey } from '../../adapters/redis-layout.ts';
import { enrolTotp } from '../faults/helpers.ts';
import { Browser } from '../helpers/browser.ts';
import { type RedisSentinelGroup, startRedisSentinel } from '../helpers/redis-sentinel.ts';
import { addUser, RP_CALLBACK, type RunningTollgate } from '../helpers/tollgate.ts';
import { Authenticator, stepAt } from '../helpers/totp.ts';
import { authorize, exchange, rp } from '../mfa/helpers.ts';
import { passwordSignIn, readyzBecomes, startScaleOutTollgate } from './scale-out.ts';

const PASSWORD = 'a password the replica has too';

let group: RedisSentinelGroup;
let tg: RunningTollgate;

beforeAll(async () => {
  group = await startRedisSentinel();
  tg = await startScaleOutTollgate({ sentinel: { name: group.name, nodes: group.nodes } });
});

afterAll(async () => {
  await tg?.stop();
  await group?.stop();
});

/** A user with TOTP enrolled, and their authenticator app (each code is accepted once). */
async function totpUser(username: string): Promise<Authenticator> {
  const { key } = await enrolTotp(tg, await addUser(tg, username, PASSWORD));
  const app = new Authenticator(key);
  // enrolTotp used the previous step's code: it is spent.
  app.used.add(stepAt(Date.now()) - 1);
  return app;
}

/** A password + TOTP login at `mfa-app`. */
async function signInWithTotp(config: oidc.Configuration, username: string, authenticator: Authenticator) {
  const browser = new Browser();
  const { page, verifier } = await authorize(browser, config);
  const challenge = await browser.submit(page, { username, password: PASSWORD }, RP_CALLBACK);
  expect(challenge.body, challenge.body.slice(0, 400)).toContain('name="code"');
  const done = await browser.submit(challenge, { code: await authenticator.code() }, RP_CALLBACK);
  return { browser, ...(await exchange(config, done, verifier)) };
}

/** The role of the server tollgate's connection is on (`master` or `slave`). */
async function roleOfStore(): Promise<string> {
  const redis = tg.tollgate.store.redis;
  if (!redis) throw new Error('tollgate has no Redis store');
  const [role] = (await redis.call('ROLE')) as [string];
  return role;
}

describe('tollgate through Sentinel', () => {
  it('is on the master the sentinels name, marks the store with its layout and is ready', async () => {
    expect(await group.masterPort()).toBe(group.master.port);
    expect(await roleOfStore()).toBe('master');
    expect(await tg.tollgate.store.redis?.get(layoutKey('tg:'))).toBe('2');
    expect(await (await fetch(`${tg.url}/readyz`)).json()).toEqual({ status: 'ready' });
  });

  it('signs in with a password and TOTP, refreshes, and a revoked grant takes every token', async () => {
    const config = await rp(tg, 'mfa-app');
    const { tokens, claims } = await signInWithTotp(config, 'mira', await totpUser('mira'));
    expect(claims).toMatchObject({ acr: 'urn:tollgate:acr:2fa', amr: ['pwd', 'otp', 'mfa'] });

    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token as string);
    expect(await oidc.fetchUserInfo(config, refreshed.access_token, claims.sub as string)).toMatchObject({
      sub: claims.sub,
    });
    // Reusing the rotated refresh token revokes the grant: every token of it.
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token as string)).rejects.toThrow();
    await expect(oidc.refreshTokenGrant(config, refreshed.refresh_token as string)).rejects.toThrow();
    await expect(oidc.fetchUserInfo(config, refreshed.access_token, claims.sub as string)).rejects.toThrow();
  });

  it('keeps every replicated session, refresh token and authenticator across a failover (kill -9 of the master)', async () => {
    const app = await rp(tg, 'app');
    const mfaApp = await rp(tg, 'mfa-app');
    for (let i = 0; i < 3; i++) await addUser(tg, `kept${i}`, PASSWORD);
    const authenticator = await totpUser('nell');
    const before = await Promise.all(
      Array.from({ length: 6 }, (_v, i) => passwordSignIn(app, `kept${i % 3}`, PASSWORD)),
    );
    const withTotp = await signInWithTotp(mfaApp, 'nell', authenticator);

    // Written and acknowledged; once the replica has it too, a failover must not lose it.
    await group.synced();
    const killedAt = Date.now();
    await group.master.kill();
    await readyzBecomes(tg, 503, 10_000);
    await readyzBecomes(tg, 200, 30_000);
    // The promoted replica is the master now, and tollgate follows it within 10 s of the kill.
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect(await group.masterPort()).toBe(group.replica.port);
    expect(await roleOfStore()).toBe('master');

    for (const { browser, tokens, sub } of before) {
      // The refresh token issued before the kill is redeemed after it (and rotated).
      const refreshed = await oidc.refreshTokenGrant(app, tokens.refresh_token as string);
      expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
      expect((await oidc.fetchUserInfo(app, refreshed.access_token, sub)).sub).toBe(sub);
      // The browser's Session signs it in again: no password form, straight back to the app.
      const again = await authorize(browser, app);
      expect(again.page.url.startsWith(RP_CALLBACK), again.page.body.slice(0, 300)).toBe(true);
      const { claims } = await exchange(app, again.page, again.verifier);
      expect(claims.sub).toBe(sub);
    }
    // The two-factor session too: no password, no code asked again.
    const again = await authorize(withTotp.browser, mfaApp);
    expect(again.page.url.startsWith(RP_CALLBACK), again.page.body.slice(0, 300)).toBe(true);
    expect((await exchange(mfaApp, again.page, again.verifier)).claims.amr).toEqual(['pwd', 'otp', 'mfa']);
    expect(
      (await oidc.refreshTokenGrant(mfaApp, withTotp.tokens.refresh_token as string)).access_token,
    ).toBeTruthy();
    // The enrolled authenticator survived: a fresh browser signs in with password and TOTP.
    expect((await signInWithTotp(mfaApp, 'nell', authenticator)).claims.acr).toBe('urn:tollgate:acr:2fa');

    // No replica is left: security writes fail closed until there is one again.
    const { accounts } = tg.tollgate.store;
    const kept = await accounts.findByUsername('kept0');
    if (!kept) throw new Error('kept0 is gone');
    await expect(accounts.update(kept.id, { groups: ['after'] })).rejects.toThrow(/^NOREPLICAS/);
    // The old master comes back (empty) as a replica of the new one: what the sentinels do to a
    // returning old master some seconds later, done at once here.
    await group.master.restart();
    const oldMaster = new Redis(group.master.port, '127.0.0.1');
    const newMaster = new Redis(group.replica.port, '127.0.0.1');
    try {
      // No 5 s pause before the first sync (the promoted replica has Redis 7's default).
      await newMaster.config('SET', 'repl-diskless-sync-delay', '0');
      await oldMaster.call('REPLICAOF', '127.0.0.1', String(group.replica.port));
      const deadline = Date.now() + 30_000;
      while (!/slave0:.*state=online/.test(String(await newMaster.info('replication')))) {
        if (Date.now() > deadline) throw new Error('the old master did not come back as a replica');
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      oldMaster.disconnect();
      newMaster.disconnect();
    }
    expect((await accounts.update(kept.id, { groups: ['after'] })).groups).toEqual(['after']);
  });
});
