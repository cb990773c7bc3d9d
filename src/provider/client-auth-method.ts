import Provider, { type ClientAuthMethod, errors } from 'oidc-provider';

/**
 * The token endpoint authentication methods tollgate offers, and so advertises in discovery
 * (token, introspection, revocation). The JWT methods are left out: no client configuration can
 * register the keys they need (`jwks`/`jwks_uri`), so advertising them promised what no client
 * could use. Operators who need key-based client authentication can add it with per-client
 * keys; until then, a shared secret over TLS is what clients get.
 */
export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'none',
];

/**
 * A client authenticates the way it is registered. oidc-provider (9.x) accepts
 * `client_secret_basic` and `client_secret_post` for each other: a client registered for HTTP
 * Basic could also send its secret in the body (where it lands in access logs and form
 * dumps), and the registration promised otherwise. Both secret methods end in
 * `compareClientSecret`, called only after the client is found and the request carries exactly
 * one mechanism; the wrapper refuses a secret that came the other way, with the same
 * `invalid_client` a wrong secret gets.
 */
export function enforceRegisteredAuthMethod(provider: Provider): void {
  const prototype = provider.Client.prototype;
  const compare = prototype.compareClientSecret;
  prototype.compareClientSecret = async function registeredMethodOnly(secret) {
    const ctx = Provider.ctx;
    // The same test oidc-provider uses to pick the mechanism: a body secret first, else Basic.
    const used: ClientAuthMethod = ctx?.oidc.params?.client_secret
      ? 'client_secret_post'
      : 'client_secret_basic';
    if (!ctx || used !== this.clientAuthMethod) {
      throw new errors.InvalidClientAuth(
        `the client is registered for ${this.clientAuthMethod}, not ${used}`,
      );
    }
    return compare.call(this, secret);
  };
}
