// A relying party for the Chromium tests, on openid-client: `/login` starts a code + PKCE flow
// (its `prompt` and `ui_locales` query parameters are passed on), `/callback` redeems the code and
// shows the ID token's sub, acr and amr (`#acr`, `#amr`), so a test reads what the RP was given.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';

/** Authorization request parameters a test may set through `/login?<name>=`. */
const PASSED_ON = ['prompt', 'ui_locales'] as const;

export interface BrowserRp {
  /** `http://127.0.0.1:<port>`; the redirect URI is `${url}/callback`. */
  url: string;
  stop(): Promise<void>;
}

const esc = (s: unknown) =>
  String(s).replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string,
  );

/**
 * Starts the RP on a free loopback port. `issuer` is read at the first request (the provider may
 * start after the RP, once it knows the RP's redirect URI).
 */
export async function startBrowserRp(options: {
  issuer: () => string;
  clientId: string;
  clientSecret: string;
}): Promise<BrowserRp> {
  const pending = new Map<string, string>(); // state -> PKCE verifier
  let config: Promise<oidc.Configuration> | undefined;
  let base = '';
  const discover = () => {
    config ??= oidc.discovery(
      new URL(options.issuer()),
      options.clientId,
      undefined,
      oidc.ClientSecretBasic(options.clientSecret),
      { execute: [oidc.allowInsecureRequests] },
    );
    return config;
  };
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', base);
    const html = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><html lang="en"><head><title>RP</title></head><body>${body}</body></html>`);
    };
    try {
      if (url.pathname === '/login') {
        const verifier = oidc.randomPKCECodeVerifier();
        const state = oidc.randomState();
        pending.set(state, verifier);
        const extra: Record<string, string> = {};
        for (const name of PASSED_ON) {
          const value = url.searchParams.get(name);
          if (value) extra[name] = value;
        }
        const target = oidc.buildAuthorizationUrl(await discover(), {
          redirect_uri: `${base}/callback`,
          scope: 'openid',
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
          state,
          ...extra,
        });
        res.writeHead(302, { location: target.href }).end();
      } else if (url.pathname === '/callback') {
        const state = url.searchParams.get('state') ?? '';
        const verifier = pending.get(state);
        if (!verifier) return html(400, `<h1>Unknown state</h1><p>${esc(url.search)}</p>`);
        pending.delete(state);
        const tokens = await oidc.authorizationCodeGrant(await discover(), url, {
          pkceCodeVerifier: verifier,
          expectedState: state,
        });
        const claims = tokens.claims() as Record<string, unknown>;
        const amr = Array.isArray(claims.amr) ? claims.amr.join(' ') : '';
        html(
          200,
          `<h1>Signed in as ${esc(claims.sub)}</h1><dl><dt>acr</dt><dd id="acr">${esc(claims.acr)}</dd>` +
            `<dt>amr</dt><dd id="amr">${esc(amr)}</dd></dl>`,
        );
      } else html(404, '<h1>Not found</h1>');
    } catch (err) {
      html(500, `<h1>RP error</h1><pre>${esc(err instanceof Error ? err.stack : err)}</pre>`);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
