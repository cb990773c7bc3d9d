/** User-facing messages of the passkey factor, by failure code. */
export const WEBAUTHN_MESSAGES = {
  invalid_code: 'That passkey could not be verified. Try again, or use another method.',
  replayed_code:
    'That passkey answer was refused. If this keeps happening, remove the passkey and add it again.',
  expired_code: 'The passkey request expired. Try again.',
  not_enrolled: 'That passkey is not registered for your account.',
  malformed_code:
    'No passkey answer came back: the request was cancelled or timed out, or JavaScript is off. Try again, or use another way.',
  NOT_ALLOWED: 'This kind of authenticator is not allowed here. Use another one.',
} as const;
