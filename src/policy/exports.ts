/** `tollgate/policy`: the MFA policy and the login-prompt Check for a hand-built Provider. */
export { ACR_LEVELS, ACR_ONE_FACTOR, ACR_TWO_FACTOR, AMR_PASSWORD } from './acr.ts';
export { loginPolicy, mfaCheck } from './checks.ts';
export { acrFor, createMfaPolicy, finalAcr, levelFromAmr, levelOf, type MfaPolicy } from './mfa.ts';
