import type { Catalogue } from './en.ts';

/** Español. */
export const es = {
  'page.footer': 'Protegido por {name}',
  'common.cancel': 'Cancelar',
  'common.verify': 'Verificar',
  'common.continue': 'Continuar',
  'common.code': 'Código',
  'common.digitCode': 'Código de {digits} dígitos',
  'common.otherMethods': 'Usar otro método',
  'common.rememberBrowser_one': 'Recordar este navegador durante {count} día',
  'common.rememberBrowser_other': 'Recordar este navegador durante {count} días',
  'common.validFor_one': 'Es válido durante {count} minuto.',
  'common.validFor_other': 'Es válido durante {count} minutos.',
  'common.thisApplication': 'esta aplicación',
  'common.anApplication': 'Una aplicación',
  'common.startAgain': 'Empezar de nuevo',
  'common.signInAgain': 'Volver a iniciar sesión',
  'common.backTo': 'Volver a {app}',
  'common.backToAccount': 'Volver a tu cuenta',
  'common.goToAccount': 'Ir a tu cuenta',

  'login.title': 'Iniciar sesión',
  'login.heading': 'Iniciar sesión en {app}',
  'login.lead': 'Introduce tu nombre de usuario y tu contraseña para continuar.',
  'login.leadPasswordOnly':
    'Tu llave de acceso fue aceptada. Introduce tu contraseña para terminar de iniciar sesión.',
  'login.username': 'Nombre de usuario',
  'login.password': 'Contraseña',
  'login.submit': 'Iniciar sesión',
  'login.failed': 'Nombre de usuario o contraseña incorrectos.',
  'login.locked': 'Demasiados intentos. Vuelve a intentarlo después de las {time} UTC.',
  'login.unknownPasskey':
    'Esta llave de acceso no está registrada aquí. Puede que se haya eliminado. Inicia sesión con tu contraseña.',

  'consent.title': 'Autorizar',
  'consent.heading': '{app} quiere acceder a tu cuenta',
  'consent.signedInAs': 'Sesión iniciada como **{name}**',
  'consent.scopesHeading': 'Esto permitirá a {app}:',
  'consent.claimsHeading': 'También recibirá:',
  'consent.nothing': 'Solo sabrá que has iniciado sesión.',
  'consent.trust': 'Permite solo aplicaciones de confianza.',
  'consent.allow': 'Permitir',
  'consent.deny': 'Denegar',
  'scope.openid': 'Iniciar tu sesión con tu cuenta',
  'scope.profile': 'Tu nombre y nombre de usuario',
  'scope.email': 'Tu dirección de correo electrónico',
  'scope.phone': 'Tu número de teléfono',
  'scope.groups': 'Los grupos a los que perteneces',
  'scope.offline_access': 'Seguir conectada cuando no la usas',

  'error.title': 'Algo salió mal',
  'error.code': 'Código de error: {code}',
  'error.status': '(HTTP {status})',
  'error.generic': 'Algo salió mal por nuestra parte. Vuelve a intentarlo.',
  'errors.invalid_request': 'No se pudo entender la solicitud.',
  'errors.invalid_csrf_token':
    'Este formulario ha caducado o no lo envió esta página. Vuelve atrás e inténtalo de nuevo.',
  'errors.interaction_not_found':
    'Este inicio de sesión ha caducado o ya terminó. Empieza de nuevo desde la aplicación.',
  'errors.request_too_large': 'El formulario enviado es demasiado grande.',
  'errors.unsupported_media_type': 'Esta página solo acepta formularios.',
  'errors.service_unavailable':
    'El servicio no está disponible por un momento. Vuelve a intentarlo en unos segundos.',
  'errors.server_error': 'Algo salió mal por nuestra parte. Vuelve a intentarlo.',
  'errors.access_denied': 'Se denegó el acceso.',
  'errors.invalid_client': 'Esta aplicación no es conocida aquí.',
  'errors.invalid_redirect_uri': 'Esta aplicación te envió a una dirección que no ha registrado.',
  'errors.session_not_found': 'Tu sesión ha caducado. Vuelve a iniciar sesión.',

  'logout.title': 'Cerrar sesión',
  'logout.heading': '¿Cerrar sesión en {host}?',
  'logout.asking': '{app} pide cerrar tu sesión.',
  'logout.meta':
    'Tendrás que volver a iniciar sesión la próxima vez que uses una aplicación que depende de {host}.',
  'logout.yes': 'Sí, cerrar sesión',
  'logout.no': 'No, seguir conectado',
  'logout.doneTitle': 'Sesión cerrada',
  'logout.done': 'Se ha cerrado tu sesión.',
  'logout.doneOf': 'Se ha cerrado tu sesión en {app}.',
  'logout.close': 'Ya puedes cerrar esta ventana.',

  'mfa.verifyTitle': 'Confirma que eres tú',
  'mfa.tooManyTitle': 'Demasiados códigos incorrectos',
  'mfa.tooManyMessage':
    'Este intento de inicio de sesión se ha detenido. Empieza de nuevo para tener otra oportunidad.',
  'mfa.otherNeededTitle': 'Se necesita otro método de inicio de sesión',
  'mfa.otherNeededMessage':
    '{app} solo acepta: {methods}. Configura uno en la página de tu cuenta y vuelve a iniciar sesión.',
  'mfa.noneOfYours': 'ninguno de tus métodos',
  'mfa.chooseTitle': 'Configurar un segundo factor',
  'mfa.chooseMessage': '{app} pide un segundo paso al iniciar sesión. Elige cómo:',
  'mfa.pausedTitle': 'Demasiados intentos',
  'mfa.pausedMessage_one':
    'Por tu seguridad, los códigos de inicio de sesión están en pausa para esta cuenta. Vuelve a intentarlo después de las {time} UTC (en unos {count} minuto).',
  'mfa.pausedMessage_other':
    'Por tu seguridad, los códigos de inicio de sesión están en pausa para esta cuenta. Vuelve a intentarlo después de las {time} UTC (en unos {count} minutos).',
  'mfa.attemptsLeft_one': 'Queda {count} intento.',
  'mfa.attemptsLeft_other': 'Quedan {count} intentos.',
  'enrol.setUp': 'Configurar: {factor}',
  'enrol.saveBackup': 'Guarda tus {factor}',

  'failure.invalid_code': 'Ese código no es correcto.',
  'failure.replayed_code': 'Ese código ya se usó. Espera al siguiente.',
  'failure.expired_code': 'Ese código ha caducado. Pide uno nuevo.',
  'failure.not_enrolled': 'Este método no está configurado para tu cuenta.',
  'failure.malformed_code': 'Introduce el código tal como se muestra.',
  'failure.invalid_address': 'Introduce una dirección válida.',

  'factor.totp.label': 'Aplicación de autenticación',
  'factor.recovery.label': 'Código de recuperación',
  'factor.recovery.plural': 'códigos de recuperación',
  'factor.email.label': 'Código por correo',
  'factor.sms.label': 'Código por SMS',
  'factor.webauthn.label': 'Llave de acceso',

  'totp.challengeHeading': 'Introduce tu código de verificación',
  'totp.challengeLead':
    'Abre tu aplicación de autenticación e introduce el código de {digits} dígitos que muestra para {issuer}.',
  'totp.enrolHeading': 'Configurar una aplicación de autenticación',
  'totp.enrolLead':
    '{app} pide un segundo paso al iniciar sesión. Añade **{account}** a una aplicación de autenticación para obtener tus códigos.',
  'totp.scan': '1. Escanea este código QR con tu aplicación de autenticación',
  'totp.cantScan': '¿No puedes escanearlo? Introduce esta clave:',
  'totp.meta':
    'Cuenta: {account} · Emisor: {issuer} · Basado en tiempo, {digits} dígitos, cada {period} segundos, {algorithm}',
  'totp.showLink': 'Mostrar el enlace de configuración',
  'totp.verifyHeading': '2. Introduce el código de la aplicación',
  'totp.verifyHint':
    'Escribe el código de {digits} dígitos que muestra ahora la aplicación, para comprobar que está configurada.',

  'recovery.challengeHeading': 'Introduce un código de recuperación',
  'recovery.challengeLead':
    'Usa uno de los códigos de recuperación que guardaste para iniciar sesión en {app}. Cada código funciona una sola vez.',
  'recovery.codeLabel': 'Código de recuperación',
  'recovery.left_one': 'Queda {count} código',
  'recovery.left_other': 'Quedan {count} códigos',
  'recovery.saveHeading': 'Guarda tus códigos de recuperación',
  'recovery.saveLead':
    'Si pierdes el acceso a tu otro método de inicio de sesión, puedes usar uno de estos códigos. Cada código funciona una sola vez.',
  'recovery.saveOnce':
    'Solo se muestran ahora: guárdalos en un gestor de contraseñas, o descárgalos o imprímelos y guárdalos en un lugar seguro.',
  'recovery.listLabel': 'Tus {count} códigos de recuperación',
  'recovery.download': 'Descargar los códigos como archivo de texto',
  'recovery.saved': 'He guardado estos códigos',
  'recovery.lastHeading': 'Has usado tu último código de recuperación',
  'recovery.lastLead':
    'No te quedan códigos de recuperación. Crea un nuevo juego ahora, para poder iniciar sesión si pierdes tu otro método.',
  'recovery.lastOnce':
    'Los códigos nuevos se muestran una vez, en la página siguiente. Ten preparado un lugar seguro para guardarlos.',
  'recovery.create': 'Crear códigos nuevos',
  'recovery.notNow': 'Ahora no',
  'pending.heading': 'Guarda tus {backup}',
  'pending.added': '{factor} está configurado.',
  'pending.lead': 'Queda un paso: tus {backup}.',
  'pending.explain':
    'Se mostraron una vez, en la página anterior, y no se guardan en texto claro en ningún sitio, así que no se pueden volver a mostrar. Si los guardaste, confírmalo. Si no, obtén un juego nuevo: los códigos mostrados antes dejarán de funcionar.',
  'pending.confirm': 'He guardado los {backup} mostrados antes',
  'pending.newCodes': 'Mostrar códigos nuevos',

  'address.challengeHeading': 'Introduce el código que enviamos',
  'address.sentTo': 'Enviamos un código a **{to}**.',
  'address.resend': 'Enviar un código nuevo',
  'address.confirm': 'Confirmar',
  'address.change': 'Cambiar {noun}',
  'address.enrolHeading': 'Añade tu {noun}',
  'address.enrolLead':
    '{app} enviará un código a este {noun} cuando inicies sesión. Primero enviamos uno ahora, para comprobar que es tuyo.',
  'address.emailLabel': 'Dirección de correo electrónico',
  'address.phoneLabel': 'Número de móvil (con prefijo del país, p. ej. +34612345678)',
  'address.send': 'Enviar código',
  'address.yourNoun': 'tu {noun}',
  'address.noun.email': 'correo electrónico',
  'address.noun.sms': 'número de móvil',

  'email.login.subject': 'Tu código de inicio de sesión para {app}',
  'email.login.heading': 'Tu código de inicio de sesión',
  'email.login.intro': 'Introduce este código para terminar de iniciar sesión en {app}.',
  'email.enrolment.subject': 'Confirma esta dirección para {app}',
  'email.enrolment.heading': 'Confirma esta dirección',
  'email.enrolment.intro':
    'Introduce este código para confirmar esta dirección, para que {app} pueda enviarte códigos de inicio de sesión.',
  'email.verification.subject': 'Tu código de verificación para {app}',
  'email.verification.heading': 'Tu código de verificación',
  'email.verification.intro': 'Introduce este código en {app} para verificar que eres tú.',
  'email.password_reset.subject': 'Restablece tu contraseña para {app}',
  'email.password_reset.heading': 'Restablecer tu contraseña',
  'email.password_reset.intro':
    'Introduce este código en la página de restablecimiento para elegir una contraseña nueva para {app}.',
  'email.expires_one': 'Este código caduca en **{count} minuto**.',
  'email.expires_other': 'Este código caduca en **{count} minutos**.',
  'email.noShare': 'No lo compartas: {app} nunca te lo pedirá.',
  'email.ignore': 'Si no lo has pedido tú, ignora este correo.',
  'email.notYou': 'Si no intentaste iniciar sesión, puede que alguien conozca tu contraseña: cámbiala.',
  'sms.text_one': '{code} es tu código de {app}. Caduca en {count} minuto.',
  'sms.text_other': '{code} es tu código de {app}. Caduca en {count} minutos.',
} as const satisfies Catalogue;
