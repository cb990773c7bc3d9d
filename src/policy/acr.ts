/**
 * Authentication context class references tollgate asserts in the `acr` claim. Clients
 * request a level with `acr_values`; discovery lists these in `acr_values_supported`.
 */

/** Password (one factor) login. */
export const ACR_ONE_FACTOR = 'urn:tollgate:acr:1fa';
/** Password plus a second factor. */
export const ACR_TWO_FACTOR = 'urn:tollgate:acr:2fa';
/** Two factors, one of them phishing-resistant (a passkey bound to this origin). */
export const ACR_PHISHING_RESISTANT = 'urn:tollgate:acr:phr';

/** Every level, weakest first. */
export const ACR_LEVELS = [ACR_ONE_FACTOR, ACR_TWO_FACTOR, ACR_PHISHING_RESISTANT] as const;

/** RFC 8176 method for a password. */
export const AMR_PASSWORD = 'pwd';
/** RFC 8176: the authenticator verified the user (PIN or biometric), a second factor in itself. */
export const AMR_USER_PRESENCE_VERIFIED = 'user';
/** RFC 8176: more than one factor was used. */
export const AMR_MFA = 'mfa';
