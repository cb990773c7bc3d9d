import { join } from 'node:path';
import ejs from 'ejs';
import nodemailer, { type NodemailerError } from 'nodemailer';
import type { TollgateConfig } from '../config/schema.ts';
import { defaultI18n, type I18n } from '../i18n/index.ts';
import type { Logger } from '../log.ts';
import { VIEWS_DIR } from '../paths.ts';
import { minutesLeft } from './expiry.ts';
import { maskAddress } from './mask.ts';
import type { CodeMessage, Delivery, DeliveryError, DeliveryResult, Purpose } from './types.ts';

export { minutesLeft } from './expiry.ts';

type EmailDeliveryConfig = NonNullable<TollgateConfig['delivery']['email']>;

/** The `delivery.email.smtp` section of the configuration. */
export type SmtpConfig = Extract<EmailDeliveryConfig, { smtp: unknown }>['smtp'];

/** Subject and bodies of a code email. */
export interface CodeEmail {
  subject: string;
  text: string;
  html: string;
}

/** Builds a code email; pass your own to change the wording or the look. */
export type RenderCodeEmail = (message: CodeMessage) => Promise<CodeEmail>;

/** Options of {@link createSmtpDelivery}. */
export interface SmtpDeliveryOptions {
  /** Catalogues the message's `locale` picks from (`email.*`). @default the shipped ones */
  i18n?: I18n;
  /** Builds the message. @default {@link renderCodeEmail} with the package's views/email templates */
  render?: RenderCodeEmail;
}

/** Catalogue keys of a code email by purpose: `email.<purpose>.subject|heading|intro`. */
const copyKey = (purpose: Purpose, part: 'subject' | 'heading' | 'intro') => `email.${purpose}.${part}`;

/** The templates in views/email/ of a purpose: the reset has its own wording around the code. */
const template = (purpose: Purpose) => (purpose === 'password_reset' ? 'password-reset' : 'code');

// Control characters (CR/LF above all) in an app name must not reach a header or break a line.
const oneLine = (s: string) => s.replace(/\p{Cc}+/gu, ' ').trim();

/** Subject line of a code email. The code stays out of it: subjects show on lock screens. */
export function codeSubject(message: CodeMessage, i18n: I18n = defaultI18n()): string {
  const t = i18n.translator(message.locale || i18n.defaultLocale);
  return oneLine(t(copyKey(message.purpose, 'subject'), { app: oneLine(message.appName) }));
}

/**
 * Renders the default code email from `views/email/code.text.ejs` and `code.html.ejs`
 * (`password-reset.*.ejs` for a password reset).
 * @param options.viewsDir folder holding `email/`. @default the package's views/
 */
export async function renderCodeEmail(
  message: CodeMessage,
  options: { viewsDir?: string; now?: number; i18n?: I18n } = {},
): Promise<CodeEmail> {
  const viewsDir = options.viewsDir ?? VIEWS_DIR;
  const app = oneLine(message.appName);
  // The language of the flow that sent the code (the login's), or the OTP API's `locale`.
  const i18n = options.i18n ?? defaultI18n();
  const t = i18n.translator(message.locale || i18n.defaultLocale);
  const subject = codeSubject(message, i18n);
  const data = {
    t,
    subject,
    heading: t(copyKey(message.purpose, 'heading')),
    intro: t(copyKey(message.purpose, 'intro'), { app }),
    code: message.code,
    minutes: minutesLeft(message.expiresAt, options.now),
    appName: app,
    purpose: message.purpose,
    locale: t.locale,
  };
  // Synchronous templates (see src/render.ts); ejs 7 still hands back a Promise.
  const [text, html] = await Promise.all([
    ejs.renderFile(join(viewsDir, 'email', `${template(message.purpose)}.text.ejs`), data, {
      async: false,
      cache: true,
    }),
    ejs.renderFile(join(viewsDir, 'email', `${template(message.purpose)}.html.ejs`), data, {
      async: false,
      cache: true,
    }),
  ]);
  return { subject, text, html };
}

/** Maps a nodemailer failure to a stable delivery error. */
function classify(err: NodemailerError): DeliveryError {
  if (err.code === 'ETIMEDOUT' || err.originalCode === 'ETIMEDOUT' || err.code === 'EABORT') return 'timeout';
  // 5xx is a permanent "no" (bad recipient, policy); 4xx and 503 may pass later, like an outage.
  if (typeof err.responseCode === 'number')
    return err.permanent !== false && err.responseCode >= 500 ? 'rejected' : 'unreachable';
  // Refused, reset, DNS, TLS failures: the relay cannot be used right now.
  return 'unreachable';
}

/**
 * Email delivery over SMTP. One connection per message: codes are rare, and a pool would hold
 * sockets that relays close anyway.
 */
export function createSmtpDelivery(
  config: SmtpConfig,
  logger: Logger,
  options: SmtpDeliveryOptions = {},
): Delivery {
  const render =
    options.render ?? ((message: CodeMessage) => renderCodeEmail(message, { i18n: options.i18n }));
  const transport = nodemailer.createTransport({
    host: config.host,
    port: config.port,
    secure: config.security === 'tls',
    requireTLS: config.security === 'starttls',
    ignoreTLS: config.security === 'none',
    auth: config.user ? { user: config.user, pass: config.password ?? '' } : undefined,
    connectionTimeout: config.timeout_ms,
    greetingTimeout: config.timeout_ms,
    socketTimeout: config.timeout_ms,
    dnsTimeout: config.timeout_ms,
    tls: { rejectUnauthorized: !config.allow_invalid_certificates },
    // Messages are built from our own templates; nothing may pull in local files or URLs.
    disableFileAccess: true,
    disableUrlAccess: true,
  });

  return {
    async send(message: CodeMessage): Promise<DeliveryResult> {
      const started = Date.now();
      const base = {
        channel: message.channel,
        to: maskAddress(message.to),
        purpose: message.purpose,
        client: message.clientId,
        reference: message.reference,
        transport: 'smtp',
      };
      const remaining = message.expiresAt.getTime() - started;
      if (remaining <= 0) {
        logger.warn(
          { event: 'delivery.failed', ...base, error: 'expired', attempts: 0 },
          'code expired before sending',
        );
        return { ok: false, error: 'expired', attempts: 0 };
      }
      let mail: CodeEmail;
      try {
        mail = await render(message);
      } catch (caught) {
        // A template bug, not the relay: say so, or operators would chase a network problem.
        logger.error(
          {
            event: 'delivery.failed',
            ...base,
            error: 'unreachable',
            stage: 'render',
            detail: String(caught),
          },
          'code email could not be rendered',
        );
        return { ok: false, error: 'unreachable', attempts: 0 };
      }
      try {
        const info = await transport.sendMail({
          from: config.from,
          to: message.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          // Keeps vacation responders and ticket systems from answering a code email.
          headers: { 'Auto-Submitted': 'auto-generated', 'X-Auto-Response-Suppress': 'All' },
          // The per-step timeouts bound each wait; this bounds a server that trickles replies,
          // and a code that expires meanwhile is not worth delivering.
          signal: AbortSignal.timeout(Math.min(remaining, config.timeout_ms * 3)),
        });
        logger.info(
          { event: 'delivery.sent', ...base, id: info.messageId, attempts: 1, ms: Date.now() - started },
          'code email sent',
        );
        return { ok: true, id: info.messageId, attempts: 1 };
      } catch (caught) {
        const err = caught as NodemailerError;
        const expired = err.code === 'EABORT' && Date.now() >= message.expiresAt.getTime();
        const error = expired ? 'expired' : classify(err);
        logger.warn(
          {
            event: 'delivery.failed',
            ...base,
            error,
            // Not `code`: that key is redacted, and it reads like the one-time code.
            error_code: err.code,
            cause: err.originalCode,
            smtp_status: err.responseCode,
            command: err.command,
            // Server replies often quote the recipient; keep only the masked form.
            detail: err.message?.replaceAll(message.to, base.to).replaceAll(message.code, '[code]'),
            attempts: 1,
            ms: Date.now() - started,
          },
          'code email failed',
        );
        return { ok: false, error, attempts: 1 };
      }
    },
  };
}
