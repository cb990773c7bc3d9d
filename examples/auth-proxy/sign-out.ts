/**
 * `/oauth2/sign_out`: GET shows a confirmation page, only a POST signs out. A GET would let any
 * page (an `<img>`, a link preview) end the user's session; the POST carries a token bound to
 * the session it ends (HMAC of the ticket hash under a key derived from the cookie secret), so a
 * cross-site form cannot either. The session ends here, then the browser goes on to tollgate's
 * end-session endpoint, which asks again as oidc-provider does.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as client from 'openid-client';
import type { Logger } from 'tollgate';
import type { ProxyConfig } from './config.ts';
import { readForm } from './form.ts';
import { translatorFor } from './language.ts';
import type { ProviderClient } from './oidc.ts';
import {
  type CookieSettings,
  hashTicket,
  type SessionStore,
  serializeCookie,
  ticketFrom,
} from './sessions.ts';

/** Dependencies of {@link createSignOut}. */
export interface SignOutDeps {
  config: ProxyConfig;
  provider: ProviderClient;
  sessions: SessionStore;
  sessionCookie: CookieSettings;
  /** A validated return target, or the proxy's root. */
  target(rd: string | null | undefined): string;
  logger: Logger;
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);

/** Pages carry the session's token: never cached, never framed (clickjacking the button). */
function page(res: ServerResponse, status: number, lang: string, title: string, body: string) {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'content-language': lang,
  });
  res.end(`<!doctype html>
<html lang="${escapeHtml(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font:1rem/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}button{font:inherit;padding:.5rem 1rem}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`);
}

export function createSignOut(deps: SignOutDeps) {
  const { config, provider, sessions, sessionCookie, target, logger } = deps;
  const key = Buffer.from(
    hkdfSync('sha256', config.cookie.secret, 'tollgate-auth-proxy', 'sign-out-csrf-v1', 32),
  );
  /** The token a sign-out of this session must carry. */
  const tokenFor = (ticket: string) =>
    createHmac('sha256', key).update(hashTicket(ticket)).digest('base64url');
  const tokenMatches = (ticket: string, sent: string) => {
    const expected = Buffer.from(tokenFor(ticket));
    const given = Buffer.from(sent);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  /** GET: "Sign out?" with a form that posts the session's token and the return target. */
  async function confirm(req: IncomingMessage, res: ServerResponse, url: URL) {
    const rd = target(url.searchParams.get('rd'));
    const ticket = ticketFrom(req.headers.cookie, sessionCookie.name);
    const session = ticket ? await sessions.load(ticket) : undefined;
    const who = session
      ? (session.identity.username ?? session.identity.email ?? session.identity.sub)
      : undefined;
    const csrf =
      session && ticket ? `<input type="hidden" name="csrf" value="${escapeHtml(tokenFor(ticket))}">\n` : '';
    const t = translatorFor(req);
    page(
      res,
      200,
      t.locale,
      t('proxy.signOutTitle'),
      `<p>${who ? t.html('proxy.signedInAs', { name: who }) : escapeHtml(t('proxy.notSignedIn'))}
${escapeHtml(t('proxy.signOutExplain'))}</p>
<form method="post" action="/oauth2/sign_out">
${csrf}<input type="hidden" name="rd" value="${escapeHtml(rd)}">
<button type="submit">${escapeHtml(t('proxy.signOut'))}</button>
</form>
<p><a href="${escapeHtml(rd)}">${escapeHtml(t('proxy.stay'))}</a></p>`,
    );
  }

  /** POST: ends the session when the token matches it, then on to tollgate's end-session. */
  async function submit(req: IncomingMessage, res: ServerResponse) {
    const t = translatorFor(req);
    let form: URLSearchParams;
    try {
      form = await readForm(req);
    } catch {
      return page(
        res,
        400,
        t.locale,
        t('proxy.signOutFailedTitle'),
        `<p>${escapeHtml(t('proxy.signOutUnreadable'))}</p>`,
      );
    }
    const rd = target(form.get('rd'));
    const ticket = ticketFrom(req.headers.cookie, sessionCookie.name);
    const session = ticket ? await sessions.load(ticket) : undefined;
    if (session && ticket) {
      if (!tokenMatches(ticket, form.get('csrf') ?? '')) {
        logger.warn(
          { sub: session.identity.sub },
          'auth-proxy: sign-out refused (CSRF token missing or wrong)',
        );
        return page(
          res,
          403,
          t.locale,
          t('proxy.signOutRefusedTitle'),
          `<p>${escapeHtml(t('proxy.signOutRefused'))}</p>
<p><a href="/oauth2/sign_out?rd=${escapeHtml(encodeURIComponent(rd))}">${escapeHtml(t('proxy.signOut'))}</a></p>`,
        );
      }
      await sessions.destroy(ticket);
      logger.info({ sub: session.identity.sub }, 'auth-proxy: signed out');
    }
    res.setHeader('set-cookie', serializeCookie(sessionCookie, '', 0));
    let location = rd;
    try {
      const cfg = await provider.configuration();
      if (cfg.serverMetadata().end_session_endpoint) {
        location = client.buildEndSessionUrl(cfg, {
          client_id: config.provider.client_id,
          post_logout_redirect_uri: rd,
          ...(session?.id_token ? { id_token_hint: session.id_token } : {}),
        }).href;
      }
    } catch (err) {
      // Our session is gone already; tollgate's can only be ended when tollgate is reachable.
      logger.warn({ err: (err as Error).message }, 'auth-proxy: end-session endpoint unavailable');
    }
    res.writeHead(303, {
      location,
      'cache-control': 'no-store',
      'content-type': 'text/plain; charset=utf-8',
    });
    res.end('Signed out');
  }

  return { confirm, submit };
}
