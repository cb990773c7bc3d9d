import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { I18n } from '../i18n/index.ts';
import type { Logger } from '../log.ts';
import { maskAddress } from './mask.ts';
import { type CodeEmail, codeSubject, renderCodeEmail } from './smtp.ts';
import type { CodeMessage, Delivery, DeliveryResult } from './types.ts';
import { codeText } from './webhook.ts';

/** Options of {@link createOutboxDelivery}. */
export interface OutboxDeliveryOptions {
  /** Catalogues the message's `locale` picks from. @default the shipped ones */
  i18n?: I18n;
  /** Builds email messages. @default {@link renderCodeEmail} */
  render?: (message: CodeMessage) => Promise<CodeEmail>;
  /** Clock, for file names and the `Date` header. @default Date.now */
  now?: () => number;
}

// Header values come from configuration and requests: no line breaks may start a new header.
const headerValue = (s: string) => s.replace(/\p{Cc}+/gu, ' ').trim();

/** RFC 2047 encoded-word for non-ASCII header text, so mail clients show it right. */
function encodeHeader(s: string): string {
  const v = headerValue(s);
  return /^[\x20-\x7e]*$/.test(v) ? v : `=?UTF-8?B?${Buffer.from(v, 'utf8').toString('base64')}?=`;
}

/** `2025-01-31T12-00-00-123Z`: sorts by time as text and is a valid file name everywhere. */
const stamp = (ms: number) => new Date(ms).toISOString().replace(/[:.]/g, '-');

/** The reference as a safe, bounded file-name part. */
const safePart = (s: string) => s.replace(/[^\w-]+/g, '_').slice(0, 64) || 'message';

/**
 * Demo/development delivery: each message becomes two files in `dir`, a `.eml` (headers and
 * the plain-text body, readable in any editor or mail client) and a `.json` with the code, for
 * scripts and tests. The log line names the file, never the code: whoever runs the demo opens
 * the file. Files are 0600 in a 0700 folder, since they hold live codes.
 */
export function createOutboxDelivery(
  dir: string,
  logger: Logger,
  options: OutboxDeliveryOptions = {},
): Delivery {
  const folder = resolve(dir);
  const render =
    options.render ?? ((message: CodeMessage) => renderCodeEmail(message, { i18n: options.i18n }));
  const now = options.now ?? Date.now;

  return {
    async send(message: CodeMessage): Promise<DeliveryResult> {
      const created = now();
      const to = maskAddress(message.to);
      try {
        const mail: CodeEmail =
          message.channel === 'email'
            ? await render(message)
            : {
                subject: codeSubject(message, options.i18n),
                text: `${codeText(message, created, options.i18n)}\n`,
                html: '',
              };
        await mkdir(folder, { recursive: true, mode: 0o700 });
        // Random suffix: two sends of one session within a millisecond must not overwrite.
        const name = `${stamp(created)}_${safePart(message.reference)}_${randomBytes(3).toString('hex')}`;
        const eml = join(folder, `${name}.eml`);
        const json = join(folder, `${name}.json`);
        const id = `<${name}@tollgate.outbox>`;
        const headers = [
          'From: tollgate outbox <outbox@localhost>',
          `To: ${headerValue(message.to)}`,
          `Subject: ${encodeHeader(mail.subject)}`,
          `Date: ${new Date(created).toUTCString()}`,
          `Message-ID: ${id}`,
          'Auto-Submitted: auto-generated',
          'MIME-Version: 1.0',
          'Content-Type: text/plain; charset=utf-8',
          'Content-Transfer-Encoding: 8bit',
        ];
        const body = mail.text.replace(/\r?\n/g, '\r\n');
        const record = {
          channel: message.channel,
          to: message.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html,
          code: message.code,
          purpose: message.purpose,
          app: message.appName,
          client: message.clientId,
          reference: message.reference,
          expires_at: message.expiresAt.toISOString(),
          created: new Date(created).toISOString(),
        };
        // 'wx': never follow or replace an existing file (or a planted symlink).
        await writeFile(json, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
        await writeFile(eml, `${headers.join('\r\n')}\r\n\r\n${body}`, { mode: 0o600, flag: 'wx' });
        logger.info(
          {
            event: 'delivery.outbox',
            channel: message.channel,
            to,
            purpose: message.purpose,
            file: eml,
            json,
          },
          `code message written to ${eml} (dev outbox: open the file to read the code)`,
        );
        return { ok: true, id, attempts: 1 };
      } catch (caught) {
        const err = caught as NodeJS.ErrnoException;
        logger.error(
          {
            event: 'delivery.failed',
            channel: message.channel,
            to,
            transport: 'outbox',
            dir: folder,
            error_code: err.code,
          },
          `cannot write to the outbox: ${err.message}`,
        );
        return { ok: false, error: 'unreachable', attempts: 1 };
      }
    },
  };
}
