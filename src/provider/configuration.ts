import type { AdapterConstructor, Configuration, FindAccount, KoaContextWithOIDC } from 'oidc-provider';
import { SCOPE_CLAIMS } from '../accounts/claims.ts';
import type { TollgateConfig } from '../config/schema.ts';
import type { FactorRegistry } from '../factors/index.ts';
import { t } from '../i18n/index.ts';
import { ACR_LEVELS } from '../policy/acr.ts';
import { loginPolicy } from '../policy/checks.ts';
import type { MfaPolicy } from '../policy/mfa.ts';
import type { Render } from '../render.ts';
import { CLIENT_AUTH_METHODS } from './client-auth-method.ts';
import type { PageLink } from './client-home.ts';
import { type ClientPolicies, toClientMetadata } from './clients.ts';
import type { PrivateJwks } from './keys.ts';

/** What the provider configuration is built from: config plus the parts that do the work. */
export interface ProviderParts {
  adapter: AdapterConstructor;
  findAccount: FindAccount;
  jwks: PrivateJwks;
  policies: ClientPolicies;
  render: Render;
  /** Second-factor policy and factors: the login prompt's MFA Check uses them. */
  mfa: { policy: MfaPolicy; factors: FactorRegistry };
  /** The error page's way on (back to the app, sign in again). @default none */
  links?: (ctx: KoaContextWithOIDC) => Promise<PageLink[]>;
}

/** Path of the interaction pages for a given uid; the interaction router serves it. */
export const interactionPath = (uid: string) => `/interaction/${uid}`;

/**
 * Skips the consent page for first-party clients by granting what they ask for, as
 * oidc-provider documents for `loadExistingGrant`; others keep the default behaviour.
 */
function loadExistingGrant(policies: ClientPolicies): Configuration['loadExistingGrant'] {
  return async (ctx: KoaContextWithOIDC) => {
    const { oidc } = ctx;
    const client = oidc.client;
    const session = oidc.session;
    if (!client || !session) return undefined;
    const grantId = oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
    const existing = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
    if (!policies.isFirstParty(client.clientId)) return existing;
    const grant =
      existing ?? new oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
    const scopes = [...(oidc.requestParamScopes ?? [])].join(' ');
    if (scopes) grant.addOIDCScope(scopes);
    const claims = [...(oidc.requestParamClaims ?? [])];
    if (claims.length > 0) grant.addOIDCClaims(claims);
    await grant.save();
    if (!existing) session.grantIdFor(client.clientId, grant.jti);
    return grant;
  };
}

/** Builds oidc-provider's configuration from tollgate's config and parts. */
export function buildConfiguration(config: TollgateConfig, parts: ProviderParts): Configuration {
  const { policies, render } = parts;
  const ttl = config.ttl;
  // The sign-out page names the issuer's host, never the request's Host header.
  const issuerHost = new URL(config.issuer).host;
  const trustedBackchannel = new Set(
    config.clients.flatMap((c) => (c.backchannel_logout_uri ? [c.backchannel_logout_uri] : [])),
  );
  return {
    adapter: parts.adapter,
    clients: config.clients.map(toClientMetadata),
    findAccount: parts.findAccount,
    jwks: parts.jwks,
    // Standalone claims (null) can be asked for with the claims parameter.
    claims: {
      acr: null,
      amr: null,
      auth_time: null,
      sid: null,
      iss: null,
      ...Object.fromEntries(Object.entries(SCOPE_CLAIMS).map(([k, v]) => [k, [...v]])),
    },
    scopes: ['openid', 'offline_access'],
    responseTypes: ['code'],
    clientAuthMethods: [...CLIENT_AUTH_METHODS],
    acrValues: [...ACR_LEVELS],
    cookies: {
      keys: config.cookies.keys,
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    pkce: { required: (_ctx, client) => policies.requiresPkce(client.clientId) },
    ttl: {
      AccessToken: ttl.access_token,
      AuthorizationCode: ttl.authorization_code,
      IdToken: ttl.id_token,
      RefreshToken: ttl.refresh_token,
      ClientCredentials: ttl.client_credentials,
      Session: ttl.session,
      Interaction: ttl.interaction,
      Grant: ttl.grant,
    },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      backchannelLogout: { enabled: true },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      introspection: {
        enabled: true,
        // Only operator-designated resource servers learn about tokens that are not theirs. A
        // token of an account that is disabled, deleted or reset since it was issued is not
        // active: findAccount refuses it, as the userinfo and token endpoints do.
        allowedPolicy: async (ctx, client, token) => {
          if (!policies.isResourceServer(client.clientId)) return false;
          // Client credentials belong to no account.
          if (!('accountId' in token) || typeof token.accountId !== 'string') return true;
          return (await parts.findAccount(ctx, token.accountId, token)) !== undefined;
        },
      },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => {
          const clientName = ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId;
          await render(ctx, 'logout', { title: t(ctx, 'logout.title'), host: issuerHost, form, clientName });
        },
        postLogoutSuccessSource: async (ctx) => {
          const clientName = ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId;
          await render(ctx, 'logout-success', { title: t(ctx, 'logout.doneTitle'), clientName });
        },
      },
    },
    interactions: {
      url: (_ctx, interaction) => interactionPath(interaction.uid),
      policy: loginPolicy(parts.mfa.policy, parts.mfa.factors),
    },
    // Access tokens carry how the user signed in, so resource servers and the proxy can require
    // MFA from introspection: the code or refresh token they come from knows acr and amr.
    extraTokenClaims: async (ctx) => {
      const source = ctx.oidc.entities.AuthorizationCode ?? ctx.oidc.entities.RefreshToken;
      if (!source?.acr) return undefined;
      return { acr: source.acr, amr: source.amr };
    },
    loadExistingGrant: loadExistingGrant(policies),
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    // SPAs may call the token endpoint from the origins they redirect to, and no others.
    clientBasedCORS: (_ctx, origin, client) =>
      (client.redirectUris ?? []).some((uri) => {
        try {
          return new URL(uri).origin === origin;
        } catch {
          return false;
        }
      }),
    // Back-channel logout targets come from the operator's own client list, and the auth-proxy
    // usually lives on a private address next to tollgate: exactly those URLs skip
    // oidc-provider's SSRF guard. Every other outgoing request keeps it.
    fetch: (url, options) => {
      if (!trustedBackchannel.has(String(url))) return globalThis.fetch(url, options);
      const { dispatcher: _guard, ...rest } = options as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(url, rest);
    },
    renderError: async (ctx, out) => {
      await render(ctx, 'error', {
        title: t(ctx, 'error.title'),
        status: ctx.status,
        error: out.error,
        description: out.error_description ?? 'The request could not be completed.',
        links: (await parts.links?.(ctx).catch(() => undefined)) ?? [],
      });
    },
  };
}
