/** User-facing messages of the passkey factor, by failure code. */
export const WEBAUTHN_MESSAGES = {
  invalid_code: 'That passkey could not be verified. Try again, or use another method.',
  replayed_code:
    'That passkey answer was refused. If this keeps happening, remove the passkey and add it again.',
  expired_code: 'The passkey request expired. Try again.',
  not_enrolled: 'That passkey is not registered for your account.',
  malformed_code: 'Your browser did not send a passkey answer. Passkeys need JavaScript.',
  NOT_ALLOWED: 'This kind of authenticator is not allowed here. Use another one.',
} as const;
