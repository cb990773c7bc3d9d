// Password guessing is limited per normalised username (known or not) and per client IP,
// checked before argon2: a lockout answers 429 with a retry time and reveals nothing.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Browser, type Page } from '../helpers/browser.ts';
import { addUser, RP_CALLBACK, type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';
import { authorize, rp } from '../mfa/helpers.ts';

const PASSWORD = 'a long enough password';
const LOCKED = /Too many attempts\. Try again after \d{2}:\d{2} UTC\./;

let tg: RunningTollgate;
beforeAll(async () => {
  tg = await startTollgate();
  await addUser(tg, 'victor', PASSWORD);
});
afterAll(async () => {
  await tg?.stop();
});

/** The login form for a fresh authorization request of the `app` client. */
async function loginPage(browser: Browser): Promise<Page> {
  const { page } = await authorize(browser, await rp(tg, 'app'));
  expect(page.body).toContain('name="password"');
  return page;
}

/** `failures` wrong passwords for `username`, then the `last` password; returns every page. */
async function guess(username: string, failures: number, last: string) {
  const browser = new Browser();
  let page = await loginPage(browser);
  const pages: Page[] = [];
  for (let i = 0; i < failures; i++) {
    page = await browser.submit(page, { username, password: `wrong guess ${i}` }, RP_CALLBACK);
    pages.push(page);
  }
  pages.push(await browser.submit(page, { username, password: last }, RP_CALLBACK));
  return pages;
}

/** The page without what differs per request (csrf, interaction uid, times, the username). */
const shape = (page: Page, username: string) =>
  page.body
    .replace(/name="csrf" value="[^"]+"/g, 'CSRF')
    .replace(/\/interaction\/[^/"?]+/g, '/interaction/UID')
    .replace(/csrf=[^"&]+/g, 'csrf=CSRF')
    .replace(/\d{2}:\d{2} UTC/g, 'HH:MM UTC')
    .replaceAll(username, 'USER');

describe('password regulation', () => {
  it('locks a real username after 10 wrong passwords: the right one gets 429 and is not checked', async () => {
    const pages = await guess('victor', 10, PASSWORD);
    for (const p of pages.slice(0, 9)) {
      expect(p.status).toBe(401);
      expect(p.body).toContain('Incorrect username or password.');
    }
    const locked = pages.at(-1) as Page;
    expect(locked.status).toBe(429);
    expect(locked.body).toMatch(LOCKED);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(locked.headers.get('retry-after'))).toBeLessThanOrEqual(300);
    expect(locked.url.startsWith(RP_CALLBACK)).toBe(false);
    // Another spelling of the same name is the same key, and the password is not checked while
    // locked; a dummy hash runs instead, so a lockout takes as long as a check (issue 12.8).
    const hasher = tg.tollgate.hasher;
    const verify = vi.spyOn(hasher, 'verify');
    const dummy = vi.spyOn(hasher, 'dummyVerify');
    try {
      const again = await guess('  VICTOR ', 0, PASSWORD);
      expect(again[0]?.status).toBe(429);
      expect(verify).not.toHaveBeenCalled();
      expect(dummy).toHaveBeenCalledTimes(1);
    } finally {
      verify.mockRestore();
      dummy.mockRestore();
    }
  });

  it('limits an unknown username exactly like a real one', async () => {
    const real = await guess('victor', 0, PASSWORD);
    const unknown = await guess('nobody-here', 10, PASSWORD);
    const locked = unknown.at(-1) as Page;
    expect(locked.status).toBe(429);
    expect(locked.body).toMatch(LOCKED);
    expect(locked.headers.get('retry-after')).toBeTruthy();
    expect(shape(locked, 'nobody-here')).toBe(shape(real[0] as Page, 'victor'));
    // The tenth wrong password already answers like the real user's did.
    expect(unknown.slice(0, 9).every((p) => p.status === 401)).toBe(true);
  });

  it('does not lock other usernames, and a right password clears the count', async () => {
    await addUser(tg, 'wendy', PASSWORD);
    const first = await guess('wendy', 9, PASSWORD);
    expect(first.at(-1)?.url.startsWith(RP_CALLBACK) || first.at(-1)?.status === 200).toBe(true);
    expect(first.at(-1)?.status).not.toBe(429);
    // The count restarted: nine more wrong passwords still do not lock.
    const second = await guess('wendy', 9, PASSWORD);
    expect(second.at(-1)?.status).not.toBe(429);
    expect(second.at(-2)?.status).toBe(401);
  });
});
