// The endpoints the API fuzzer aims at, each with the well-formed request it starts from: real
// client credentials, real tokens, real OTP ids, a signed-in browser's logout form.
import { API_SECRET, APP_SECRET, RP_CALLBACK, RP_LOGGED_OUT } from '../helpers/tollgate.ts';
import { SVC_SECRET } from './harness.ts';

export type Params = [string, string][];

/** What the well-formed requests are made of; renewed while the fuzzer runs. */
export interface LiveMaterial {
  accessToken: string;
  refreshToken: string;
  idToken: string;
  apiToken: string;
  sessionCookie: string;
  xsrf: string;
  otpIds: string[];
  /** PKCE pair of the authorization requests. */
  challenge: string;
  verifier: string;
  metricsToken: string;
}

export const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** An endpoint with the well-formed request the fuzzer starts from. */
export interface Endpoint {
  path: string;
  method: string;
  /** Where the parameters go when the method allows a body. */
  in: 'query' | 'form' | 'json';
  params: () => Params;
  /** Authorization header of the well-formed request. */
  auth?: () => string;
  /** Sends the signed-in browser's cookies. */
  session?: boolean;
  weight: number;
}

const svcAuth = () => basic('svc', SVC_SECRET);

/** The endpoints, each with a well-formed request built from `live` (read at build time). */
export function endpoints(live: () => LiveMaterial): Endpoint[] {
  const authParams = (): Params => [
    ['client_id', 'app'],
    ['response_type', 'code'],
    ['redirect_uri', RP_CALLBACK],
    ['scope', 'openid'],
    ['code_challenge', live().challenge],
    ['code_challenge_method', 'S256'],
    ['state', 'st'],
    ['nonce', 'n'],
  ];
  return [
    {
      path: '/api/otp',
      method: 'POST',
      in: 'json',
      auth: svcAuth,
      params: () => [
        ['to', 'someone@example.test'],
        ['channel', 'email'],
        ['ttl', '120'],
        ['external_id', 'x'],
        ['app_name', 'Fuzz'],
        ['locale', 'en'],
        ['end_user_ip', '192.0.2.1'],
      ],
      weight: 6,
    },
    { path: '/api/otp/:id', method: 'GET', in: 'query', auth: svcAuth, params: () => [], weight: 3 },
    { path: '/api/otp/:id', method: 'DELETE', in: 'json', auth: svcAuth, params: () => [], weight: 1 },
    {
      path: '/api/otp/:id/verify',
      method: 'POST',
      in: 'json',
      auth: svcAuth,
      params: () => [['code', '123456']],
      weight: 6,
    },
    { path: '/api/openapi.json', method: 'GET', in: 'query', params: () => [], weight: 1 },
    { path: '/auth', method: 'GET', in: 'query', session: true, params: authParams, weight: 6 },
    // POST is off at the authorization endpoint (oidc-provider's default): a 404 every time.
    { path: '/auth', method: 'POST', in: 'form', session: true, params: authParams, weight: 1 },
    { path: '/auth/:id', method: 'GET', in: 'query', session: true, params: () => [], weight: 1 },
    {
      path: '/token',
      method: 'POST',
      in: 'form',
      auth: () => basic('api', API_SECRET),
      params: () => [
        ['grant_type', 'client_credentials'],
        ['scope', 'openid'],
      ],
      weight: 4,
    },
    {
      path: '/token',
      method: 'POST',
      in: 'form',
      auth: () => basic('app', APP_SECRET),
      params: () => [
        ['grant_type', 'refresh_token'],
        ['refresh_token', live().refreshToken],
      ],
      weight: 3,
    },
    {
      path: '/token',
      method: 'POST',
      in: 'form',
      auth: () => basic('app', APP_SECRET),
      params: () => [
        ['grant_type', 'authorization_code'],
        ['code', 'x'.repeat(43)],
        ['redirect_uri', RP_CALLBACK],
        ['code_verifier', live().verifier],
      ],
      weight: 3,
    },
    {
      path: '/token',
      method: 'POST',
      in: 'form',
      params: () => [
        ['grant_type', 'client_credentials'],
        ['client_id', 'app'],
        ['client_assertion_type', 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'],
        ['client_assertion', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhcHAifQ.'],
      ],
      weight: 1,
    },
    {
      path: '/me',
      method: 'GET',
      in: 'query',
      auth: () => `Bearer ${live().accessToken}`,
      params: () => [],
      weight: 3,
    },
    {
      path: '/me',
      method: 'POST',
      in: 'form',
      params: () => [['access_token', live().accessToken]],
      weight: 1,
    },
    {
      path: '/token/introspection',
      method: 'POST',
      in: 'form',
      auth: () => basic('api', API_SECRET),
      params: () => [
        ['token', live().accessToken],
        ['token_type_hint', 'access_token'],
      ],
      weight: 3,
    },
    {
      path: '/token/revocation',
      method: 'POST',
      in: 'form',
      auth: () => basic('app', APP_SECRET),
      params: () => [
        ['token', live().apiToken],
        ['token_type_hint', 'refresh_token'],
      ],
      weight: 2,
    },
    {
      path: '/session/end',
      method: 'GET',
      in: 'query',
      session: true,
      params: () => [
        ['id_token_hint', live().idToken],
        ['post_logout_redirect_uri', RP_LOGGED_OUT],
        ['state', 'st'],
        ['client_id', 'app'],
      ],
      weight: 3,
    },
    {
      path: '/session/end/confirm',
      method: 'POST',
      in: 'form',
      session: true,
      params: () => [
        ['xsrf', live().xsrf],
        ['logout', 'yes'],
      ],
      weight: 2,
    },
    {
      path: '/session/end/success',
      method: 'GET',
      in: 'query',
      session: true,
      params: () => [['client_id', 'app']],
      weight: 1,
    },
    {
      path: '/request',
      method: 'POST',
      in: 'form',
      auth: () => basic('app', APP_SECRET),
      params: authParams,
      weight: 2,
    },
    { path: '/jwks', method: 'GET', in: 'query', params: () => [], weight: 1 },
    { path: '/.well-known/openid-configuration', method: 'GET', in: 'query', params: () => [], weight: 1 },
    {
      path: '/metrics',
      method: 'GET',
      in: 'query',
      auth: () => `Bearer ${live().metricsToken}`,
      params: () => [],
      weight: 1,
    },
    { path: '/healthz', method: 'GET', in: 'query', params: () => [], weight: 1 },
    { path: '/readyz', method: 'GET', in: 'query', params: () => [], weight: 1 },
    { path: '/:id', method: 'GET', in: 'query', params: () => [], weight: 1 },
  ];
}
