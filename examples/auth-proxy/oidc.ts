import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import * as client from 'openid-client';
import type { KeyValueStore, Logger, MessageKey } from 'tollgate';
import { duringSignIn } from 'tollgate/adapters/redis-durable';
import type { ProxyConfig } from './config.ts';
import { isUnavailable } from './failures.ts';
import { readForm } from './form.ts';
import { translatorFor } from './language.ts';
import { acrValueOf, type Level, levelOfParam, meetsLevel } from './levels.ts';
import { sendPage, startUrl } from './pages.ts';
import type { RedirectValidator } from './redirect.ts';
import {
  acceptedCookie,
  type CookieSettings,
  type SessionData,
  type SessionStore,
  serializeCookie,
  sessionBox,
  ticketFrom,
} from './sessions.ts';
import { createSignOut } from './sign-out.ts';
import type { Identity } from './types.ts';

/**
 * The proxy as an OIDC client of tollgate: sign-in (code + PKCE + state + nonce, optional
 * step-up to the two-factor acr), sign-out (sign-out.ts), the
 * back-channel logout receiver, and token refresh for the session store.
 */

/** tollgate's discovered metadata, fetched on first use and fetched again after a failure. */
export interface ProviderClient {
  configuration(): Promise<client.Configuration>;
  /** The session store's refresher: new tokens, identity re-read from userinfo (`identity_at`). */
  refresh(data: SessionData): Promise<SessionData>;
  /** ID token claims + userinfo -> the proxy's identity. */
  identity(config: client.Configuration, accessToken: string, claims: client.IDToken): Promise<Identity>;
}

const BACKCHANNEL_EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const LOGIN_TTL_SECONDS = 600;
const HTTP_TIMEOUT_SECONDS = 10;

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const sha256 = (v: string) => createHash('sha256').update(v).digest();

export function createProviderClient(config: ProxyConfig): ProviderClient {
  const { issuer, client_id, client_secret } = config.provider;
  let pending: Promise<client.Configuration> | undefined;

  const configuration = () => {
    pending ??= client
      .discovery(new URL(issuer), client_id, undefined, client.ClientSecretBasic(client_secret), {
        execute: issuer.startsWith('http:') ? [client.allowInsecureRequests] : [],
        timeout: HTTP_TIMEOUT_SECONDS,
      })
      .catch((err: unknown) => {
        pending = undefined; // the next request tries again
        throw err;
      });
    return pending;
  };

  const identity: ProviderClient['identity'] = async (cfg, accessToken, claims) => {
    const info = await client.fetchUserInfo(cfg, accessToken, claims.sub);
    return {
      sub: claims.sub,
      username: str(info.preferred_username),
      email: str(info.email),
      name: str(info.name),
      groups: strings(info.groups),
      acr: str(claims.acr),
      amr: strings(claims.amr),
    };
  };

  return {
    configuration,
    identity,
    async refresh(data) {
      if (!data.refresh_token) throw new Error('no refresh token');
      const cfg = await configuration();
      const tokens = await client.refreshTokenGrant(cfg, data.refresh_token);
      const claims = tokens.claims();
      if (claims && claims.sub !== data.identity.sub) throw new Error('refresh returned another subject');
      // The refreshed ID token repeats how the user signed in; keep the login's when it is absent.
      const fresh = await identity(cfg, tokens.access_token, {
        ...(claims ?? ({} as client.IDToken)),
        sub: data.identity.sub,
        acr: str(claims?.acr) ?? data.identity.acr,
        amr: claims?.amr ?? data.identity.amr,
      });
      return {
        ...data,
        identity: fresh,
        id_token: tokens.id_token ?? data.id_token,
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token ?? data.refresh_token,
        expires_at: Math.floor(Date.now() / 1000) + (tokens.expires_in ?? 300),
        identity_at: Math.floor(Date.now() / 1000),
      };
    },
  };
}

/** Dependencies of {@link createOidcRoutes}. */
export interface OidcRoutesDeps {
  config: ProxyConfig;
  provider: ProviderClient;
  sessions: SessionStore;
  /** Login state (PKCE verifier, nonce, return URL), keyed by `state`, 10 minutes. */
  kv: KeyValueStore;
  validateRedirect: RedirectValidator;
  logger: Logger;
}

/** What `/oauth2/start` keeps server-side until the callback. */
interface LoginState {
  verifier: string;
  nonce: string;
  rd: string;
  /** The level the callback's ID token must prove (step-up), if any. */
  level?: Level;
  /** SHA-256 of the browser's CSRF cookie: the callback must come back to the same browser. */
  csrf: string;
}

/** Handles `/oauth2/*`; answers false when the path is not one of its routes. */
export type OidcRoutes = (req: IncomingMessage, res: ServerResponse, path: string) => Promise<boolean>;

function reply(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) {
  res.writeHead(status, {
    'cache-control': 'no-store',
    'content-type': 'text/plain; charset=utf-8',
    ...headers,
  });
  res.end(body);
}

/** Provider refused (an OAuth error answer) vs. could not be reached or answered garbage. */
function isProviderRefusal(err: unknown): boolean {
  return err instanceof client.ResponseBodyError || err instanceof client.AuthorizationResponseError;
}

/** An error of openid-client's own checks (a bad or unexpected answer), not of our code. */
function isClientLibraryError(err: unknown): boolean {
  return (
    isProviderRefusal(err) ||
    err instanceof client.ClientError ||
    err instanceof client.WWWAuthenticateChallengeError
  );
}

export function createOidcRoutes(deps: OidcRoutesDeps): OidcRoutes {
  const { config, provider, sessions, kv, validateRedirect, logger } = deps;
  const base = new URL(config.public_url);
  const secure = base.protocol === 'https:';
  const sessionCookie: CookieSettings = { name: config.cookie.name, secure };
  const csrfCookie: CookieSettings = { name: `${config.cookie.name}_csrf`, secure };
  const redirectUri = `${config.public_url}/oauth2/callback`;
  const box = sessionBox(config.cookie.secret);
  const loginKey = (state: string) => `proxy-login:${state}`;
  const jwksFor = new WeakMap<client.Configuration, ReturnType<typeof createRemoteJWKSet>>();

  /** A validated target, or the proxy's root. */
  const target = (rd: string | null | undefined) =>
    (rd ? validateRedirect(rd, base) : undefined)?.href ?? `${base.origin}/`;
  const signOut = createSignOut({ config, provider, sessions, sessionCookie, target, logger });

  async function start(req: IncomingMessage, res: ServerResponse, url: URL) {
    const [state, nonce, verifier] = [
      client.randomState(),
      client.randomNonce(),
      client.randomPKCECodeVerifier(),
    ];
    // One CSRF value per browser, reused, so sign-ins started in two tabs both complete.
    const csrf =
      acceptedCookie(req.headers.cookie, csrfCookie.name, (v) => /^[A-Za-z0-9_-]{43}$/.test(v)) ??
      randomBytes(32).toString('base64url');
    const level = levelOfParam(url.searchParams.get('acr'));
    const login: LoginState = {
      verifier,
      nonce,
      rd: target(url.searchParams.get('rd')),
      level,
      csrf: sha256(csrf).toString('base64url'),
    };
    const cfg = await provider.configuration();
    const sealed = box.seal(Buffer.from(JSON.stringify(login)), loginKey(state));
    await kv.set(loginKey(state), sealed, LOGIN_TTL_SECONDS);
    const location = client.buildAuthorizationUrl(cfg, {
      redirect_uri: redirectUri,
      scope: config.provider.scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      ...(level ? { acr_values: acrValueOf(level, config.acr) } : {}),
    });
    res.setHeader('set-cookie', serializeCookie(csrfCookie, csrf, LOGIN_TTL_SECONDS));
    reply(res, 302, 'Redirecting to sign in', { location: location.href });
  }

  async function callback(req: IncomingMessage, res: ServerResponse, url: URL) {
    const state = url.searchParams.get('state') ?? '';
    const sealed = state ? await kv.get(loginKey(state)) : undefined;
    const t = translatorFor(req);
    const again = (title: MessageKey, message: MessageKey, status = 400, rd?: string, level?: Level) =>
      sendPage(res, status, {
        lang: t.locale,
        title: t(title),
        message: t(message),
        links: [
          {
            href: startUrl(config.public_url, rd, level),
            text: level ? t('proxy.tryAgain') : t('common.signInAgain'),
          },
        ],
      });
    if (!sealed) return again('proxy.expiredTitle', 'proxy.expiredMessage');
    await kv.delete(loginKey(state)); // one use
    const login = JSON.parse(box.open(sealed, loginKey(state)).toString('utf8')) as LoginState;
    const expected = Buffer.from(login.csrf, 'base64url');
    const sameBrowser =
      acceptedCookie(req.headers.cookie, csrfCookie.name, (v) => timingSafeEqual(sha256(v), expected)) !==
      undefined;
    if (!sameBrowser) return again('proxy.otherBrowserTitle', 'proxy.otherBrowserMessage', 400, login.rd);

    const cfg = await provider.configuration();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(cfg, new URL(url.pathname + url.search, base), {
        pkceCodeVerifier: login.verifier,
        expectedState: state,
        expectedNonce: login.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      // Unreachable: 503; anything but openid-client's own verdict is a bug: 500 (server.ts).
      if (isUnavailable(err) || !isClientLibraryError(err)) throw err;
      logger.warn({ err: (err as Error).message }, 'auth-proxy: sign-in callback refused');
      // The user pressed Cancel at tollgate: access_denied, which is no failure of theirs.
      if (err instanceof client.AuthorizationResponseError && err.error === 'access_denied')
        return again('proxy.cancelledTitle', 'proxy.cancelledMessage', 403, login.rd);
      return again('proxy.failedTitle', 'proxy.failedMessage', isProviderRefusal(err) ? 403 : 400, login.rd);
    }
    const claims = tokens.claims() as client.IDToken;
    const amr = strings(claims.amr);
    if (login.level && !meetsLevel(login.level, { acr: str(claims.acr), amr }, config.acr)) {
      logger.warn(
        { sub: claims.sub, acr: claims.acr, amr, level: login.level },
        'auth-proxy: step-up did not reach the level asked for',
      );
      return again(
        'proxy.moreProofTitle',
        login.level === 'phishing_resistant' ? 'proxy.needsPasskey' : 'proxy.needsSecondFactor',
        403,
        login.rd,
        login.level,
      );
    }
    const identity = await provider.identity(cfg, tokens.access_token, claims);
    const old = ticketFrom(req.headers.cookie, sessionCookie.name);
    if (old) await sessions.destroy(old);
    const { ticket } = await sessions.create({
      identity,
      sid: str(claims.sid),
      id_token: tokens.id_token,
      access_token: tokens.access_token,
      refresh_token: tokens.refresh_token,
      expires_at: Math.floor(Date.now() / 1000) + (tokens.expires_in ?? 300),
    });
    res.setHeader('set-cookie', [
      serializeCookie(sessionCookie, ticket, config.session.ttl),
      serializeCookie(csrfCookie, '', 0),
    ]);
    logger.info({ sub: identity.sub, acr: identity.acr }, 'auth-proxy: signed in');
    reply(res, 302, 'Signed in', { location: login.rd });
  }

  async function backchannelLogout(req: IncomingMessage, res: ServerResponse) {
    const bad = (why: string) => {
      logger.warn({ reason: why }, 'auth-proxy: back-channel logout refused');
      reply(res, 400, JSON.stringify({ error: 'invalid_request', error_description: why }), {
        'content-type': 'application/json',
      });
    };
    let token: string;
    try {
      token = (await readForm(req)).get('logout_token') ?? '';
    } catch {
      return bad('unreadable body');
    }
    if (!token) return bad('logout_token missing');
    const cfg = await provider.configuration();
    const meta = cfg.serverMetadata();
    if (!meta.jwks_uri) throw new Error('tollgate publishes no jwks_uri');
    const jwks = jwksFor.get(cfg) ?? createRemoteJWKSet(new URL(meta.jwks_uri));
    jwksFor.set(cfg, jwks); // cached per discovery: keys are refetched on an unknown kid
    let payload: Record<string, unknown>;
    try {
      const verified = await jwtVerify(token, jwks, {
        issuer: meta.issuer,
        audience: config.provider.client_id,
        maxTokenAge: '2m',
        requiredClaims: ['iat', 'jti'],
      });
      const typ = verified.protectedHeader.typ;
      if (typ !== undefined && typ.toLowerCase() !== 'logout+jwt') return bad('wrong token type');
      payload = verified.payload as Record<string, unknown>;
    } catch (err) {
      // jose's verdicts are JOSEErrors with a code; JWKS fetch failures are outages (503).
      if (isUnavailable(err) || !(err instanceof joseErrors.JOSEError)) throw err;
      return bad(`logout_token rejected: ${(err as Error).message}`);
    }
    const events = payload.events as Record<string, unknown> | undefined;
    if (!events || typeof events[BACKCHANNEL_EVENT] !== 'object') return bad('not a logout event');
    if ('nonce' in payload) return bad('a logout token carries no nonce');
    const sid = str(payload.sid);
    // Sessions are indexed by tollgate's sid only; tollgate always sends it (session_required).
    if (!sid) return bad(str(payload.sub) ? 'logout tokens without sid are not supported' : 'no sid');
    const found = await sessions.destroyBySid(sid);
    logger.info({ sid, found }, 'auth-proxy: back-channel logout');
    reply(res, 200, '');
  }

  return async (req, res, path) => {
    const url = new URL(req.url ?? '/', base);
    const get = req.method === 'GET' || req.method === 'HEAD';
    if (path === '/oauth2/start' && get) await start(req, res, url);
    // What a sign-in deletes (its login state, the browser's old ticket) need not wait for a
    // replica; sign-outs do (tollgate/adapters/redis-durable).
    else if (path === '/oauth2/callback' && get) await duringSignIn(() => callback(req, res, url));
    else if (path === '/oauth2/sign_out' && get) await signOut.confirm(req, res, url);
    else if (path === '/oauth2/sign_out' && req.method === 'POST') await signOut.submit(req, res);
    else if (path === '/oauth2/backchannel-logout' && req.method === 'POST')
      await backchannelLogout(req, res);
    else if (path.startsWith('/oauth2/')) reply(res, 404, 'Not found');
    else return false;
    return true;
  };
}
