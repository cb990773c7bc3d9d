// The factor seam: a factor that lives in one folder (test/fixtures/word-factor), mounted
// through the public exports, works at login and on /account. Nothing outside its folder knows
// it: its options are validated by its own schema, its pages come from its own views/, its
// messages from its own catalogue, its amr reaches the ID token.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_FACTORS } from '../../src/factors/exports.ts';
import { createConfigSchema } from '../../src/index.ts';
import { wordFactor } from '../fixtures/word-factor/index.ts';
import { Browser, type Page } from '../helpers/browser.ts';
import { startRedis } from '../helpers/redis-server.ts';
import {
  APP_SECRET,
  addUser,
  RP_CALLBACK,
  type RunningTollgate,
  startTollgate,
} from '../helpers/tollgate.ts';
import { authorize, exchange, recoveryCodesFromPage, rp } from '../mfa/helpers.ts';

let redis: Awaited<ReturnType<typeof startRedis>>;
let tg: RunningTollgate;
const PASSWORD = 'a long enough password';

const mfa = (extra: Record<string, unknown> = {}) => ({
  factors: ['word', 'recovery'],
  encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
  word: { min_length: 5 },
  ...extra,
});

beforeAll(async () => {
  redis = await startRedis();
  tg = await startTollgate({
    redisUrl: redis.url,
    factors: [wordFactor],
    overrides: {
      mfa: mfa(),
      clients: [
        {
          client_id: 'mfa-app',
          client_secret: APP_SECRET,
          redirect_uris: [RP_CALLBACK],
          first_party: true,
          mfa: 'required',
        },
      ],
    },
  });
});

afterAll(async () => {
  await tg?.stop();
  await redis?.stop();
});

/** Submits the form whose action ends with `suffix`. */
async function post(browser: Browser, page: Page, suffix: string, fields: Record<string, string>) {
  const forms = [...page.body.matchAll(/<form\b[^>]*action="([^"]*)"/g)].map((m) => m[1] as string);
  const index = forms.findIndex((a) => a.endsWith(suffix));
  if (index < 0) throw new Error(`no form posting to ${suffix} in:\n${page.body.slice(0, 600)}`);
  return browser.submit(page, fields, RP_CALLBACK, index);
}

describe('a plug-in factor from one folder', () => {
  it('has its options merged into the config schema by registration', () => {
    const schema = createConfigSchema([...BUILTIN_FACTORS, wordFactor]);
    const base = { issuer: 'http://127.0.0.1:1', cookies: { keys: ['k'.repeat(32)] } };
    expect(schema.safeParse({ ...base, mfa: mfa({ word: { min_length: 2 } }) }).success).toBe(false);
    expect(schema.parse({ ...base, mfa: mfa({ word: {} }) }).mfa?.word).toEqual({ min_length: 6 });
    // Without the registration, the id is unknown and the options are refused.
    expect(createConfigSchema().safeParse({ ...base, mfa: mfa() }).success).toBe(false);
  });

  it('is enrolled and verified at login, with its own views, messages and amr', async () => {
    await addUser(tg, 'wendy', PASSWORD);
    const config = await rp(tg, 'mfa-app');
    const browser = new Browser();
    const first = await authorize(browser, config);
    const enrol = await browser.submit(first.page, { username: 'wendy', password: PASSWORD });
    expect(enrol.body).toContain('Choose a secret word');
    expect(enrol.body).toContain('at least 5 letters');
    const short = await browser.submit(enrol, { code: 'abc' });
    expect(short.status).toBe(400);
    expect(short.body).toContain('Use at least 5 letters.');
    const codes = await browser.submit(short, { code: 'marmalade' });
    expect(recoveryCodesFromPage(codes)).toHaveLength(10);
    const done = await browser.submit(codes, { confirm: '1' }, RP_CALLBACK);
    const enrolled = await exchange(config, done, first.verifier);
    expect(enrolled.claims.amr).toEqual(['pwd', 'kba', 'mfa']);
    expect(enrolled.claims.acr).toBe('urn:tollgate:acr:2fa');

    const later = new Browser();
    const again = await authorize(later, config);
    const challenge = await later.submit(again.page, { username: 'wendy', password: PASSWORD });
    expect(challenge.body).toContain('Enter your secret word');
    const wrong = await later.submit(challenge, { code: 'marmelade' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('That is not your secret word. 4 attempts left.');
    const signedIn = await later.submit(wrong, { code: 'marmalade' }, RP_CALLBACK);
    expect((await exchange(config, signedIn, again.verifier)).claims.amr).toEqual(['pwd', 'kba', 'mfa']);
  });

  it('is listed, proven and removed on /account through the same flow', async () => {
    await addUser(tg, 'walt', PASSWORD);
    const browser = new Browser();
    const login = await browser.get(`${tg.url}/account`);
    const home = await browser.submit(login, { username: 'walt', password: PASSWORD });
    expect(home.body).toContain('Add secret word');
    const enrol = await post(browser, home, '/account/enrol/word/start', {});
    expect(enrol.body).toContain('Choose a secret word');
    const codes = await browser.submit(enrol, { code: 'gooseberry' });
    const added = await browser.submit(codes, { confirm: '1' });
    expect(added.body).toContain('Secret word is set up, and your recovery codes are saved.');
    expect(added.body).toContain('<strong>Secret word</strong>');
    const account = await tg.tollgate.store.accounts.findByUsername('walt');
    const stored = await tg.tollgate.mfa.credentials.list(account?.id as string);
    const id = stored.find((c) => c.factor === 'word')?.id as string;
    const wrong = await post(browser, added, `/account/factors/${id}/remove`, {
      verify_with: 'word',
      code: 'nope',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('That is not your secret word; nothing was removed.');
    const removed = await post(browser, wrong, `/account/factors/${id}/remove`, {
      verify_with: 'word',
      code: 'gooseberry',
    });
    expect(removed.body).toContain('was removed');
    expect(await tg.tollgate.mfa.credentials.list(account?.id as string)).toEqual([]);
  });
});
