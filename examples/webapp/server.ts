/**
 * A minimal web app that signs users in to tollgate DIRECTLY over OpenID Connect with
 * openid-client (no auth-proxy): authorization code + PKCE S256 + state + nonce, then shows
 * the ID token's claims; sign-out is RP-initiated logout at tollgate's end-session endpoint.
 *
 * Run: `npm run webapp` (`node examples/webapp/server.ts` on Node >= 22.18) beside the demo
 * (`npm start`: tollgate on http://localhost:3000, with the client `demo-app` of
 * examples/tollgate.yaml and the demo user). Env: PORT, WEBAPP_ISSUER, WEBAPP_CLIENT_ID,
 * WEBAPP_CLIENT_SECRET (or DEMO_APP_SECRET), WEBAPP_PUBLIC_URL.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';

/** Options for {@link startWebapp}. */
export interface WebappOptions {
  /** tollgate's issuer URL. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** TCP port; 0 picks a free one. @default 8080 */
  port?: number;
  /** Interface to listen on. @default "127.0.0.1" */
  host?: string;
  /**
   * URL browsers use for this app; `/callback` and `/` under it must be registered as the
   * client's redirect and post-logout URIs. @default `http://localhost:<port>`
   */
  publicUrl?: string;
}

/** A running web app. */
export interface RunningWebapp {
  url: string;
  close(): Promise<void>;
}

interface PendingLogin {
  verifier: string;
  nonce: string;
  expiresAt: number;
}

interface Session {
  claims: oidc.IDToken;
  idToken: string;
  /** Guards the sign-out form (a cross-site POST must not sign the user out). */
  csrf: string;
  expiresAt: number;
}

const LOGIN_TTL_MS = 10 * 60_000;
const SESSION_TTL_MS = 8 * 3600_000;
const SESSION_COOKIE = 'webapp_session';
/** Binds a login's `state` to the browser that started it (login CSRF). */
const STATE_COOKIE = 'webapp_state';

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function readCookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}th{text-align:left;padding-right:1rem}</style>
</head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

/** Starts the web app; discovery at the issuer happens on first use, so start order is free. */
export async function startWebapp(options: WebappOptions): Promise<RunningWebapp> {
  const logins = new Map<string, PendingLogin>();
  const sessions = new Map<string, Session>();
  let configuration: Promise<oidc.Configuration> | undefined;
  let publicUrl = options.publicUrl;
  const secure = () => (publicUrl ?? '').startsWith('https:');

  function discover(): Promise<oidc.Configuration> {
    configuration ??= oidc
      .discovery(
        new URL(options.issuer),
        options.clientId,
        undefined,
        oidc.ClientSecretBasic(options.clientSecret),
        // http:// is only acceptable for a local demo issuer.
        options.issuer.startsWith('http:') ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((err: unknown) => {
        configuration = undefined; // try again on the next request
        throw err;
      });
    return configuration;
  }

  function cookie(name: string, value: string, maxAgeSeconds: number): string {
    return `${name}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure() ? '; Secure' : ''}`;
  }

  function currentSession(req: IncomingMessage): [string, Session] | undefined {
    const sid = readCookie(req, SESSION_COOKIE);
    const session = sid ? sessions.get(sid) : undefined;
    if (!sid || !session) return undefined;
    if (session.expiresAt < Date.now()) {
      sessions.delete(sid);
      return undefined;
    }
    return [sid, session];
  }

  function send(
    res: ServerResponse,
    status: number,
    html: string,
    headers: Record<string, string | string[]> = {},
  ) {
    res.writeHead(status, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(html);
  }

  function redirect(res: ServerResponse, location: string, cookies: string[] = []) {
    res.writeHead(302, { location, 'cache-control': 'no-store', 'set-cookie': cookies });
    res.end();
  }

  function home(req: IncomingMessage, res: ServerResponse) {
    const current = currentSession(req);
    if (!current) {
      send(
        res,
        200,
        page(
          'Demo web app',
          '<p>You are not signed in.</p><p><a href="/login">Sign in with tollgate</a></p>',
        ),
      );
      return;
    }
    const [, session] = current;
    const rows = Object.entries(session.claims)
      .map(
        ([k, v]) =>
          `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(typeof v === 'string' ? v : JSON.stringify(v))}</td></tr>`,
      )
      .join('\n');
    send(
      res,
      200,
      page(
        'Demo web app',
        `<p>Signed in as <strong>${escapeHtml(String(session.claims.preferred_username ?? session.claims.sub))}</strong>.</p>
<h2>ID token claims</h2><table>${rows}</table>
<form method="post" action="/logout"><input type="hidden" name="csrf" value="${session.csrf}"><button>Sign out</button></form>`,
      ),
    );
  }

  async function login(res: ServerResponse) {
    const config = await discover();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const now = Date.now();
    for (const [key, pending] of logins) if (pending.expiresAt < now) logins.delete(key);
    logins.set(state, { verifier, nonce, expiresAt: now + LOGIN_TTL_MS });
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${publicUrl}/callback`,
      scope: 'openid profile email groups',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    redirect(res, url.href, [cookie(STATE_COOKIE, state, LOGIN_TTL_MS / 1000)]);
  }

  async function callback(req: IncomingMessage, res: ServerResponse) {
    const config = await discover();
    const current = new URL(req.url ?? '/', publicUrl);
    const state = current.searchParams.get('state') ?? '';
    const bound = readCookie(req, STATE_COOKIE) ?? '';
    const pending = logins.get(state);
    logins.delete(state); // single use, whatever happens next
    const clearState = cookie(STATE_COOKIE, '', 0);
    if (!pending || pending.expiresAt < Date.now() || !bound || !sameSecret(bound, state)) {
      send(
        res,
        400,
        page(
          'Sign-in failed',
          '<p>This sign-in expired or was not started here.</p><p><a href="/login">Try again</a></p>',
        ),
        {
          'set-cookie': clearState,
        },
      );
      return;
    }
    if (current.searchParams.has('error')) {
      const why = current.searchParams.get('error_description') ?? current.searchParams.get('error') ?? '';
      send(
        res,
        400,
        page('Sign-in failed', `<p>${escapeHtml(why)}</p><p><a href="/login">Try again</a></p>`),
        {
          'set-cookie': clearState,
        },
      );
      return;
    }
    const tokens = await oidc.authorizationCodeGrant(config, current, {
      pkceCodeVerifier: pending.verifier,
      expectedState: state,
      expectedNonce: pending.nonce,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    if (!claims || !tokens.id_token) throw new Error('the token response carried no ID token');
    const sid = randomBytes(32).toString('base64url');
    sessions.set(sid, {
      claims,
      idToken: tokens.id_token,
      csrf: randomBytes(32).toString('base64url'),
      expiresAt: Date.now() + SESSION_TTL_MS,
    });
    redirect(res, '/', [clearState, cookie(SESSION_COOKIE, sid, SESSION_TTL_MS / 1000)]);
  }

  async function logout(req: IncomingMessage, res: ServerResponse) {
    let body = '';
    for await (const chunk of req) {
      body += String(chunk);
      if (body.length > 4096) break;
    }
    const csrf = new URLSearchParams(body).get('csrf') ?? '';
    const current = currentSession(req);
    if (!current || !sameSecret(csrf, current[1].csrf)) {
      redirect(res, '/');
      return;
    }
    const [sid, session] = current;
    sessions.delete(sid);
    const config = await discover();
    const end = oidc.buildEndSessionUrl(config, {
      id_token_hint: session.idToken,
      post_logout_redirect_uri: `${publicUrl}/`,
    });
    redirect(res, end.href, [cookie(SESSION_COOKIE, '', 0)]);
  }

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const route =
      req.method === 'GET' && path === '/'
        ? async () => home(req, res)
        : req.method === 'GET' && path === '/login'
          ? () => login(res)
          : req.method === 'GET' && path === '/callback'
            ? () => callback(req, res)
            : req.method === 'POST' && path === '/logout'
              ? () => logout(req, res)
              : async () => send(res, 404, page('Not found', '<p><a href="/">Home</a></p>'));
    route().catch((err: unknown) => {
      // Details go to the console; the browser gets a generic page (no token or code echoes).
      console.error('webapp:', err);
      if (!res.headersSent)
        send(
          res,
          502,
          page(
            'Sign-in failed',
            '<p>tollgate could not be reached or refused the request.</p><p><a href="/">Home</a></p>',
          ),
        );
      else res.end();
    });
  });
  server.listen(options.port ?? 8080, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  publicUrl ??= `http://localhost:${port}`;
  return {
    url: publicUrl,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (import.meta.main) {
  const port = Number(process.env.PORT ?? 8080);
  const running = await startWebapp({
    issuer: process.env.WEBAPP_ISSUER ?? 'http://localhost:3000',
    clientId: process.env.WEBAPP_CLIENT_ID ?? 'demo-app',
    clientSecret:
      process.env.WEBAPP_CLIENT_SECRET ?? process.env.DEMO_APP_SECRET ?? 'demo-app-secret-change-me',
    port,
    publicUrl: process.env.WEBAPP_PUBLIC_URL ?? `http://localhost:${port}`,
  });
  process.stdout.write(`demo web app: open ${running.url}/\n`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
