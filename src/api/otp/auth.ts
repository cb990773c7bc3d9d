import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import type { ClientConfig } from '../../config/schema.ts';
import { InsufficientPermission, InvalidClient } from '../../errors.ts';

/**
 * Authentication of the OTP API: HTTP Basic (RFC 7617) with `client_id:client_secret` of a
 * configured client, like `curl -u id:secret`. Basic only, by decision: secrets in a JSON body or
 * query string end up in access logs and traces. The two parts are taken as sent (no
 * form-urlencoding, unlike the token endpoint's RFC 6749 Basic), since that is what `curl -u`
 * and HTTP libraries send.
 */

/** The authenticated caller, in `ctx.state.otpClient`. */
export interface ApiClient {
  clientId: string;
  /** `client_name`, else the id: the app name codes are sent on behalf of. */
  name: string;
  /** Owner of the OTP sessions it creates: `client:{clientId}`. */
  owner: string;
}

/** Koa state after {@link otpApiAuth}. */
export interface ApiState {
  otpClient: ApiClient;
}

const REALM = 'Basic realm="tollgate"';

const digest = (value: string | Buffer) => createHash('sha256').update(value).digest();

/** `Authorization: Basic base64(id:secret)` -> parts; `undefined` for anything else. */
export function parseBasic(header: string): { id: string; secret: string } | undefined {
  const match = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/**
 * Middleware that authenticates the client (401 `invalid_client` with `WWW-Authenticate`) and
 * requires `otp_api: true` (403 `insufficient_permission`), then sets `ctx.state.otpClient`.
 * Secrets are compared as SHA-256 digests with `timingSafeEqual`, and an unknown id is compared
 * against a random digest, so timing tells neither the secret nor which ids exist.
 */
export function otpApiAuth(clients: readonly ClientConfig[]): Middleware<ApiState> {
  const known = new Map<string, { client: ClientConfig; secret: Buffer }>();
  for (const client of clients) {
    if (client.client_secret) known.set(client.client_id, { client, secret: digest(client.client_secret) });
  }
  const decoy = digest(randomBytes(32));

  return async (ctx, next) => {
    const credentials = parseBasic(ctx.get('authorization'));
    const entry = credentials ? known.get(credentials.id) : undefined;
    const matches = timingSafeEqual(digest(credentials?.secret ?? ''), entry?.secret ?? decoy);
    if (!credentials || !entry || !matches) {
      ctx.set('WWW-Authenticate', REALM);
      throw new InvalidClient();
    }
    if (!entry.client.otp_api) throw new InsufficientPermission('This client may not use the OTP API.');
    const clientId = entry.client.client_id;
    ctx.state.otpClient = {
      clientId,
      name: entry.client.client_name ?? clientId,
      owner: `client:${clientId}`,
    };
    await next();
  };
}
