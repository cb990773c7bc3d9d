import { isIP } from 'node:net';
import type { TollgateConfig } from './schema.ts';

/**
 * The development defaults a configuration can hold: what the demo needs and a deployment must
 * not keep. `tollgate config check` warns about each one (`--strict` refuses them), and the
 * server warns about the same ones at start. One list, so the two never disagree.
 */

/** Stable codes of the development defaults, one per kind. */
export type DevelopmentDefaultCode =
  | 'embedded_store'
  | 'demo_user'
  | 'dev_cookie_key'
  | 'dev_mfa_key'
  | 'dev_otp_key'
  | 'ephemeral_jwks'
  | 'file_outbox'
  | 'public_metrics'
  | 'placeholder_client_secret';

/** One development default found in a configuration. */
export interface DevelopmentDefault {
  code: DevelopmentDefaultCode;
  /** The field to change, as the YAML names it (`cookies.keys.0`). */
  field: string;
  /** What it means and what to set instead. */
  message: string;
}

/** The cookie keys of examples/tollgate.yaml start with this. */
const DEV_COOKIE_KEY_PREFIX = 'insecure-dev-';
/** The example's base64 MFA and OTP keys decode to text starting with this. */
const DEV_KEY_PREFIX = 'dev-only-';

/** Whether a cookie key is the example's development key. */
export const isDevelopmentCookieKey = (key: string): boolean => key.startsWith(DEV_COOKIE_KEY_PREFIX);

/** Whether a base64 key (`mfa.encryption_keys[].key`, `otp.hmac_key`) is one of the example's. */
export const isDevelopmentKey = (base64: string): boolean =>
  Buffer.from(base64, 'base64').toString('latin1').startsWith(DEV_KEY_PREFIX);

/** Placeholder client secrets of the example (`demo-app-secret-change-me`). */
const isPlaceholderSecret = (secret: string): boolean => /change-me/i.test(secret);

/** Loopback only: what a listener on these hosts answers, nobody outside the machine reaches. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/**
 * Where email codes go when nothing sends them: the file outbox, configured or as the fallback
 * of a configuration with an `otp` section and no `delivery.email` (see src/server/app.ts).
 */
export const DEFAULT_OUTBOX_DIR = 'data/outbox';

/** Every development default left in `config`, in a stable order (empty: fit for real use). */
export function developmentDefaults(config: TollgateConfig): DevelopmentDefault[] {
  const found: DevelopmentDefault[] = [];
  const add = (code: DevelopmentDefaultCode, field: string, message: string) =>
    found.push({ code, field, message });

  if (!config.store.redis) {
    add(
      'embedded_store',
      'store.redis',
      'not set: the embedded in-memory store loses every session, token and account on restart',
    );
  }
  const demo = config.accounts.demo_user;
  if (demo) {
    add(
      'demo_user',
      'accounts.demo_user',
      `creates the account "${demo.username}" with the password written in the file; remove it and add users with \`tollgate users add\``,
    );
  }
  config.cookies.keys.forEach((key, i) => {
    if (isDevelopmentCookieKey(key)) {
      add(
        'dev_cookie_key',
        `cookies.keys.${i}`,
        "the example's development cookie key; set TOLLGATE_COOKIE_KEY (openssl rand -base64 48)",
      );
    }
  });
  config.mfa?.encryption_keys.forEach((k, i) => {
    if (isDevelopmentKey(k.key)) {
      add(
        'dev_mfa_key',
        `mfa.encryption_keys.${i}.key`,
        "the example's development MFA encryption key; set TOLLGATE_MFA_KEY (openssl rand -base64 32)",
      );
    }
  });
  if (config.otp && isDevelopmentKey(config.otp.hmac_key)) {
    add(
      'dev_otp_key',
      'otp.hmac_key',
      "the example's development OTP HMAC key; set TOLLGATE_OTP_KEY (openssl rand -base64 32)",
    );
  }
  if (!config.jwks.file) {
    add(
      'ephemeral_jwks',
      'jwks.file',
      'not set: throw-away signing keys, so tokens stop verifying after a restart; run `tollgate keys generate`',
    );
  }
  const email = config.delivery.email;
  if (email && 'outbox' in email) {
    add(
      'file_outbox',
      'delivery.email.outbox',
      `email codes are written to files in ${email.outbox.dir}, not sent; configure delivery.email.smtp or .webhook`,
    );
  } else if (!email && config.otp) {
    add(
      'file_outbox',
      'delivery.email',
      `not set: email codes are written to files in ${DEFAULT_OUTBOX_DIR}, not sent; configure delivery.email.smtp or .webhook`,
    );
  }
  if (config.metrics.enabled && !isLoopbackHost(config.metrics.listen.host) && !config.metrics.bearer_token) {
    add(
      'public_metrics',
      'metrics.bearer_token',
      `not set while metrics listen on ${config.metrics.listen.host}: anyone who reaches it can scrape`,
    );
  }
  config.clients.forEach((client, i) => {
    if (client.client_secret && isPlaceholderSecret(client.client_secret)) {
      add(
        'placeholder_client_secret',
        `clients.${i}.client_secret`,
        `a placeholder ("change-me") secret for client ${client.client_id}; use a random one (openssl rand -base64 32)`,
      );
    }
  });
  return found;
}
