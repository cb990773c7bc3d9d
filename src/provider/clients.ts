import type { ClientMetadata } from 'oidc-provider';
import type { ClientConfig } from '../config/schema.ts';

/** Turns a configured client into oidc-provider client metadata. */
export function toClientMetadata(client: ClientConfig): ClientMetadata {
  const usesCode = client.grant_types.includes('authorization_code');
  return {
    client_id: client.client_id,
    ...(client.client_secret
      ? { client_secret: client.client_secret, token_endpoint_auth_method: client.token_endpoint_auth_method }
      : { token_endpoint_auth_method: 'none' }),
    ...(client.client_name ? { client_name: client.client_name } : {}),
    ...(client.client_uri ? { client_uri: client.client_uri } : {}),
    ...(client.scope ? { scope: client.scope } : {}),
    grant_types: client.grant_types,
    response_types: usesCode ? ['code'] : [],
    redirect_uris: client.redirect_uris,
    post_logout_redirect_uris: client.post_logout_redirect_uris,
    ...(client.backchannel_logout_uri
      ? { backchannel_logout_uri: client.backchannel_logout_uri, backchannel_logout_session_required: true }
      : {}),
  };
}

/**
 * tollgate's per-client policy beside oidc-provider's metadata, looked up by client_id.
 * Unknown (e.g. dynamically added) clients get the strictest answers.
 */
export interface ClientPolicies {
  get(clientId: string): ClientConfig | undefined;
  isFirstParty(clientId: string): boolean;
  isResourceServer(clientId: string): boolean;
  requiresPkce(clientId: string): boolean;
}

export function createClientPolicies(clients: ClientConfig[]): ClientPolicies {
  const byId = new Map(clients.map((c) => [c.client_id, c]));
  return {
    get: (id) => byId.get(id),
    isFirstParty: (id) => byId.get(id)?.first_party === true,
    isResourceServer: (id) => byId.get(id)?.resource_server === true,
    requiresPkce: (id) => byId.get(id)?.require_pkce !== false,
  };
}
