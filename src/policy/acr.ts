/**
 * Authentication context class references tollgate asserts in the `acr` claim. Clients
 * request a level with `acr_values`; discovery lists these in `acr_values_supported`.
 */

/** Password (one factor) login. */
export const ACR_ONE_FACTOR = 'urn:tollgate:acr:1fa';
/** Password plus a second factor. */
export const ACR_TWO_FACTOR = 'urn:tollgate:acr:2fa';

/** Every level, weakest first. */
export const ACR_LEVELS = [ACR_ONE_FACTOR, ACR_TWO_FACTOR] as const;

/** RFC 8176 method for a password. */
export const AMR_PASSWORD = 'pwd';
