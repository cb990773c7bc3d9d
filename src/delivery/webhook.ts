import { createHmac, randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { TollgateConfig } from '../config/schema.ts';
import { defaultI18n, type I18n } from '../i18n/index.ts';
import type { Logger } from '../log.ts';
import { maskAddress } from './mask.ts';
import { codeSubject, minutesLeft } from './smtp.ts';
import type { CodeMessage, Delivery, DeliveryError, DeliveryResult } from './types.ts';

/** A `webhook` block of the configuration (`delivery.sms.webhook`, `delivery.email.webhook`). */
export type WebhookConfig = NonNullable<TollgateConfig['delivery']['sms']>['webhook'];

/** Options of {@link createWebhookDelivery}; all of them exist for tests. */
export interface WebhookDeliveryOptions {
  /** Catalogues the message's `locale` picks from (`sms.text`, `email.*`). @default the shipped ones */
  i18n?: I18n;
  /** Clock in epoch ms, for expiry checks and `webhook-timestamp`. @default Date.now */
  now?: () => number;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  /** Waits between attempts. @default node:timers/promises setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** Uniform [0, 1) for the backoff jitter. @default Math.random */
  random?: () => number;
}

/** First backoff step; attempt n waits a random time in [0, BASE * 2^n). */
const BACKOFF_BASE_MS = 250;
/** Longest wait between attempts, Retry-After included. */
const BACKOFF_CAP_MS = 5_000;

/** The text an SMS (or chat) provider would send: code first, so phones can offer to copy it. */
export function codeText(message: CodeMessage, now: number = Date.now(), i18n: I18n = defaultI18n()): string {
  const minutes = minutesLeft(message.expiresAt, now);
  const app = message.appName.replace(/\p{Cc}+/gu, ' ').trim();
  const t = i18n.translator(message.locale || i18n.defaultLocale);
  return t('sms.text', { code: message.code, app, count: minutes });
}

/**
 * Standard Webhooks v1 signature: `v1,` + base64 HMAC-SHA256 over `id.timestamp.body`, keyed
 * with the base64-decoded part of the `whsec_` secret.
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/** How one attempt ended. */
type Attempt =
  | { kind: 'ok'; status: number }
  | { kind: 'retry'; error: DeliveryError; status?: number; retryAfterMs?: number; reason?: string }
  | { kind: 'stop'; error: DeliveryError; status?: number; reason?: string };

/** Numeric Retry-After in ms; HTTP dates are ignored (the backoff applies instead). */
function retryAfter(res: Response): number | undefined {
  const value = res.headers.get('retry-after')?.trim();
  return value && /^\d+$/.test(value) ? Number(value) * 1000 : undefined;
}

/**
 * Delivery by signed webhook (SMS gateways, email APIs, chat bots). Retries network errors,
 * timeouts, 429 and 5xx with exponential backoff and full jitter, and only while the code is
 * still valid; every attempt of one `send()` carries the same `webhook-id`, so the receiver
 * can drop duplicates. Redirects are not followed: the signed body goes to the configured URL
 * or nowhere.
 */
export function createWebhookDelivery(
  config: WebhookConfig,
  logger: Logger,
  options: WebhookDeliveryOptions = {},
): Delivery {
  const now = options.now ?? Date.now;
  const doFetch = options.fetch ?? fetch;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const random = options.random ?? Math.random;
  const target = new URL(config.url).host;

  async function attempt(id: string, body: string, message: CodeMessage): Promise<Attempt> {
    const timestamp = Math.floor(now() / 1000);
    const remaining = message.expiresAt.getTime() - now();
    // A code that arrives after it expired is useless: cut the attempt off at expiry.
    const limit = Math.max(1, Math.min(config.timeout_ms, remaining));
    try {
      const res = await doFetch(config.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'tollgate-webhook/1',
          'webhook-id': id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(config.secret, id, timestamp, body),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(limit),
      });
      // The answer's body is not needed; drop it so the connection can be reused or closed.
      await res.body?.cancel().catch(() => undefined);
      const status = res.status;
      if (status >= 200 && status < 300) return { kind: 'ok', status };
      if (status === 429 || status >= 500) {
        return { kind: 'retry', error: 'unreachable', status, retryAfterMs: retryAfter(res) };
      }
      return { kind: 'stop', error: 'rejected', status };
    } catch (caught) {
      const err = caught as Error & { cause?: { code?: string } };
      if (err.name === 'TimeoutError' || err.name === 'AbortError') {
        // A timeout shortened to the expiry means the code ran out, not the receiver's time.
        return limit < config.timeout_ms
          ? { kind: 'stop', error: 'expired', reason: 'timeout' }
          : { kind: 'retry', error: 'timeout', reason: 'timeout' };
      }
      return { kind: 'retry', error: 'unreachable', reason: err.cause?.code ?? err.message };
    }
  }

  return {
    async send(message: CodeMessage): Promise<DeliveryResult> {
      const started = now();
      const id = `msg_${randomBytes(16).toString('hex')}`;
      const base = {
        channel: message.channel,
        to: maskAddress(message.to),
        purpose: message.purpose,
        client: message.clientId,
        reference: message.reference,
        transport: 'webhook',
        target,
        webhook_id: id,
      };
      const body = JSON.stringify({
        type: 'otp.code',
        channel: message.channel,
        to: message.to,
        message: codeText(message, started, options.i18n),
        ...(message.channel === 'email' ? { subject: codeSubject(message, options.i18n) } : {}),
        code: message.code,
        locale: message.locale || 'en',
        purpose: message.purpose,
        expires_at: message.expiresAt.toISOString(),
        client: message.clientId,
        reference: message.reference,
      });
      const fail = (error: DeliveryError, attempts: number): DeliveryResult => {
        logger.warn(
          { event: 'delivery.failed', ...base, error, attempts, ms: now() - started },
          'code webhook failed',
        );
        return { ok: false, error, attempts };
      };

      for (let n = 1; ; n++) {
        if (now() >= message.expiresAt.getTime()) return fail('expired', n - 1);
        const t0 = now();
        const outcome = await attempt(id, body, message);
        const ms = now() - t0;
        if (outcome.kind === 'ok') {
          logger.info(
            { event: 'delivery.sent', ...base, status: outcome.status, attempts: n, ms: now() - started },
            'code webhook delivered',
          );
          return { ok: true, id, attempts: n };
        }
        const last = outcome.kind === 'stop' || n > config.max_retries;
        logger.warn(
          {
            event: 'delivery.attempt_failed',
            ...base,
            attempt: n,
            status: outcome.status,
            error: outcome.error,
            reason: outcome.reason,
            ms,
            retry: !last,
          },
          'code webhook attempt failed',
        );
        if (outcome.kind === 'stop' || last) return fail(outcome.error, n);
        const backoff = random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (n - 1));
        const wait = Math.min(BACKOFF_CAP_MS, outcome.retryAfterMs ?? backoff);
        // Stop now rather than sleep past the expiry only to give up then.
        if (now() + wait >= message.expiresAt.getTime()) return fail('expired', n);
        await sleep(wait);
      }
    },
  };
}
