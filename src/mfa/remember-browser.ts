import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { Credential } from '../factors/types.ts';

/** Cookie that lets a browser skip the second factor for a client that allows it. */
export const REMEMBER_COOKIE = 'tollgate_remember';

/**
 * Fingerprint of an account's second factors and of its last operator reset: adding or removing
 * any credential, or a password change, `reset-mfa` or `disable` (each sets the account's
 * `sessions_not_before`, src/sessions/end-account-sessions.ts), changes it, which invalidates
 * every remembered browser of that account.
 */
export function factorsFingerprint(credentials: Credential[], sessionsNotBefore: number | undefined): string {
  const ids = credentials.map((c) => `${c.factor}:${c.id}`).sort();
  if (sessionsNotBefore !== undefined) ids.push(`not-before:${sessionsNotBefore}`);
  return createHash('sha256').update(ids.join('\n')).digest('base64url').slice(0, 22);
}

interface Remembered {
  /** account id */
  a: string;
  /** factors fingerprint */
  f: string;
  /** issued at, epoch seconds */
  t: number;
  /** the second-factor methods (amr) proven when the browser was remembered */
  m: string[];
}

/**
 * "Remember this browser": a signed (HMAC-SHA256) cookie bound to the account, its set of
 * factors and the methods proven when it was set. Each client decides how many days it honours
 * (0 = never) and whether those methods are ones it accepts.
 */
export function createRememberBrowser(secret: string, now: () => number = Date.now) {
  const key = Buffer.from(hkdfSync('sha256', secret, 'tollgate', 'remember-browser-v1', 32));
  const sign = (payload: string) => createHmac('sha256', key).update(payload).digest('base64url');

  return {
    /** Sets the cookie for `days` days, recording the second-factor methods just proven. */
    remember(ctx: Context, accountId: string, fingerprint: string, days: number, methods: string[]) {
      const remembered: Remembered = {
        a: accountId,
        f: fingerprint,
        t: Math.floor(now() / 1000),
        m: methods,
      };
      const payload = Buffer.from(JSON.stringify(remembered)).toString('base64url');
      ctx.cookies.set(REMEMBER_COOKIE, `${payload}.${sign(payload)}`, {
        httpOnly: true,
        sameSite: 'lax',
        secure: ctx.secure,
        path: '/interaction',
        maxAge: days * 86_400_000,
        overwrite: true,
      });
    },

    /**
     * The methods this browser proved, when it is remembered for the account, its current
     * factors and `days`; undefined otherwise.
     */
    recall(ctx: Context, accountId: string, fingerprint: string, days: number): string[] | undefined {
      if (days <= 0) return undefined;
      const value = ctx.cookies.get(REMEMBER_COOKIE);
      if (!value) return undefined;
      const [payload, mac] = value.split('.');
      if (!payload || !mac) return undefined;
      const expected = Buffer.from(sign(payload));
      const given = Buffer.from(mac);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
      try {
        const r = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Remembered;
        const fresh = now() / 1000 < r.t + days * 86_400;
        return r.a === accountId && r.f === fingerprint && fresh && Array.isArray(r.m) ? r.m : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

export type RememberBrowser = ReturnType<typeof createRememberBrowser>;
