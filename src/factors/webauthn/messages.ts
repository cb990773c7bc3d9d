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

/**
 * The passkey factor's own catalogues (see `Factor.catalogues`): its label and messages in the
 * other shipped languages; English pages use the label and {@link WEBAUTHN_MESSAGES}.
 */
export const WEBAUTHN_CATALOGUES: Readonly<
  Record<string, Readonly<Record<keyof typeof WEBAUTHN_MESSAGES | 'label', string>>>
> = {
  de: {
    label: 'Passkey',
    invalid_code:
      'Dieser Passkey konnte nicht geprüft werden. Versuchen Sie es erneut oder verwenden Sie eine andere Methode.',
    replayed_code:
      'Diese Passkey-Antwort wurde abgelehnt. Wenn das wieder passiert, entfernen Sie den Passkey und fügen Sie ihn neu hinzu.',
    expired_code: 'Die Passkey-Anfrage ist abgelaufen. Versuchen Sie es erneut.',
    not_enrolled: 'Dieser Passkey ist für Ihr Konto nicht registriert.',
    malformed_code:
      'Es kam keine Passkey-Antwort: Die Anfrage wurde abgebrochen oder ist abgelaufen, oder JavaScript ist aus. Versuchen Sie es erneut oder wählen Sie einen anderen Weg.',
    NOT_ALLOWED: 'Diese Art von Authenticator ist hier nicht erlaubt. Verwenden Sie einen anderen.',
  },
  fr: {
    label: 'Clé d’accès',
    invalid_code: 'Cette clé d’accès n’a pas pu être vérifiée. Réessayez, ou utilisez une autre méthode.',
    replayed_code:
      'Cette réponse de clé d’accès a été refusée. Si cela se reproduit, supprimez la clé d’accès et ajoutez-la à nouveau.',
    expired_code: 'La demande de clé d’accès a expiré. Réessayez.',
    not_enrolled: 'Cette clé d’accès n’est pas enregistrée pour votre compte.',
    malformed_code:
      'Aucune réponse de clé d’accès n’est revenue : la demande a été annulée ou a expiré, ou JavaScript est désactivé. Réessayez, ou choisissez un autre moyen.',
    NOT_ALLOWED: 'Ce type d’authentificateur n’est pas autorisé ici. Utilisez-en un autre.',
  },
  es: {
    label: 'Llave de acceso',
    invalid_code: 'No se pudo verificar esa llave de acceso. Inténtalo de nuevo o usa otro método.',
    replayed_code:
      'Se rechazó esa respuesta de la llave de acceso. Si vuelve a pasar, elimina la llave de acceso y añádela de nuevo.',
    expired_code: 'La solicitud de la llave de acceso caducó. Inténtalo de nuevo.',
    not_enrolled: 'Esa llave de acceso no está registrada para tu cuenta.',
    malformed_code:
      'No llegó ninguna respuesta de la llave de acceso: la solicitud se canceló o caducó, o JavaScript está desactivado. Inténtalo de nuevo o usa otra forma.',
    NOT_ALLOWED: 'Este tipo de autenticador no está permitido aquí. Usa otro.',
  },
};
