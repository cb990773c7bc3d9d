/** `tollgate/policy`: the MFA policy, the decision and the login-prompt Check for a hand-built Provider. */
export {
  ACR_LEVELS,
  ACR_ONE_FACTOR,
  ACR_PHISHING_RESISTANT,
  ACR_TWO_FACTOR,
  AMR_MFA,
  AMR_PASSWORD,
  AMR_USER_PRESENCE_VERIFIED,
} from './acr.ts';
export { loginPolicy, mfaCheck } from './checks.ts';
export {
  acceptedFactors,
  achievedLevel,
  acrFor,
  type ClientRules,
  type Decision,
  type DecisionInput,
  decide,
  essentialAcrs,
  type FactorTraits,
  finalAcr,
  type Level,
  levelOf,
} from './decide.ts';
export { type ClientMfa, type ClientMfaEntry, createMfaPolicy, type MfaPolicy } from './mfa.ts';
export { type DecisionQuery, decideFor, decisionInput, traitsOf } from './request.ts';
