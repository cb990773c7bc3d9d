// Issue 12.1: attempt caps hold under concurrency. An attempt is taken atomically BEFORE a code
// or password is checked (src/security/attempts.ts), so a burst of parallel guesses gets at
// most the configured number of checks; the rest are refused without verifying. Pinned on
// the real redis-server and on the memory store (same semantics). Regression: the steps read
// the counts, checked, then wrote the failure, so all 50 parallel guesses were verified.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Factor } from '../../src/factors/types.ts';
import { createCsrf } from '../../src/security/csrf.ts';
import { Browser, type Page, parseForm } from '../helpers/browser.ts';
import { startRedis } from '../helpers/redis-server.ts';
import { addUser, RP_CALLBACK, type RunningTollgate, TEST_COOKIE_KEY } from '../helpers/tollgate.ts';
import {
  authorize,
  keyFromPage,
  oathtool,
  recoveryCodesFromPage,
  rp,
  startMfaTollgate,
  submit,
} from '../mfa/helpers.ts';

const PASSWORD = 'a long enough password';
const PARALLEL = 50;
/** Limits under test: 5 per challenge (the default), and account/IP limits the bursts cannot reach. */
const REGULATION = { max_attempts_per_challenge: 5, max_failures: 10, max_failures_per_ip: 1000 };

/** A six-digit code that is not valid for `key` in the current window. */
function wrongCode(key: string): string {
  const valid = new Set([-1, 0, 1].map((o) => oathtool(key, o)));
  return ['123456', '654321', '111111', '222222'].find((c) => !valid.has(c)) as string;
}

/** POSTs `fields` to the form of `page` `n` times at once, without following redirects. */
async function burst(browser: Browser, page: Page, fields: (i: number) => Record<string, string>, n: number) {
  const form = parseForm(page.body);
  const action = new URL(form.action, page.url).href;
  return Promise.all(
    Array.from({ length: n }, (_v, i) => browser.request(action, { form: { ...form.fields, ...fields(i) } })),
  );
}

describe.each(['redis', 'memory'] as const)('attempt caps under concurrency (%s store)', (backend) => {
  let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
  let tg: RunningTollgate;

  beforeAll(async () => {
    redis = backend === 'redis' ? await startRedis() : undefined;
    tg = await startMfaTollgate(redis?.url ?? '', REGULATION);
    // The bursts reuse pooled keep-alive sockets: the server must not close an idle one just as
    // a request goes out on it (Node's 5 s default races a slow, loaded machine: ECONNRESET).
    tg.server.keepAliveTimeout = 60_000;
  });
  afterAll(async () => {
    await tg?.stop();
    await redis?.stop();
  });

  /** A user with TOTP (and recovery codes) set up through the pages; returns the TOTP key. */
  async function enrolledUser(username: string) {
    await addUser(tg, username, PASSWORD);
    const browser = new Browser();
    const { page } = await authorize(browser, await rp(tg, 'mfa-app'));
    const enrol = await submit(browser, page, { username, password: PASSWORD });
    const key = keyFromPage(enrol);
    const codes = await submit(browser, enrol, { code: oathtool(key) });
    const recoveryCodes = recoveryCodesFromPage(codes);
    expect(recoveryCodes).toHaveLength(10);
    await submit(browser, codes, { confirm: '1' });
    return { key, recoveryCodes };
  }

  /** Counts calls of a factor's `verify` while `run` runs. */
  async function countingVerifies(factorId: string, run: () => Promise<void>) {
    const factor = tg.tollgate.mfa.factors.get(factorId) as Factor;
    const spy = vi.spyOn(factor, 'verify');
    try {
      await run();
      return spy.mock.calls.length;
    } finally {
      spy.mockRestore();
    }
  }

  it('50 parallel wrong TOTP codes against one challenge: exactly 5 are checked, the rest refused', async () => {
    const { key } = await enrolledUser(`tess-${backend}`);
    const browser = new Browser();
    const { page } = await authorize(browser, await rp(tg, 'mfa-app'));
    const challenge = await submit(browser, page, { username: `tess-${backend}`, password: PASSWORD });
    expect(challenge.body).toContain('name="code"');
    let pages: Page[] = [];
    const checked = await countingVerifies('totp', async () => {
      pages = await burst(browser, challenge, () => ({ code: wrongCode(key) }), PARALLEL);
    });
    expect(checked).toBe(REGULATION.max_attempts_per_challenge);
    expect(pages.filter((p) => p.status === 401)).toHaveLength(4);
    // The rest: "Too many wrong codes", or (once the closed challenge's login is gone) back to
    // the start of the interaction. Never the app.
    const refused = pages.filter((p) => p.status !== 401);
    expect(refused).toHaveLength(PARALLEL - 4);
    for (const p of refused) {
      if (p.status === 429) expect(p.body).toContain('Too many wrong codes');
      else expect(p.headers.get('location')).toMatch(/^\/interaction\/[^/]+$/);
    }

    // The challenge is closed: even the right code is refused unchecked.
    const late = await countingVerifies('totp', async () => {
      const again = await browser.request(new URL(parseForm(challenge.body).action, challenge.url).href, {
        form: { ...parseForm(challenge.body).fields, code: oathtool(key) },
      });
      // Not the way on to the app (oidc-provider's /auth resume): back to the start, or refused.
      expect(again.status === 429 || /^\/interaction\/[^/]+$/.test(again.headers.get('location') ?? '')).toBe(
        true,
      );
    });
    expect(late).toBe(0);
  });

  it('recovery codes: a burst with the right code among wrong ones never checks more than the cap', async () => {
    const { recoveryCodes } = await enrolledUser(`rita-${backend}`);
    const browser = new Browser();
    const { page } = await authorize(browser, await rp(tg, 'mfa-app'));
    const totpPage = await submit(browser, page, { username: `rita-${backend}`, password: PASSWORD });
    const link = /href="([^"]*\/mfa\/recovery)"/.exec(totpPage.body)?.[1] as string;
    const recoveryPage = await browser.get(new URL(link, totpPage.url).href, RP_CALLBACK);
    expect(recoveryPage.body).toContain('name="code"');
    // Well-formed wrong codes, and the right one sent last.
    const code = (i: number) =>
      i === PARALLEL - 1 ? (recoveryCodes[0] as string) : `0000-0000-0000-${String(i).padStart(4, '0')}`;
    let pages: Page[] = [];
    const checked = await countingVerifies('recovery', async () => {
      pages = await burst(browser, recoveryPage, (i) => ({ code: code(i) }), PARALLEL);
    });
    expect(checked).toBeLessThanOrEqual(REGULATION.max_attempts_per_challenge);
    expect(checked).toBeGreaterThan(0);
    // The right code got in only if it was one of those few checks.
    expect(pages.filter((p) => p.status === 401).length).toBeLessThanOrEqual(checked);
  });

  it('50 parallel wrong passwords for one username: at most max_failures are hashed', async () => {
    await addUser(tg, `paul-${backend}`, PASSWORD);
    const browser = new Browser();
    const { page } = await authorize(browser, await rp(tg, 'one-factor'));
    const verify = vi.spyOn(tg.tollgate.hasher, 'verify');
    let pages: Page[] = [];
    try {
      pages = await burst(
        browser,
        page,
        (i) => ({ username: `paul-${backend}`, password: `wrong ${i}` }),
        PARALLEL,
      );
      expect(verify.mock.calls.length).toBe(REGULATION.max_failures);
    } finally {
      verify.mockRestore();
    }
    expect(pages.filter((p) => p.status === 401).length).toBeLessThan(REGULATION.max_failures);
    expect(pages.filter((p) => p.status === 429).length).toBeGreaterThan(PARALLEL - REGULATION.max_failures);
  });

  it('the account page: 50 parallel removals with wrong codes check at most 5 of them', async () => {
    const { key } = await enrolledUser(`ally-${backend}`);
    const browser = new Browser();
    const login = await browser.get(`${tg.url}/account`);
    const totp = await browser.submit(login, { username: `ally-${backend}`, password: PASSWORD });
    // The enrolment used the current step; the next one is still in the window and unused.
    const home = await browser.submit(totp, { code: oathtool(key, 1) });
    expect(home.url).toBe(`${tg.url}/account`);
    const item =
      home.body.split('<li>').find((li) => li.includes('<strong>Authenticator app</strong>')) ?? '';
    const id = /action="\/account\/factors\/([^/]+)\/remove"/.exec(item)?.[1] as string;
    const csrf = parseForm(home.body).fields.csrf as string;
    const checked = await countingVerifies('totp', async () => {
      const pages = await Promise.all(
        Array.from({ length: PARALLEL }, () =>
          browser.request(`${tg.url}/account/factors/${id}/remove`, {
            form: { csrf, verify_with: 'totp', code: wrongCode(key) },
          }),
        ),
      );
      expect(pages.filter((p) => p.status === 429)).toHaveLength(
        PARALLEL - REGULATION.max_attempts_per_challenge,
      );
    });
    expect(checked).toBe(REGULATION.max_attempts_per_challenge);
  });

  it('a step-up after a closed challenge keeps its count: re-asking does not reset it', async () => {
    const { key } = await enrolledUser(`sven-${backend}`);
    const browser = new Browser();
    // One factor at a client that needs none: the session has only the password.
    const { page } = await authorize(browser, await rp(tg, 'one-factor'));
    const done = await submit(browser, page, { username: `sven-${backend}`, password: PASSWORD });
    expect(done.url.startsWith(RP_CALLBACK)).toBe(true);

    const mfaApp = await rp(tg, 'mfa-app');
    let { page: challenge } = await authorize(browser, mfaApp);
    expect(challenge.body).toContain('name="code"');
    expect(challenge.body).not.toContain('name="password"');
    for (let i = 0; i < REGULATION.max_attempts_per_challenge; i++)
      challenge = await submit(browser, challenge, { code: wrongCode(key) });
    expect(challenge.status).toBe(429);
    expect(challenge.body).toContain('Too many wrong codes');

    // A new authorization request of the same session asks again: still closed, and the right
    // code is not even looked at.
    const checked = await countingVerifies('totp', async () => {
      const { page: again } = await authorize(browser, mfaApp);
      expect(again.status).toBe(429);
      expect(again.body).toContain('Too many wrong codes');
      expect(again.body).not.toContain('name="code"');
      const uid = /\/interaction\/([^/"?]+)/.exec(again.url)?.[1] as string;
      // The page has no form: post the code as a script would, with this interaction's token.
      const csrf = createCsrf(TEST_COOKIE_KEY).token(uid);
      const forced = await browser.request(new URL(`/interaction/${uid}/mfa/totp`, tg.url).href, {
        form: { csrf, code: oathtool(key) },
      });
      expect(forced.status).toBe(429);
      expect(forced.body).toContain('Too many wrong codes');
    });
    expect(checked).toBe(0);
  });
});
