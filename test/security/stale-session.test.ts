// A live browser session whose account went away (disabled or deleted behind the provider's
// back) or was reset leads to a fresh sign-in, never a 500 (issue 15.6: oidc-provider's consent
// check read an undefined grant). The account's `sessions_not_before` stamp alone also refuses
// the session and the tokens issued before it (the belt behind the account index, issue 12.4).
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountKeys } from '../../adapters/redis-layout.ts';
import { Browser } from '../helpers/browser.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import {
  API_SECRET,
  addUser,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
} from '../helpers/tollgate.ts';
import { authorize, exchange, rp } from '../mfa/helpers.ts';
import { expectFreshSignIn } from './fresh-sign-in.ts';

const PASSWORD = 'a long enough password';

let redis: RedisServer;
let tg: RunningTollgate;
let app: oidc.Configuration;
/** The resource server: the one client that may introspect others' tokens. */
let api: oidc.Configuration;

beforeAll(async () => {
  redis = await startRedis();
  tg = await startTollgate({ redisUrl: redis.url });
  app = await rp(tg, 'app');
  api = await rp(tg, 'api', API_SECRET);
});

afterAll(async () => {
  await tg?.stop();
  await redis?.stop();
});

/** Signs `username` in at `app` and returns the browser (session alive) and the tokens. */
async function signedIn(username: string) {
  const account = await addUser(tg, username, PASSWORD);
  const browser = new Browser();
  const login = await authorize(browser, app);
  const done = await browser.submit(login.page, { username, password: PASSWORD }, RP_CALLBACK);
  const { tokens } = await exchange(app, done, login.verifier);
  return { account, browser, tokens };
}

describe('a live session of an account that is gone', () => {
  it('disabled in the store: a fresh sign-in, no 5xx, and its access token introspects inactive', async () => {
    const { account, browser, tokens } = await signedIn('stale-disabled');
    expect(await oidc.tokenIntrospection(api, tokens.access_token)).toMatchObject({ active: true });
    await tg.tollgate.store.accounts.update(account.id, { disabled: true });
    expect(await oidc.tokenIntrospection(api, tokens.access_token)).toEqual({ active: false });
    await expectFreshSignIn(browser, tg.url, app);
  });

  it('deleted from the store: a fresh sign-in, no 5xx', async () => {
    const { account, browser } = await signedIn('stale-deleted');
    const client = tg.tollgate.store.redis;
    await client?.del(accountKeys('tg:').account(account.id));
    await client?.hdel('tg:account:usernames', 'stale-deleted');
    await expectFreshSignIn(browser, tg.url, app);
  });

  it('signed in again as someone else in the same browser: that account, not the gone one', async () => {
    const { account, browser } = await signedIn('stale-switch');
    await tg.tollgate.store.accounts.update(account.id, { disabled: true });
    const other = await addUser(tg, 'stale-other', PASSWORD);
    const login = await authorize(browser, app);
    const done = await browser.submit(
      login.page,
      { username: 'stale-other', password: PASSWORD },
      RP_CALLBACK,
    );
    // oidc-provider ends the old session first (its auto-submitted logout form), then resumes.
    expect(done.body).toContain('/session/end/confirm');
    const after = await browser.submit(done, {}, RP_CALLBACK);
    expect((await exchange(app, after, login.verifier)).claims.sub).toBe(other.id);
  });
});

describe('sessions_not_before alone (sessions and tokens the index missed)', () => {
  it('refuses the session, the refresh token and the access token issued before it', async () => {
    const { account, browser, tokens } = await signedIn('stamped');
    // Only the stamp: the session and tokens stay in Redis, as if the index had missed them.
    await tg.tollgate.store.accounts.update(account.id, {
      sessions_not_before: Math.floor(Date.now() / 1000) + 1,
    });
    await expect(oidc.refreshTokenGrant(app, tokens.refresh_token as string)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(oidc.fetchUserInfo(app, tokens.access_token, account.id)).rejects.toThrow();
    // A resource server asking about the access token hears it is no longer active.
    expect(await oidc.tokenIntrospection(api, tokens.access_token)).toEqual({ active: false });
    await expectFreshSignIn(browser, tg.url, app);
  });
});
