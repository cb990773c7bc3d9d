/**
 * tollgate's entry points for teams that run their own node-oidc-provider. The bundled server
 * (`createTollgate`) is assembled from exactly these parts.
 */
export { authenticate } from './accounts/authenticate.ts';
export { accountClaims, SCOPE_CLAIMS } from './accounts/claims.ts';
export { createFindAccount } from './accounts/find-account.ts';
export { createPasswordHasher, type PasswordHasher } from './accounts/password.ts';
export { MAX_PASSWORD_LENGTH, passwordProblem } from './accounts/password-policy.ts';
export {
  createPasswordReset,
  type PasswordReset,
  type PasswordResetOptions,
  resetHmacKey,
} from './accounts/password-reset.ts';
export type { Account, AccountPatch, AccountRecord, AccountStore, NewAccount } from './accounts/types.ts';
export { loadConfig, parseConfig } from './config/load.ts';
export { configSchema, createConfigSchema, type RedisConfig, type TollgateConfig } from './config/schema.ts';
export { redisConnectionSchema } from './config/schema-redis.ts';
export { loadYamlConfig, parseYamlConfig, validateConfig } from './config/yaml.ts';
export * from './errors.ts';
export { BUILTIN_FACTORS } from './factors/builtin.ts';
export { createFactors, type FactorRegistry, factorRegistry } from './factors/index.ts';
export { createRecoveryFactor, type RecoveryFactor } from './factors/recovery/index.ts';
export { createTotpFactor } from './factors/totp/index.ts';
export type {
  Credential,
  CredentialStore,
  EnrolmentResult,
  Factor,
  FactorContext,
  FactorDefinition,
  FactorInputs,
  FactorMessage,
  FactorRequest,
  FactorView,
  KeyValueStore,
  VerifyResult,
} from './factors/types.ts';
export {
  createI18n,
  type I18n,
  type I18nOptions,
  localeMiddleware,
  type MessageKey,
  type MessageVars,
  SHIPPED_CATALOGUES,
  type Translate,
  translatorOf,
  useUiLocales,
} from './i18n/index.ts';
export { createLogger, type Logger } from './log.ts';
export { assembleMfa, createLimiters, createMfaParts, type MfaOptions, type MfaParts } from './mfa/parts.ts';
export { ACR_LEVELS, ACR_ONE_FACTOR, ACR_TWO_FACTOR, AMR_PASSWORD } from './policy/acr.ts';
export { loginPolicy, mfaCheck } from './policy/checks.ts';
export { acrFor, decide, levelOf } from './policy/decide.ts';
export { createMfaPolicy, type MfaPolicy } from './policy/mfa.ts';
export { auditProviderEvents } from './provider/audit-events.ts';
export { createClientPolicies, toClientMetadata } from './provider/clients.ts';
export { buildConfiguration, type ProviderParts } from './provider/configuration.ts';
export { createProvider } from './provider/create.ts';
export { generateJwks, loadJwks } from './provider/keys.ts';
export { createRenderer, type Render, type RenderOptions } from './render.ts';
export { createRegulation, type Regulation } from './security/regulation.ts';
export { createSecretBox, type SecretBox } from './security/secret-box.ts';
export { unlockAccount } from './security/unlock.ts';
export { createTollgate, type Tollgate } from './server/app.ts';
export { errorHandler } from './server/error-handler.ts';
export { clientAddress, normalizeAddress, trustedProxies } from './server/forwarded.ts';
export { createStore, type Store } from './server/store.ts';
export { brandingAssets } from './ui/assets.ts';
export { type Branding, type BrandView, loadBranding } from './ui/branding.ts';
