/** The built-in first-party client the account page signs in through. */
export const ACCOUNT_CLIENT_ID = 'tollgate-account';

/** Where the account page lives. */
export const ACCOUNT_PATH = '/account';

/** Client metadata of the account page's own client (public, code + PKCE). Its `client_uri` is the account page: "Back to your account". */
export function accountClient(issuer: string) {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Your account',
    client_uri: `${issuer}${ACCOUNT_PATH}`,
    redirect_uris: [`${issuer}${ACCOUNT_PATH}/callback`],
    grant_types: ['authorization_code' as const],
    first_party: true,
    mfa: { policy: 'optional' as const },
  };
}
