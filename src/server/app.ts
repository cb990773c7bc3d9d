import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import { duringSignIn } from '../../adapters/redis-durable.ts';
import { ACCOUNT_PATH, accountClient, serviceName } from '../../interactions/account-client.ts';
import { createInteractionRouter } from '../../interactions/index.ts';
import { errorPageLinks } from '../../interactions/ways-on.ts';
import { createFindAccount } from '../accounts/find-account.ts';
import { createPasswordHasher, type PasswordHasher } from '../accounts/password.ts';
import { createPasswordReset, type PasswordReset, resetHmacKey } from '../accounts/password-reset.ts';
import { createOtpApiRouter } from '../api/otp/router.ts';
import { DEFAULT_OUTBOX_DIR, isDevelopmentCookieKey, isDevelopmentKey } from '../config/development.ts';
import { clientSchema, type TollgateConfig } from '../config/schema.ts';
import { createDeliveries, type Deliveries } from '../delivery/index.ts';
import type { FactorDefinition } from '../factors/types.ts';
import { createI18n, type I18n, localeMiddleware } from '../i18n/index.ts';
import type { Logger } from '../log.ts';
import { createMfaParts, type MfaParts } from '../mfa/parts.ts';
import { createMetrics, type Metrics, withEventMetrics } from '../observability/metrics.ts';
import { createOtpService, type OtpService } from '../otp/service.ts';
import { auditProviderEvents } from '../provider/audit-events.ts';
import { createClientPolicies } from '../provider/clients.ts';
import { createProvider } from '../provider/create.ts';
import { generateJwks, loadJwks } from '../provider/keys.ts';
import { fillSingleRedirectUri } from '../provider/single-redirect-uri.ts';
import { createRenderer } from '../render.ts';
import { requestScopedAdapter } from '../scope/adapter.ts';
import { accountReadAhead } from '../scope/read-ahead.ts';
import { requestScope } from '../scope/request-scope.ts';
import { scopedAccounts } from '../scope/stores.ts';
import { createSessionActivity, recordSessionActivity } from '../sessions/activity.ts';
import { endAccountSessions } from '../sessions/end-account-sessions.ts';
import { brandingAssets } from '../ui/assets.ts';
import { loadBranding } from '../ui/branding.ts';
import { publicMetadataCaching } from './cache-headers.ts';
import { errorHandler, isStoreOutage } from './error-handler.ts';
import { forwardedHeaders } from './forwarded.ts';
import { healthRouter } from './health.ts';
import { issuerOrigin } from './issuer-origin.ts';
import { drainUnreadBody } from './read-body.ts';
import { createStore, type Store } from './store.ts';

/** A running tollgate: the provider (a Koa app) and what it was built from. */
export interface Tollgate {
  provider: Provider;
  store: Store;
  hasher: PasswordHasher;
  mfa: MfaParts;
  /** "Forgot password?", when on (`accounts.password_reset`). */
  passwordReset?: PasswordReset;
  metrics: Metrics;
  /** Closes the store connections (not the HTTP server). */
  close(): Promise<void>;
}

/**
 * The email and SMS transports, when something sends codes: the `otp` section (factors, the OTP
 * API, with the demo's file outbox when no email transport is set) or a configured
 * `delivery.email` (the password reset). Their texts come from the catalogues in `i18n`.
 */
function createCodeDeliveries(config: TollgateConfig, logger: Logger, i18n: I18n): Deliveries {
  if (!config.otp && !config.delivery.email) return {};
  return createDeliveries(
    config.delivery,
    logger,
    config.otp ? { outboxDir: DEFAULT_OUTBOX_DIR, i18n } : { i18n },
  );
}

/** OTP sessions, when the configuration has an `otp` section. */
function createOtp(config: TollgateConfig, store: Store, deliveries: Deliveries): OtpService | undefined {
  if (!config.otp) return undefined;
  return createOtpService({
    store: store.otp,
    deliveries,
    hmacKey: Buffer.from(config.otp.hmac_key, 'base64'),
    digits: config.otp.digits,
    ttl: config.otp.ttl,
    maxAttempts: config.otp.max_attempts,
    resendCooldown: config.otp.resend_cooldown,
    maxSends: config.otp.max_sends,
  });
}

/**
 * "Forgot password?" (`accounts.password_reset`): on by default when there is an email
 * transport. Resetting ends the account's sessions here, with back-channel logouts signed by
 * this provider, and lifts the password lockout of the name.
 */
function createReset(
  config: TollgateConfig,
  parts: { store: Store; deliveries: Deliveries; hasher: PasswordHasher; mfa: MfaParts; logger: Logger },
  provider: Provider,
): PasswordReset | undefined {
  const settings = config.accounts.password_reset;
  const email = parts.deliveries.email;
  if (settings.enabled === false || !email) return undefined;
  const { store } = parts;
  const accounts = scopedAccounts(store.accounts);
  return createPasswordReset({
    accounts,
    otp: store.otp,
    kv: store.kv,
    email,
    hmacKey: resetHmacKey(config.otp?.hmac_key, config.cookies.keys[0] as string),
    hasher: parts.hasher,
    minPasswordLength: config.accounts.min_password_length,
    ttl: settings.ttl,
    digits: settings.digits,
    maxAttempts: settings.max_attempts,
    perAddress: settings.per_address,
    perIp: settings.per_ip,
    endSessions: (accountId) =>
      endAccountSessions({ adapter: store.adapter, accounts, provider: async () => provider }, accountId),
    unlockPassword: (username) => parts.mfa.passwordRegulation.unlock(username),
    logger: parts.logger,
    redis: store.redis,
    keyPrefix: store.keyPrefix,
  });
}

/**
 * Assembles the bundled server from the exported parts: store adapters, account store,
 * findAccount, provider configuration, interaction router. Nothing here is private glue a
 * team mounting the parts by hand would be missing.
 */
export function createTollgate(
  configured: TollgateConfig,
  baseLogger: Logger,
  options: {
    store?: Store;
    metrics?: Metrics;
    /**
     * Factors beyond the shipped ones (plug-ins): `mfa.factors` may name them, and their
     * options sit under `mfa.<id>`. Parse the configuration with `createConfigSchema` over
     * `[...BUILTIN_FACTORS, ...factors]` so those options are validated.
     */
    factors?: readonly FactorDefinition[];
    /**
     * An operator's folder of templates overriding the shipped ones (see `createRenderer`).
     * @default `ui.views_dir`
     */
    viewsOverrides?: string;
  } = {},
): Tollgate {
  // The account page signs in through a built-in first-party client of its own.
  const config: TollgateConfig = {
    ...configured,
    clients: [
      ...configured.clients,
      clientSchema.parse(accountClient(configured.issuer, serviceName(configured))),
    ],
  };
  // Every audit event is also a Prometheus counter: one source for both.
  const metrics = options.metrics ?? createMetrics();
  const logger = withEventMetrics(baseLogger, metrics);
  const store = options.store ?? createStore(config, logger);
  if (config.cookies.keys.some(isDevelopmentCookieKey)) {
    logger.warn(
      { event: 'cookies.dev_key' },
      'DEVELOPMENT COOKIE KEY IN USE: set TOLLGATE_COOKIE_KEY (or cookies.keys) for real use.',
    );
  }
  if (config.mfa?.encryption_keys.some((k) => isDevelopmentKey(k.key))) {
    logger.warn(
      { event: 'mfa.dev_key' },
      'DEVELOPMENT MFA ENCRYPTION KEY IN USE: set TOLLGATE_MFA_KEY for real use.',
    );
  }
  if (config.otp && isDevelopmentKey(config.otp.hmac_key)) {
    logger.warn(
      { event: 'otp.dev_key' },
      'DEVELOPMENT OTP HMAC KEY IN USE: set TOLLGATE_OTP_KEY for real use.',
    );
  }
  // Logo, stylesheet and views folder are read and checked here (a ConfigError naming the field).
  const branding = loadBranding(config.ui);
  const render = createRenderer(undefined, {
    overridesDir: options.viewsOverrides ?? branding.viewsDir,
    brand: branding,
  });
  // Every page and message in the user's language: ui_locales, Accept-Language, ui.default_locale.
  const i18n = createI18n({ defaultLocale: config.ui.default_locale, localesDir: config.ui.locales_dir });
  const hasher = createPasswordHasher(config.accounts.password_hash);
  let jwks = config.jwks.file ? loadJwks(config.jwks.file) : undefined;
  if (!jwks) {
    logger.warn(
      { event: 'keys.ephemeral' },
      'NO jwks.file CONFIGURED: using throw-away signing keys; tokens break on restart. Run `tollgate keys generate`.',
    );
    jwks = generateJwks();
  }
  const deliveries = createCodeDeliveries(config, logger, i18n);
  const otp = createOtp(config, store, deliveries);
  const mfa = createMfaParts(config, store, { otp, logger, factors: options.factors });
  // Each request reads an account once, however many steps ask (src/scope/stores.ts).
  const accounts = scopedAccounts(store.accounts);
  // Error pages offer a way on: back to the app, else signing in again at the account page.
  const links = (ctx: Context) => errorPageLinks(provider, { signIn: ACCOUNT_PATH })(ctx);
  const provider = createProvider(config, {
    mfa,
    // A request's reads shared and read ahead, its saves sent together (src/scope/adapter.ts).
    adapter: requestScopedAdapter(store.adapter, { readAhead: accountReadAhead(accounts, mfa.credentials) }),
    findAccount: createFindAccount(accounts),
    jwks,
    policies: createClientPolicies(config.clients),
    render,
    links,
  });
  provider.on('server_error', (ctx, err) => {
    if (isStoreOutage(err)) {
      ctx.state.storeOutage = true;
      logger.warn({ event: 'store.unavailable', message: err.message, path: ctx.path }, 'store unavailable');
    } else {
      logger.error({ err, event: 'provider.server_error' }, 'provider error');
    }
  });
  // Sign-outs, back-channel logouts and revocations as audit events (logout.*, token.*).
  auditProviderEvents(provider, logger);
  const passwordReset = createReset(config, { store, deliveries, hasher, mfa, logger }, provider);
  // Before anything reads ctx.ip or the forwarded headers.
  provider.use(forwardedHeaders(config.trusted_proxies));
  provider.use(metrics.httpMiddleware());
  provider.use(drainUnreadBody);
  provider.use(fillSingleRedirectUri(config.clients));
  // The authorization endpoint signs in (and renews the browser's session id): no write there
  // waits for a replica.
  provider.use((ctx, next) =>
    ctx.path === '/auth' || ctx.path.startsWith('/auth/') ? duringSignIn(next) : next(),
  );
  provider.use(localeMiddleware(i18n));
  provider.use(errorHandler(render, logger, { links }));
  // Inside the error handler: a failed batched write is answered like any other error.
  provider.use(requestScope());
  provider.use(issuerOrigin(config.issuer));
  provider.use(publicMetadataCaching());
  provider.use(healthRouter(() => store.ping(), logger).routes());
  provider.use(brandingAssets(branding));
  // Where and when each session is used, for the account page and `tollgate sessions list`.
  const activity = createSessionActivity(store.kv, config.ttl.session);
  provider.use(recordSessionActivity(activity));
  const interactions = createInteractionRouter(provider, {
    accounts,
    hasher,
    csrfSecret: config.cookies.keys[0] as string,
    logger,
    render,
    mfa,
    passwordReset,
    accountPage: {
      issuer: config.issuer,
      sessions: { adapter: store.adapter, activity },
      minPasswordLength: config.accounts.min_password_length,
    },
    // The embedded store was chosen by configuration, and store.ts has warned about it.
    unsafeMemoryStore: store.kind === 'memory',
  });
  provider.use(interactions.routes());
  if (otp && config.otp) {
    const api = createOtpApiRouter({
      clients: config.clients,
      otp,
      limits: config.otp.api_limits,
      redis: store.redis,
      keyPrefix: store.keyPrefix,
      logger,
    });
    provider.use(api.routes());
    provider.use(api.allowedMethods());
  }
  provider.use(interactions.allowedMethods());
  return { provider, store, hasher, mfa, passwordReset, metrics, close: () => store.close() };
}
