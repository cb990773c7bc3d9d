// Configuration blocks the out-of-band tests share: `delivery` pointed at the test SMTP server
// and the signed-webhook receiver, and a first-party app that requires given factors.
import { APP_SECRET, RP_CALLBACK } from './tollgate.ts';

/** Options of {@link testDelivery}. */
export interface TestDeliveryOptions {
  /** Port of the test SMTP server (helpers/smtp-server.ts); no email delivery when absent. */
  smtpPort?: number;
  /** The webhook receiver (helpers/webhook-receiver.ts) and its secret; no SMS when absent. */
  sms?: { url: string; secret: string };
  /** Timeout of both channels. @default 2000 */
  timeoutMs?: number;
  /** Retries of a failed webhook. @default 0 */
  smsRetries?: number;
}

/** A `delivery` section for tollgate's configuration. */
export function testDelivery(options: TestDeliveryOptions): Record<string, unknown> {
  const timeout_ms = options.timeoutMs ?? 2000;
  return {
    ...(options.smtpPort === undefined
      ? {}
      : {
          email: {
            smtp: {
              host: '127.0.0.1',
              port: options.smtpPort,
              security: 'none',
              from: 'tollgate <no-reply@example.test>',
              timeout_ms,
            },
          },
        }),
    ...(options.sms
      ? {
          sms: {
            webhook: {
              url: options.sms.url,
              secret: options.sms.secret,
              timeout_ms,
              max_retries: options.smsRetries ?? 0,
            },
          },
        }
      : {}),
  };
}

/** A first-party app at RP_CALLBACK: a list of factors is `required` with those, else `mfa` as given. */
export function requiredApp(
  client_id: string,
  mfa: readonly string[] | string | Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return {
    client_id,
    client_secret: APP_SECRET,
    redirect_uris: [RP_CALLBACK],
    first_party: true,
    mfa: Array.isArray(mfa) ? { policy: 'required', factors: mfa } : mfa,
    ...extra,
  };
}
