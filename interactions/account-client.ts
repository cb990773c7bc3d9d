import type { TollgateConfig } from '../src/config/schema.ts';

/** The built-in first-party client the account page signs in through. */
export const ACCOUNT_CLIENT_ID = 'tollgate-account';

/** Where the account page lives. */
export const ACCOUNT_PATH = '/account';

/**
 * The name users know this server by, which the account page's client goes by: the issuer name
 * their authenticator app shows (`mfa.totp.issuer`), "tollgate" when there is none.
 */
export function serviceName(config: Pick<TollgateConfig, 'mfa'>): string {
  const totp = config.mfa?.totp as { issuer?: unknown } | undefined;
  return typeof totp?.issuer === 'string' && totp.issuer !== '' ? totp.issuer : 'tollgate';
}

/**
 * Client metadata of the account page's own client (public, code + PKCE). Pages and messages
 * read a client's name as the app being signed in to ("Sign in to tollgate", "tollgate will
 * send a code", emails signed "tollgate"), so its name is the service's own, never a phrase
 * like "Your account". Its `client_uri` is the account page: "Back to your account".
 * @param name @default "tollgate"
 */
export function accountClient(issuer: string, name = 'tollgate') {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: name,
    client_uri: `${issuer}${ACCOUNT_PATH}`,
    redirect_uris: [`${issuer}${ACCOUNT_PATH}/callback`],
    grant_types: ['authorization_code' as const],
    first_party: true,
    mfa: { policy: 'optional' as const },
  };
}
