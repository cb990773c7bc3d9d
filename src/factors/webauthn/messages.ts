/**
 * The passkey factor's own texts (see `Factor.catalogues`), the example of a factor plug-in that
 * ships its languages: its label, its messages by failure code and its own (`NOT_ALLOWED`, shown
 * as a `FactorMessage` key), and its pages' texts (`t('challenge.heading')` in its templates;
 * `remove.*` when its challenge page confirms a removal on /account).
 * Keys it lacks, such as `common.cancel`, come from tollgate's catalogue.
 */
const en = {
  label: 'Passkey',
  invalid_code: 'That passkey could not be verified. Try again, or use another method.',
  replayed_code:
    'That passkey answer was refused. If this keeps happening, remove the passkey and add it again.',
  expired_code: 'The passkey request expired. Try again.',
  not_enrolled: 'That passkey is not registered for your account.',
  malformed_code:
    'No passkey answer came back: the request was cancelled or timed out, or JavaScript is off. Try again, or use another way.',
  NOT_ALLOWED: 'This kind of authenticator is not allowed here. Use another one.',
  'challenge.heading': 'Use your passkey',
  'challenge.lead': 'Confirm it is you with the passkey you set up for {app}.',
  'challenge.noScript': 'Passkeys need JavaScript. Turn it on, or use another method below.',
  'challenge.submit': 'Use passkey',
  'enrol.heading': 'Add a passkey',
  'enrol.lead':
    "Use your device's screen lock, a security key or your password manager to create a passkey for {app}.",
  'enrol.noScript': 'Passkeys need JavaScript. Turn it on, or go back and choose another method.',
  'enrol.name': 'Name for this passkey',
  'enrol.namePlaceholder': 'My laptop',
  'enrol.submit': 'Create passkey',
  'signIn.submit': 'Sign in with a passkey',
  'signIn.noScript': 'Signing in with a passkey needs JavaScript; your password works without it.',
  'remove.offer': 'Confirm with a passkey',
  'remove.heading': 'Confirm with your passkey',
  'remove.lead': 'Use one of your passkeys to confirm that you want to remove {method}.',
} as const;

/** A key of the passkey factor's texts. */
export type WebauthnTextKey = keyof typeof en;

/** Every text of the passkey factor in each shipped language; English is also the fallback. */
export const WEBAUTHN_CATALOGUES: Readonly<Record<string, Readonly<Record<WebauthnTextKey, string>>>> = {
  en,
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
    'challenge.heading': 'Passkey verwenden',
    'challenge.lead':
      'Bestätigen Sie mit dem Passkey, den Sie für {app} eingerichtet haben, dass Sie es sind.',
    'challenge.noScript':
      'Passkeys brauchen JavaScript. Schalten Sie es ein oder verwenden Sie unten eine andere Methode.',
    'challenge.submit': 'Passkey verwenden',
    'enrol.heading': 'Passkey hinzufügen',
    'enrol.lead':
      'Erstellen Sie mit der Displaysperre Ihres Geräts, einem Sicherheitsschlüssel oder Ihrem Passwortmanager einen Passkey für {app}.',
    'enrol.noScript':
      'Passkeys brauchen JavaScript. Schalten Sie es ein oder gehen Sie zurück und wählen Sie eine andere Methode.',
    'enrol.name': 'Name für diesen Passkey',
    'enrol.namePlaceholder': 'Mein Laptop',
    'enrol.submit': 'Passkey erstellen',
    'signIn.submit': 'Mit einem Passkey anmelden',
    'signIn.noScript':
      'Die Anmeldung mit einem Passkey braucht JavaScript; Ihr Passwort funktioniert auch ohne.',
    'remove.offer': 'Mit einem Passkey bestätigen',
    'remove.heading': 'Mit Ihrem Passkey bestätigen',
    'remove.lead': 'Bestätigen Sie mit einem Ihrer Passkeys, dass Sie {method} entfernen möchten.',
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
    'challenge.heading': 'Utilisez votre clé d’accès',
    'challenge.lead': 'Confirmez que c’est bien vous avec la clé d’accès configurée pour {app}.',
    'challenge.noScript':
      'Les clés d’accès ont besoin de JavaScript. Activez-le, ou utilisez une autre méthode ci-dessous.',
    'challenge.submit': 'Utiliser la clé d’accès',
    'enrol.heading': 'Ajouter une clé d’accès',
    'enrol.lead':
      'Utilisez le verrouillage d’écran de votre appareil, une clé de sécurité ou votre gestionnaire de mots de passe pour créer une clé d’accès pour {app}.',
    'enrol.noScript':
      'Les clés d’accès ont besoin de JavaScript. Activez-le, ou revenez en arrière et choisissez une autre méthode.',
    'enrol.name': 'Nom de cette clé d’accès',
    'enrol.namePlaceholder': 'Mon ordinateur portable',
    'enrol.submit': 'Créer la clé d’accès',
    'signIn.submit': 'Se connecter avec une clé d’accès',
    'signIn.noScript':
      'La connexion avec une clé d’accès a besoin de JavaScript ; votre mot de passe fonctionne sans.',
    'remove.offer': 'Confirmer avec une clé d’accès',
    'remove.heading': 'Confirmez avec votre clé d’accès',
    'remove.lead': 'Confirmez avec l’une de vos clés d’accès que vous voulez supprimer {method}.',
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
    'challenge.heading': 'Usa tu llave de acceso',
    'challenge.lead': 'Confirma que eres tú con la llave de acceso que configuraste para {app}.',
    'challenge.noScript':
      'Las llaves de acceso necesitan JavaScript. Actívalo o usa otro método de los de abajo.',
    'challenge.submit': 'Usar llave de acceso',
    'enrol.heading': 'Añadir una llave de acceso',
    'enrol.lead':
      'Usa el bloqueo de pantalla de tu dispositivo, una llave de seguridad o tu gestor de contraseñas para crear una llave de acceso para {app}.',
    'enrol.noScript':
      'Las llaves de acceso necesitan JavaScript. Actívalo, o vuelve atrás y elige otro método.',
    'enrol.name': 'Nombre de esta llave de acceso',
    'enrol.namePlaceholder': 'Mi portátil',
    'enrol.submit': 'Crear llave de acceso',
    'signIn.submit': 'Iniciar sesión con una llave de acceso',
    'signIn.noScript':
      'Iniciar sesión con una llave de acceso necesita JavaScript; tu contraseña funciona sin él.',
    'remove.offer': 'Confirmar con una llave de acceso',
    'remove.heading': 'Confirma con tu llave de acceso',
    'remove.lead': 'Confirma con una de tus llaves de acceso que quieres eliminar {method}.',
  },
};
