import QRCode from 'qrcode';
import type { OtpAlgorithm } from './otp.ts';
import { base32Encode } from './otp.ts';

/** What goes into a TOTP key URI. */
export interface KeyUriInput {
  /** Service name shown in the app; must not contain ":". */
  issuer: string;
  /** Account name shown in the app (the username); any ":" is removed. */
  account: string;
  secret: Uint8Array;
  algorithm: OtpAlgorithm;
  digits: number;
  /** Seconds. */
  period: number;
}

/**
 * The Google Authenticator key URI:
 * `otpauth://totp/ISSUER:ACCOUNT?secret=BASE32&issuer=ISSUER&algorithm=SHA1&digits=6&period=30`.
 *
 * ":" separates issuer from account in the label, so neither may contain one. The issuer comes
 * from configuration, where the schema already refuses ":" — a ":" here is a programming error
 * and throws. The account is a username: its ":" characters are dropped rather than failing
 * the user's enrolment, since the label is only shown, never parsed back by us.
 */
export function keyUri(input: KeyUriInput): string {
  if (input.issuer.includes(':')) throw new TypeError('key URI: the issuer must not contain ":"');
  const account = input.account.replaceAll(':', '');
  if (input.issuer.trim() === '' || account.trim() === '') {
    throw new TypeError('key URI: issuer and account must not be empty');
  }
  const issuer = encodeURIComponent(input.issuer);
  const query = [
    `secret=${base32Encode(input.secret)}`,
    `issuer=${issuer}`,
    `algorithm=${input.algorithm}`,
    `digits=${input.digits}`,
    `period=${input.period}`,
  ].join('&');
  return `otpauth://totp/${issuer}:${encodeURIComponent(account)}?${query}`;
}

/** Accessible name of the QR code image. */
export const QR_LABEL = 'QR code to scan with your authenticator app';

/**
 * The key URI as an inline SVG QR code (no script, no external image: fits the page CSP),
 * marked `role="img"` with an accessible name.
 */
export async function qrSvg(uri: string, label: string = QR_LABEL): Promise<string> {
  const svg = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 1, width: 200 });
  const safeLabel = label.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return svg.trim().replace(/^<svg\b/, `<svg role="img" aria-label="${safeLabel}"`);
}
