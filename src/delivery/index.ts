import type { TollgateConfig } from '../config/schema.ts';
import type { I18n } from '../i18n/index.ts';
import type { Logger } from '../log.ts';
import { createOutboxDelivery } from './outbox.ts';
import { createSmtpDelivery } from './smtp.ts';
import type { Deliveries, Delivery } from './types.ts';
import { createWebhookDelivery } from './webhook.ts';

export { maskAddress } from './mask.ts';
export type {
  Channel,
  CodeMessage,
  Deliveries,
  Delivery,
  DeliveryError,
  DeliveryResult,
  Purpose,
} from './types.ts';

/** Fallbacks for what the configuration leaves out. */
export interface DeliveryDefaults {
  /**
   * Outbox folder used when `delivery.email` is not configured at all (the demo server passes
   * `data/outbox`). Omitted: no email delivery unless configured.
   */
  outboxDir?: string;
  /** Catalogues for the messages' texts (the server's, with `ui.locales_dir`). @default the shipped ones */
  i18n?: I18n;
}

/**
 * Builds the configured transports: email over SMTP, a webhook or a file outbox; SMS over a
 * webhook. A channel left out has no transport, and factors that need it cannot be used.
 */
export function createDeliveries(
  config: TollgateConfig['delivery'],
  logger: Logger,
  defaults: DeliveryDefaults = {},
): Deliveries {
  const deliveries: Deliveries = {};
  const email = config.email;
  let emailDelivery: Delivery | undefined;
  if (email && 'smtp' in email) {
    emailDelivery = createSmtpDelivery(email.smtp, logger, { i18n: defaults.i18n });
  } else if (email && 'webhook' in email) {
    emailDelivery = createWebhookDelivery(email.webhook, logger, { i18n: defaults.i18n });
  } else if (email && 'outbox' in email) {
    logger.warn(
      { event: 'delivery.dev_outbox', dir: email.outbox.dir, configured: true },
      `EMAIL CODES ARE WRITTEN TO FILES in ${email.outbox.dir}, not sent: for demos and development only`,
    );
    emailDelivery = createOutboxDelivery(email.outbox.dir, logger, { i18n: defaults.i18n });
  } else if (defaults.outboxDir) {
    // Unsafe default, so it says so loudly at start (like dev keys and the in-memory store).
    logger.warn(
      { event: 'delivery.dev_outbox', dir: defaults.outboxDir, configured: false },
      `delivery.email is not configured: EMAIL CODES ARE WRITTEN TO FILES in ${defaults.outboxDir}, not sent. Configure delivery.email.smtp for real use`,
    );
    emailDelivery = createOutboxDelivery(defaults.outboxDir, logger, { i18n: defaults.i18n });
  }
  if (emailDelivery) deliveries.email = emailDelivery;
  if (config.sms) deliveries.sms = createWebhookDelivery(config.sms.webhook, logger, { i18n: defaults.i18n });
  return deliveries;
}
