/**
 * "whoami": a tiny upstream app to put behind the auth-proxy (or nginx / Caddy / Traefik using
 * its forward-auth endpoints). It shows the identity it received and whether the proxy's
 * signed assertion verifies, so you can see what an upstream may trust: the plain
 * `X-Forwarded-*` headers only if nothing but the proxy can reach it, the assertion always.
 *
 * Run: `npm run whoami` (`node examples/whoami/server.ts` on Node >= 22.18). Env: PORT (8081), WHOAMI_ISSUER (the proxy's public_url,
 * http://127.0.0.1:4180), WHOAMI_JWKS_URL (`{issuer}/.well-known/jwks.json`), WHOAMI_AUDIENCE
 * (the origin the proxy signs for: this app's `upstreams[].url` origin, or the front's origin
 * with forward-auth; default http://127.0.0.1:PORT).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, errors, type JWTPayload, jwtVerify } from 'jose';

/** Options for {@link startWhoami}. */
export interface WhoamiOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to listen on. @default "127.0.0.1" */
  host?: string;
  /** The proxy's JWKS, e.g. `http://localhost:4180/.well-known/jwks.json`. */
  jwksUrl: string;
  /**
   * Expected `aud` of the assertion: the proxy signs for the matching upstream's configured
   * `audience` (default: the origin of its `url`), never for a client-sent Host.
   */
  audience: string;
  /** Expected `iss` of the assertion (the proxy's public URL). */
  issuer: string;
}

/** A running whoami. */
export interface RunningWhoami {
  /** `http://host:port` */
  url: string;
  close(): Promise<void>;
}

/** Name of the header carrying the proxy's signed assertion. */
export const ASSERTION_HEADER = 'x-tollgate-assertion';

/** What whoami makes of one request; the JSON body of an `Accept: application/json` request. */
export interface WhoamiReport {
  method: string;
  host: string | undefined;
  path: string;
  /** `X-Forwarded-User/-Email/-Groups` exactly as received (absent = undefined). */
  user: string | undefined;
  email: string | undefined;
  groups: string | undefined;
  assertion:
    | { present: false; verified: false }
    | { present: true; verified: true; claims: JWTPayload }
    | { present: true; verified: false; error: string };
  /** Every header received, so spoofed copies would show; credentials are redacted. */
  headers: Record<string, string | string[] | undefined>;
}

/** Headers a page must never echo: they carry the session, and a page can be cached or shared. */
const REDACTED = new Set(['cookie', 'authorization', 'proxy-authorization']);

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function verifyAssertion(
  token: string | undefined,
  jwks: ReturnType<typeof createRemoteJWKSet>,
  options: WhoamiOptions,
): Promise<WhoamiReport['assertion']> {
  if (!token) return { present: false, verified: false };
  try {
    const { payload } = await jwtVerify(token, jwks, {
      issuer: options.issuer,
      audience: options.audience,
      algorithms: ['ES256'],
      requiredClaims: ['sub', 'exp', 'iat'],
    });
    return { present: true, verified: true, claims: payload };
  } catch (err) {
    // jose's stable codes (ERR_JWS_SIGNATURE_VERIFICATION_FAILED, ERR_JWT_EXPIRED, ...) say why.
    const error = err instanceof errors.JOSEError ? `${err.code}: ${err.message}` : String(err);
    return { present: true, verified: false, error };
  }
}

async function report(
  req: IncomingMessage,
  jwks: ReturnType<typeof createRemoteJWKSet>,
  options: WhoamiOptions,
): Promise<WhoamiReport> {
  const headers: WhoamiReport['headers'] = {};
  for (const [name, value] of Object.entries(req.headers)) {
    headers[name] = REDACTED.has(name) ? '[redacted]' : value;
  }
  return {
    method: req.method ?? 'GET',
    host: req.headers.host,
    path: req.url ?? '/',
    user: single(req.headers['x-forwarded-user']),
    email: single(req.headers['x-forwarded-email']),
    groups: single(req.headers['x-forwarded-groups']),
    assertion: await verifyAssertion(single(req.headers[ASSERTION_HEADER]), jwks, options),
    headers,
  };
}

function renderHtml(r: WhoamiReport): string {
  const row = (k: string, v: string | undefined) =>
    `<tr><th>${escapeHtml(k)}</th><td>${v === undefined ? '<em>(none)</em>' : escapeHtml(v)}</td></tr>`;
  const a = r.assertion;
  const verdict = !a.present
    ? 'Assertion: missing, NOT verified'
    : a.verified
      ? 'Assertion verified'
      : `Assertion NOT verified: ${a.error}`;
  const claims = a.verified
    ? `<h2>Assertion claims</h2><table>${Object.entries(a.claims)
        .map(([k, v]) => row(k, typeof v === 'string' ? v : JSON.stringify(v)))
        .join('')}</table>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>whoami</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;table-layout:fixed}th,td{text-align:left;vertical-align:top;padding:.25rem 1rem .25rem 0}
th{width:12rem}@media (max-width:30rem){body{margin:1rem}th,td{display:block;width:auto;padding:0}td{margin-bottom:.5rem}}
.ok{color:#065f46}.bad{color:#b91c1c}</style></head>
<body><h1>whoami</h1>
<p class="${a.verified ? 'ok' : 'bad'}"><strong>${escapeHtml(verdict)}</strong></p>
<h2>Identity headers received</h2><table>
${row('X-Forwarded-User', r.user)}${row('X-Forwarded-Email', r.email)}${row('X-Forwarded-Groups', r.groups)}
</table>${claims}
<h2>Request</h2><table>${row('Method', r.method)}${row('Host', r.host)}${row('Path', r.path)}</table>
<p><a href="/oauth2/sign_out">Sign out</a></p>
</body></html>`;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  // The page shows who is signed in: never let a shared cache keep it.
  res.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** Starts whoami; every GET/HEAD path answers with the report, as HTML or JSON. */
export async function startWhoami(options: WhoamiOptions): Promise<RunningWhoami> {
  const jwks = createRemoteJWKSet(new URL(options.jwksUrl));
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
      return;
    }
    report(req, jwks, options).then(
      (r) => {
        const wantsJson = (req.headers.accept ?? '').includes('application/json');
        if (wantsJson) send(res, 200, 'application/json', JSON.stringify(r));
        else send(res, 200, 'text/html; charset=utf-8', renderHtml(r));
      },
      (err: unknown) => send(res, 500, 'text/plain; charset=utf-8', `whoami failed: ${String(err)}\n`),
    );
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

if (import.meta.main) {
  // Defaults fit examples/auth-proxy/proxy.yaml: the proxy at 127.0.0.1:4180 signs assertions
  // for the upstream's origin as written in its `upstreams[].url`.
  const port = Number(process.env.PORT ?? 8081);
  const proxy = process.env.WHOAMI_ISSUER ?? 'http://127.0.0.1:4180';
  const running = await startWhoami({
    port,
    host: process.env.HOST ?? '127.0.0.1',
    jwksUrl: process.env.WHOAMI_JWKS_URL ?? `${proxy}/.well-known/jwks.json`,
    issuer: proxy,
    audience: process.env.WHOAMI_AUDIENCE ?? `http://127.0.0.1:${port}`,
  });
  process.stdout.write(`whoami listening on ${running.url}\n`);
  const stop = () => void running.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
