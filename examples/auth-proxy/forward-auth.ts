import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'tollgate';
import type { AssertionSigner } from './assertion.ts';
import {
  type AuthorizeDeps,
  type AuthorizeResult,
  authorizeRequest,
  clientIpOf,
  isTrustedProxy,
  originalMethodOf,
  originalUrlOf,
} from './authorize.ts';
import type { ProxyConfig } from './config.ts';
import { failureStatus } from './failures.ts';
import { type IdentityHeaderNames, identityHeaderValues } from './identity-headers.ts';
import { translatorFor } from './language.ts';
import { LEVEL_PARAM } from './levels.ts';
import { forbiddenPage, notice, sendPage } from './pages.ts';
import { hashTicket } from './sessions.ts';
import { audienceRouter } from './upstreams.ts';

/**
 * Forward-auth: thin adapters over the authorization core for nginx `auth_request`, Traefik
 * `forwardAuth` and Caddy `forward_auth`. The front proxy asks; we answer with a status and,
 * when allowed, the identity headers it copies to the upstream request.
 */

/**
 * nginx reads these with `auth_request_set $user $upstream_http_x_auth_request_user;` etc. The
 * assertion keeps the configured name (`headers.assertion`), the one upstreams verify.
 */
export const NGINX_IDENTITY_HEADERS: Omit<IdentityHeaderNames, 'assertion'> = {
  user: 'X-Auth-Request-User',
  email: 'X-Auth-Request-Email',
  groups: 'X-Auth-Request-Groups',
};

/** Where to send someone who has to sign in (again, with two factors for a step-up). */
export function signInUrl(config: ProxyConfig, result: AuthorizeResult): string {
  const start = new URL('/oauth2/start', config.public_url);
  if (result.url) start.searchParams.set('rd', result.url.href);
  if (result.decision.kind === 'step_up') start.searchParams.set('acr', LEVEL_PARAM[result.decision.level]);
  return start.href;
}

/** API clients get JSON statuses, browsers get redirects. */
export function wantsJson(req: IncomingMessage, result: AuthorizeResult): boolean {
  if (result.decision.rule?.api) return true;
  const accept = req.headers.accept ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const json = typeof body !== 'string';
  res.writeHead(status, {
    'cache-control': 'no-store',
    'content-type': json ? 'application/json' : 'text/plain; charset=utf-8',
    ...headers,
  });
  res.end(json ? JSON.stringify(body) : body);
}

/**
 * Answers every decision but `allow` the way browsers and APIs expect: 400 for an unreadable
 * request, 302 to sign-in (browsers) or 401 JSON (APIs), 403 when forbidden (a page with a way
 * on for browsers, examples/auth-proxy/pages.ts).
 */
export function answerDenied(
  req: IncomingMessage,
  res: ServerResponse,
  config: ProxyConfig,
  result: AuthorizeResult,
) {
  const { decision } = result;
  const json = wantsJson(req, result);
  if (result.invalid) {
    if (json) return send(res, 400, { error: 'bad_request' });
    const t = translatorFor(req);
    return sendPage(res, 400, notice(t, 'proxy.badRequestTitle', 'proxy.badRequestMessage'));
  }
  if (decision.kind === 'login' || decision.kind === 'step_up') {
    const location = signInUrl(config, result);
    const error = decision.kind === 'login' ? 'unauthenticated' : 'mfa_required';
    if (json) return send(res, 401, { error, sign_in: location });
    return send(res, 302, 'Sign-in required', { location });
  }
  if (json) return send(res, 403, { error: 'forbidden' });
  sendPage(res, 403, forbiddenPage(config.public_url, result.url, translatorFor(req)));
}

/**
 * Audit line for every request the proxy does not let through (`proxy.denied`): why, where
 * (host and normalised path, never the query), and who when there is a session.
 */
export function auditDenied(logger: Logger, result: AuthorizeResult, via: string) {
  const { decision } = result;
  const reason = result.invalid
    ? `invalid_${result.invalid}`
    : decision.kind === 'forbidden'
      ? decision.reason
      : decision.kind;
  const identity = 'identity' in decision ? decision.identity : undefined;
  logger.info(
    {
      event: 'proxy.denied',
      reason,
      via,
      host: result.target?.host,
      path: result.target?.path,
      client_ip: result.clientIp,
      user: identity?.sub,
    },
    'auth-proxy: request denied',
  );
}

/** Dependencies of {@link createForwardAuth}. */
export interface ForwardAuthDeps extends AuthorizeDeps {
  config: ProxyConfig;
  signer: AssertionSigner;
  logger: Logger;
}

/** Handles `/auth/nginx`, `/auth/traefik`, `/auth/caddy`; false for other paths. */
export function createForwardAuth(deps: ForwardAuthDeps) {
  const { config, signer, logger } = deps;
  const audienceOf = audienceRouter(config.upstreams);

  async function authorize(req: IncomingMessage): Promise<AuthorizeResult> {
    return authorizeRequest(
      {
        method: originalMethodOf(req, config.trusted_proxies),
        originalUrl: originalUrlOf(req, config.trusted_proxies),
        remoteAddress: req.socket.remoteAddress,
        clientIp: clientIpOf(req, config.trusted_proxies),
        headers: req.headers,
      },
      deps,
    );
  }

  async function identityHeaders(result: AuthorizeResult, names: IdentityHeaderNames) {
    const { decision } = result;
    if (decision.kind !== 'allow' || !decision.identity || !result.target) return {};
    // The audience is configuration (the upstream entry for this host and path), never the
    // Host or X-Forwarded-Host the request came with; without an entry, no assertion at all.
    const audience = audienceOf(result.target.host, result.target.path);
    const session = result.ticket ? hashTicket(result.ticket) : undefined;
    const assertion = audience ? await signer.sign(decision.identity, audience, session) : undefined;
    return identityHeaderValues(decision.identity, names, assertion);
  }

  return async (req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> => {
    const flavour = /^\/auth\/(nginx|traefik|caddy)$/.exec(path)?.[1];
    if (!flavour) return false;
    // Only the front proxies may ask: anyone else could mint identity headers and assertions
    // for themselves and send them straight to an upstream.
    if (!isTrustedProxy(req.socket.remoteAddress, config.trusted_proxies)) {
      logger.warn(
        {
          event: 'proxy.denied',
          reason: 'untrusted_forward_auth_caller',
          via: `forward-auth/${flavour}`,
          client_ip: clientIpOf(req, config.trusted_proxies),
        },
        'auth-proxy: forward-auth asked by an address not in trusted_proxies',
      );
      send(res, 403, { error: 'forbidden' });
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'Method not allowed', { allow: 'GET, HEAD' });
      return true;
    }
    let result: AuthorizeResult;
    try {
      result = await authorize(req);
    } catch (err) {
      const status = failureStatus(err, logger, { via: `forward-auth/${flavour}` });
      send(res, status, { error: status === 503 ? 'temporarily_unavailable' : 'server_error' });
      return true;
    }
    const { decision } = result;
    if (decision.kind !== 'allow' || result.invalid) auditDenied(logger, result, `forward-auth/${flavour}`);
    if (flavour === 'nginx') {
      // auth_request knows 2xx, 401 and 403 only; anything else becomes a 500 there.
      if (decision.kind === 'allow') send(res, 200, '', await identityHeaders(result, nginxNames(config)));
      else if (result.invalid) send(res, 403, { error: 'bad_request' });
      else if (decision.kind === 'login' || decision.kind === 'step_up') {
        const location = signInUrl(config, result);
        send(
          res,
          401,
          { error: decision.kind === 'login' ? 'unauthenticated' : 'mfa_required' },
          {
            'x-auth-request-redirect': location,
            location,
          },
        );
      } else send(res, 403, { error: 'forbidden' });
      return true;
    }
    if (decision.kind === 'allow') send(res, 200, '', await identityHeaders(result, config.headers));
    else answerDenied(req, res, config, result);
    return true;
  };
}

function nginxNames(config: ProxyConfig): IdentityHeaderNames {
  return { ...NGINX_IDENTITY_HEADERS, assertion: config.headers.assertion };
}
