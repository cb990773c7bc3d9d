// Token endpoint authentication as registered (issue 15.8): a client registered for
// client_secret_basic cannot send its secret in the body, one registered for client_secret_post
// cannot use HTTP Basic, at the token, introspection and revocation endpoints; discovery offers
// only the methods a client can be registered with. The client side is openid-client.
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_SECRET, type RunningTollgate, startTollgate, testClients } from '../helpers/tollgate.ts';

const POST_SECRET = 'post-secret-0123456789abcdef';
let running: RunningTollgate;

beforeAll(async () => {
  running = await startTollgate({
    overrides: {
      clients: [
        ...testClients(),
        {
          client_id: 'poster',
          client_secret: POST_SECRET,
          token_endpoint_auth_method: 'client_secret_post',
          grant_types: ['client_credentials'],
          resource_server: true,
        },
      ],
    },
  });
});

afterAll(async () => {
  await running?.stop();
});

const options = { execute: [oidc.allowInsecureRequests] };
const connect = (clientId: string, auth: oidc.ClientAuth) =>
  oidc.discovery(new URL(running.url), clientId, undefined, auth, options);

/** The OAuth error a call failed with, or "ok". */
async function outcome(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
    return 'ok';
  } catch (err) {
    // A 401 with HTTP Basic comes as a WWW-Authenticate challenge carrying the error.
    const challenge = (err as { cause?: { parameters?: { error?: string } }[] }).cause;
    return (err as { error?: string }).error ?? challenge?.[0]?.parameters?.error ?? String(err);
  }
}

describe('a client registered for client_secret_basic ("api")', () => {
  it('gets tokens with HTTP Basic', async () => {
    const config = await connect('api', oidc.ClientSecretBasic(API_SECRET));
    expect(await outcome(() => oidc.clientCredentialsGrant(config))).toBe('ok');
  });

  it('is refused with its secret in the body, at every endpoint', async () => {
    const basic = await connect('api', oidc.ClientSecretBasic(API_SECRET));
    const { access_token: token } = await oidc.clientCredentialsGrant(basic);
    const post = await connect('api', oidc.ClientSecretPost(API_SECRET));
    expect(await outcome(() => oidc.clientCredentialsGrant(post))).toBe('invalid_client');
    expect(await outcome(() => oidc.tokenIntrospection(post, token))).toBe('invalid_client');
    expect(await outcome(() => oidc.tokenRevocation(post, token))).toBe('invalid_client');
    // The token is still live: the refused revocation did nothing.
    expect((await oidc.tokenIntrospection(basic, token)).active).toBe(true);
  });

  it('is refused with a client assertion', async () => {
    const jwt = await connect('api', oidc.ClientSecretJwt(API_SECRET));
    expect(await outcome(() => oidc.clientCredentialsGrant(jwt))).toBe('invalid_client');
  });
});

describe('a client registered for client_secret_post ("poster")', () => {
  it('gets tokens with its secret in the body', async () => {
    const config = await connect('poster', oidc.ClientSecretPost(POST_SECRET));
    const tokens = await oidc.clientCredentialsGrant(config);
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(true);
  });

  it('is refused with HTTP Basic', async () => {
    const config = await connect('poster', oidc.ClientSecretBasic(POST_SECRET));
    expect(await outcome(() => oidc.clientCredentialsGrant(config))).toBe('invalid_client');
  });
});

it('a wrong secret is refused the same way as a wrong method', async () => {
  const config = await connect('api', oidc.ClientSecretBasic('not-the-secret-0123456789'));
  expect(await outcome(() => oidc.clientCredentialsGrant(config))).toBe('invalid_client');
});

it('discovery advertises only the methods a client can be registered with', async () => {
  const config = await connect('api', oidc.ClientSecretBasic(API_SECRET));
  const meta = config.serverMetadata();
  expect(meta.token_endpoint_auth_methods_supported).toEqual([
    'client_secret_basic',
    'client_secret_post',
    'none',
  ]);
  // Introspection and revocation take the token endpoint's list (none listed apart from it).
  for (const [key, value] of Object.entries(meta)) {
    if (key.endsWith('_auth_methods_supported')) expect(value, key).not.toContain('private_key_jwt');
  }
  expect(meta.token_endpoint_auth_signing_alg_values_supported).toBeUndefined();
});
