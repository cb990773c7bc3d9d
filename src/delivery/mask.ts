/**
 * Masks an email address or phone number for logs and screens: enough to tell addresses
 * apart, too little to contact anyone.
 *
 * `alice@example.com` → `a***@example.com`; `+15551234567` → `+1******4567`.
 */
export function maskAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at >= 0) {
    // The domain stays readable: operators need it to see which provider bounced a message.
    return `${address.slice(0, Math.min(1, at))}***${address.slice(at)}`;
  }
  const visible = address.length >= 10 ? 2 : 0;
  if (address.length <= 6) return '*'.repeat(address.length);
  return `${address.slice(0, visible)}${'*'.repeat(address.length - visible - 4)}${address.slice(-4)}`;
}
