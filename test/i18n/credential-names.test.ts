// The names of a user's sign-in methods on /account in the page's language (issue #13.1): the
// names the factors made up at set-up are stored in English ("Authenticator app 2", "Email code
// (h***@example.test)", "Recovery codes", "Passkey 2") and read translated; a name the user gave
// a passkey stays as typed.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrolTotp, totpAt } from '../faults/helpers.ts';
import { Browser } from '../helpers/browser.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { addUser, type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';
import { PASSWORD } from '../mfa/helpers.ts';

let redis: RedisServer;
let tg: RunningTollgate;

beforeAll(async () => {
  redis = await startRedis();
  tg = await startTollgate({
    redisUrl: redis.url,
    // Passkeys need a domain.
    hostname: 'localhost',
    overrides: {
      otp: { hmac_key: randomBytes(32).toString('base64') },
      mfa: {
        factors: ['totp', 'recovery', 'email', 'webauthn'],
        encryption_keys: [{ id: 'k1', key: randomBytes(32).toString('base64') }],
      },
    },
  });
});

afterAll(async () => {
  await tg?.stop();
  await redis?.stop();
});

/** Signs `username` in to /account in `language` (password, then the TOTP code). */
async function accountPage(username: string, key: string, language: string) {
  const browser = new Browser({ 'accept-language': language });
  const login = await browser.get(`${tg.url}/account`);
  const challenge = await browser.submit(login, { username, password: PASSWORD });
  const home = await browser.submit(challenge, { code: totpAt(key) });
  expect(home.url, text(home.body).slice(0, 600)).toBe(`${tg.url}/account`);
  return { browser, home };
}

/** A page as its text, whatever the markup around. */
const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

describe('sign-in method names on /account', () => {
  it('read in German and French, the names the user gave stay', async () => {
    const record = await addUser(tg, 'hans', PASSWORD, { email: 'hans@example.test' });
    const { key } = await enrolTotp(tg, record);
    const { credentials } = tg.tollgate.mfa;
    // As the factors store them at set-up (src/factors/*/index.ts), in English.
    const made = [
      { factor: 'totp', label: 'Authenticator app 2', data: {} },
      { factor: 'email', label: 'Email code (h***@example.test)', data: { address: 'hans@example.test' } },
      { factor: 'recovery', label: 'Recovery codes', data: { codes: [] } },
      { factor: 'webauthn', label: 'Passkey 2', data: {} },
      { factor: 'webauthn', label: 'Mein YubiKey', data: {} },
    ];
    const { browser, home } = await accountPage('hans', key, 'de');
    for (const c of made) await credentials.create({ account_id: record.id, ...c });

    const de = text((await browser.get(home.url)).body);
    expect(de).toContain('Authenticator-App 2');
    expect(de).toContain('Code per E-Mail (h***@example.test)');
    expect(de).toContain('Wiederherstellungscodes');
    expect(de).toContain('Mein YubiKey');
    for (const english of ['Authenticator app', 'Email code', 'Recovery codes'])
      expect(de).not.toContain(english);

    // The same session, the browser now asking for French.
    const page = text((await browser.request(home.url, { headers: { 'accept-language': 'fr' } })).body);
    expect(page).toContain('Application d’authentification 2');
    expect(page).toContain('Clé d’accès 2');
    expect(page).toContain('Mein YubiKey');
    expect(page).not.toContain('Passkey 2');
  });
});
