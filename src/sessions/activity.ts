import type { Context, Middleware, Next } from 'koa';
import type { KeyValueStore } from '../factors/types.ts';

/*
 * Where and when a sign-in session is used: the browser it came from (a short summary of its
 * User-Agent, never the whole string), the last client IP, when it started and when it was last
 * used. oidc-provider's Session has no room for it, so it sits beside the session in the
 * key-value store, keyed by the session's stable uid and living as long as a session can. The
 * account page and `tollgate sessions list` show it; it never decides anything.
 */

/** What is known of a session's use. */
export interface SessionActivity {
  /** "Chrome on Linux", "Safari on iOS"; "Unknown browser" when the User-Agent says nothing. */
  device: string;
  ip: string;
  /** Epoch seconds. */
  first_seen: number;
  /** Epoch seconds. */
  last_seen: number;
}

/** Writes of `last_seen` closer together than this are skipped: one write per minute at most. */
const TOUCH_SECONDS = 60;

const BROWSERS: [RegExp, string][] = [
  [/Edg(e|A|iOS)?\//, 'Edge'],
  [/OPR\/|Opera/, 'Opera'],
  [/Firefox\/|FxiOS\//, 'Firefox'],
  [/Chrome\/|CriOS\/|Chromium\//, 'Chrome'],
  [/Safari\//, 'Safari'],
  [/curl\//, 'curl'],
];
const SYSTEMS: [RegExp, string][] = [
  [/iPhone|iPad|iPod/, 'iOS'],
  [/Android/, 'Android'],
  [/Windows/, 'Windows'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux'],
];

/** A short, bounded summary of a User-Agent: a name users recognise, no version, no fingerprint. */
export function deviceSummary(userAgent: string | undefined): string {
  const ua = (userAgent ?? '').slice(0, 512);
  const browser = BROWSERS.find(([re]) => re.test(ua))?.[1];
  const system = SYSTEMS.find(([re]) => re.test(ua))?.[1];
  if (!browser && !system) return 'Unknown browser';
  return `${browser ?? 'A browser'}${system ? ` on ${system}` : ''}`;
}

/** The activity store over a {@link KeyValueStore}. */
export function createSessionActivity(kv: KeyValueStore, ttlSeconds: number) {
  const key = (uid: string) => `session-activity:${uid}`;
  const read = async (uid: string): Promise<SessionActivity | undefined> => {
    const json = await kv.get(key(uid));
    return json ? (JSON.parse(json) as SessionActivity) : undefined;
  };
  return {
    get: read,
    /**
     * Records a use of the session; the first one also sets `first_seen`. `fresh`: the session
     * was created by this request, so nothing is recorded yet and nothing is read.
     */
    async touch(
      uid: string,
      seen: { userAgent?: string; ip: string; fresh?: boolean },
      now = Date.now(),
    ): Promise<void> {
      const t = Math.floor(now / 1000);
      const before = seen.fresh ? undefined : await read(uid);
      const device = deviceSummary(seen.userAgent);
      if (before && t - before.last_seen < TOUCH_SECONDS && before.ip === seen.ip && before.device === device)
        return;
      const next: SessionActivity = {
        device,
        ip: seen.ip,
        first_seen: before?.first_seen ?? t,
        last_seen: t,
      };
      await kv.set(key(uid), JSON.stringify(next), ttlSeconds);
    },
    async forget(uid: string): Promise<void> {
      await kv.delete(key(uid));
    },
  };
}

export type SessionActivityStore = ReturnType<typeof createSessionActivity>;

/** The part of oidc-provider's context this reads. */
interface WithSession {
  /** `new`: created by this request (oidc-provider's Session), with a uid never used before. */
  oidc?: { session?: { uid?: string; accountId?: string; destroyed?: boolean; new?: boolean } };
}

/**
 * Provider middleware: after each request that loaded a signed-in session (authorization,
 * resume, end_session), records its use. A store hiccup here never fails the request: the
 * activity is for display only.
 */
export function recordSessionActivity(activity: SessionActivityStore): Middleware {
  return async (ctx: Context, next: Next) => {
    await next();
    const session = (ctx as Context & WithSession).oidc?.session;
    if (!session?.uid || !session.accountId || session.destroyed) return;
    const seen = { userAgent: ctx.get('user-agent'), ip: ctx.ip, fresh: session.new === true };
    await activity.touch(session.uid, seen).catch(() => {});
  };
}
