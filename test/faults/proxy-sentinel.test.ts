// The auth-proxy follows a Sentinel failover: its sessions are in a Sentinel group (a master, its
// replica, three sentinels) whose master is killed (SIGKILL) under a steady load of proxied GETs.
// Requests with a valid session get 200 or 503, nothing else; requests without one (no cookie, a
// forged ticket, a session signed out before the kill) never reach the upstream. The proxy serves
// again within 10 s of the kill, and every session created before it (and replicated) still works.
// Before that, a sign-out with the replica frozen: it waits for the replica, so it answers 503.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, type Page, parseForm } from '../helpers/browser.ts';
import { type RedisSentinelGroup, startRedisSentinel } from '../helpers/redis-sentinel.ts';
import { type RedisServer, startRedis } from '../helpers/redis-server.ts';
import { addUser } from '../helpers/tollgate.ts';
import { COOKIE, cookieHeader, rawGet, type Stack, signIn, startStack, ticketOf } from '../proxy/helpers.ts';

let group: RedisSentinelGroup;
let tollgateRedis: RedisServer;
let stack: Stack;

beforeAll(async () => {
  // tollgate keeps its own Redis: only the proxy's store fails over.
  [group, tollgateRedis] = await Promise.all([startRedisSentinel(), startRedis()]);
  stack = await startStack(tollgateRedis, {
    sessionRedis: { sentinel: { name: group.name, nodes: group.nodes } },
  });
  for (let i = 0; i < 3; i++) await addUser(stack.tg, `user${i}`, 'a long enough password');
});

afterAll(async () => {
  await stack?.stop();
  await Promise.all([group?.stop(), tollgateRedis?.stop()]);
});

/** One proxied GET and what came back; `valid`: it carried a live session. */
interface Outcome {
  at: number;
  valid: boolean;
  kind: string;
  status: number;
  fromUpstream: boolean;
  error?: string;
}

/** A ticket of the same shape as `ticket`, that no session has: its last characters changed. */
function forged(ticket: string): string {
  const tail = ticket.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA';
  return ticket.slice(0, -4) + tail;
}

describe('auth-proxy on Sentinel: failover under load', () => {
  it('a sign-out waits for the replica: with it frozen the sign-out answers 503, not "signed out"; a sign-in works', async () => {
    const browser = new Browser();
    await signIn(browser, stack, 'user1', '/start');
    const cookie = cookieHeader(browser);
    const ask = await browser.request(`${stack.url}/oauth2/sign_out`);
    const form = parseForm(ask.body);
    const again = new Browser();
    await signIn(again, stack, 'user2', '/start');
    const oldTicket = ticketOf(again);
    await group.synced();
    await group.replica.pause();
    let out: Page;
    let renewed: Page;
    try {
      // Signing in again (the old ticket is dropped for a new one) needs no replica.
      renewed = await again.get(`${stack.url}/oauth2/start?rd=/again`);
      out = await browser.request(new URL(form.action, ask.url).href, { form: form.fields });
    } finally {
      await group.replica.resume();
    }
    expect(renewed.status, renewed.body.slice(0, 200)).toBe(200);
    expect(ticketOf(again)).not.toBe(oldTicket);
    expect(out.status, out.body.slice(0, 200)).toBe(503);
    // The user tries again with the replica back: signed out, on to tollgate's end-session.
    expect((await browser.request(new URL(form.action, ask.url).href, { form: form.fields })).status).toBe(
      303,
    );
    expect((await rawGet(`${stack.url}/x`, { cookie })).status).toBe(302);
  });

  it('answers 503 while the master is gone, never a 500 or a pass, and serves every session again within 10 s', async () => {
    expect(await group.masterPort()).toBe(group.master.port);
    const browsers = await Promise.all(
      Array.from({ length: 6 }, async (_v, i) => {
        const browser = new Browser();
        const page = await signIn(browser, stack, `user${i % 3}`, '/start');
        expect(page.status).toBe(200);
        return browser;
      }),
    );
    const valid = browsers.map(cookieHeader);
    // A session signed out before the kill stays signed out after it.
    const gone = new Browser();
    await signIn(gone, stack, 'user0', '/start');
    const signedOut = cookieHeader(gone);
    await stack.proxy.sessions.destroy(ticketOf(gone));
    expect((await rawGet(`${stack.url}/x`, { cookie: signedOut })).status).toBe(302);
    const invalid: [string, Record<string, string>, string][] = [
      ['no cookie', {}, '/x'],
      ['forged ticket', { cookie: `${COOKIE}=${forged(ticketOf(browsers[0] as Browser))}` }, '/x'],
      ['signed out', { cookie: signedOut }, '/x'],
      ['forged ticket, api', { cookie: `${COOKIE}=${forged(ticketOf(browsers[1] as Browser))}` }, '/api/x'],
    ];

    const outcomes: Outcome[] = [];
    let running = true;
    const worker = async (w: number) => {
      for (let n = 0; running; n++) {
        // Every third request has no live session: it must never reach the upstream.
        const bad = n % 3 === 2 ? invalid[(w + n) % invalid.length] : undefined;
        const headers = bad ? bad[1] : { cookie: valid[(w + n) % valid.length] as string };
        const at = Date.now();
        try {
          const res = await rawGet(`${stack.url}${bad ? bad[2] : `/ok/${w}/${n}`}`, headers);
          outcomes.push({
            at,
            valid: !bad,
            kind: bad ? bad[0] : 'valid',
            status: res.status,
            fromUpstream: res.headers['x-upstream'] === 'echo',
          });
        } catch (err) {
          // No answer at all (a reset connection) is a failure of its own: status 0.
          outcomes.push({
            at,
            valid: !bad,
            kind: bad ? bad[0] : 'valid',
            status: 0,
            fromUpstream: false,
            error: (err as Error).message,
          });
        }
      }
    };
    const hitsBefore = stack.upstream.hits;
    const load = [worker(0), worker(1), worker(2)];
    const served = () => outcomes.filter((o) => o.valid && o.status === 200).length;
    const warm = Date.now() + 20_000;
    while (served() < 20 && Date.now() < warm) await new Promise((r) => setTimeout(r, 20));
    expect(served(), JSON.stringify(outcomes.slice(0, 5))).toBeGreaterThanOrEqual(20);

    // What the replica has is what survives: every session so far, and the sign-out.
    await group.synced();
    const killedAt = Date.now();
    await group.master.kill();
    // Bounded wait for the store's outage to show, then for a valid session served after it.
    // (The proxy's session cache may answer for a moment after the kill; the first 503 marks the
    // outage, the first 200 started after it the recovery.)
    let firstOutage: number | undefined;
    let recoveredAt: number | undefined;
    while (Date.now() - killedAt < 30_000 && recoveredAt === undefined) {
      firstOutage ??= outcomes.find((o) => o.at >= killedAt && o.status === 503)?.at;
      if (firstOutage !== undefined)
        recoveredAt = outcomes.find((o) => o.valid && o.at > (firstOutage as number) && o.status === 200)?.at;
      await new Promise((r) => setTimeout(r, 20));
    }
    // A few more rounds on the new master, then stop the load.
    const settled = outcomes.length;
    while (outcomes.length < settled + 30 && Date.now() - killedAt < 40_000)
      await new Promise((r) => setTimeout(r, 20));
    running = false;
    await Promise.all(load);

    expect(await group.masterPort()).toBe(group.replica.port);
    expect(firstOutage, 'no 503 after the kill: the outage was never seen').toBeDefined();
    expect(recoveredAt, 'no valid session was served after the failover').toBeDefined();
    expect((recoveredAt as number) - killedAt).toBeLessThan(10_000);
    const show = (list: Outcome[]) => JSON.stringify(list.slice(0, 5));
    // A valid session: served, or 503 while the store is away. Nothing else (no 500, no reset).
    const validWrong = outcomes.filter((o) => o.valid && o.status !== 200 && o.status !== 503);
    expect(validWrong, show(validWrong)).toEqual([]);
    // No live session: sent to sign in (302, 401 for the API), or 503. Never a pass.
    const invalidWrong = outcomes.filter((o) => !o.valid && ![302, 401, 503].includes(o.status));
    expect(invalidWrong, show(invalidWrong)).toEqual([]);
    expect(outcomes.filter((o) => !o.valid && o.fromUpstream)).toEqual([]);
    // The upstream saw exactly the valid requests that were answered 200: nothing else passed.
    const passed = outcomes.filter((o) => o.status === 200);
    expect(passed.every((o) => o.valid && o.fromUpstream)).toBe(true);
    expect(stack.upstream.hits - hitsBefore).toBe(passed.length);
    expect(outcomes.some((o) => o.at > killedAt && !o.valid && o.status === 503)).toBe(true);

    // Every session created before the kill works on the promoted replica; the signed-out one
    // does not come back; a new sign-in is written there.
    for (const cookie of valid) expect((await rawGet(`${stack.url}/after`, { cookie })).status).toBe(200);
    expect((await rawGet(`${stack.url}/after`, { cookie: signedOut })).status).toBe(302);
    const fresh = new Browser();
    expect((await signIn(fresh, stack, 'user2', '/fresh')).status).toBe(200);
  });
});
