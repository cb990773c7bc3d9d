/**
 * Delivery of one-time codes to an address: email over SMTP, a file outbox for the demo, or a
 * signed webhook (SMS, or any provider). One interface, so the email/SMS factors and the OTP
 * API never know which transport is configured.
 */

/** Where a code goes. */
export type Channel = 'email' | 'sms';

/**
 * Why the code is sent; shown in messages and passed to webhooks. `password_reset`: the
 * "Forgot password?" code (src/accounts/password-reset.ts).
 */
export type Purpose = 'login' | 'enrolment' | 'verification' | 'password_reset';

/** One code to deliver. The code is in here and must never be logged. */
export interface CodeMessage {
  channel: Channel;
  /** Email address or E.164 phone number. */
  to: string;
  code: string;
  purpose: Purpose;
  /** Name of the app the user signs in to (or the calling service, for the OTP API). */
  appName: string;
  /** Client id, for webhooks and logs. */
  clientId: string;
  /** BCP 47 tag. @default "en" */
  locale: string;
  expiresAt: Date;
  /** Stable id of this OTP session: webhook retries and resends reuse it for idempotency. */
  reference: string;
}

/** Stable reasons a delivery failed; the user sees a message for each, never a 500. */
export type DeliveryError = 'timeout' | 'unreachable' | 'rejected' | 'expired' | 'not_configured';

export type DeliveryResult =
  | { ok: true; id: string; attempts: number }
  | { ok: false; error: DeliveryError; attempts: number };

/** A transport for one channel. */
export interface Delivery {
  send(message: CodeMessage): Promise<DeliveryResult>;
}

/** The configured transports, by channel (a channel without one cannot be used). */
export type Deliveries = Partial<Record<Channel, Delivery>>;
