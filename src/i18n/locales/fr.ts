import type { Catalogue } from './en.ts';

/** Français. */
export const fr = {
  'page.footer': 'Sécurisé par {name}',
  'common.cancel': 'Annuler',
  'common.verify': 'Vérifier',
  'common.continue': 'Continuer',
  'common.code': 'Code',
  'common.digitCode': 'Code à {digits} chiffres',
  'common.otherMethods': 'Utiliser une autre méthode',
  'common.rememberBrowser_one': 'Se souvenir de ce navigateur pendant {count} jour',
  'common.rememberBrowser_other': 'Se souvenir de ce navigateur pendant {count} jours',
  'common.validFor_one': 'Il est valable {count} minute.',
  'common.validFor_other': 'Il est valable {count} minutes.',
  'common.thisApplication': 'cette application',
  'common.anApplication': 'Une application',
  'common.startAgain': 'Recommencer',
  'common.signInAgain': 'Se reconnecter',
  'common.backTo': 'Retour à {app}',
  'common.backToAccount': 'Retour à votre compte',
  'common.goToAccount': 'Aller à votre compte',

  'login.title': 'Connexion',
  'login.heading': 'Se connecter à {app}',
  'login.lead': 'Saisissez votre nom d’utilisateur et votre mot de passe pour continuer.',
  'login.leadPasswordOnly':
    'Votre clé d’accès a été acceptée. Saisissez votre mot de passe pour terminer la connexion.',
  'login.username': 'Nom d’utilisateur',
  'login.password': 'Mot de passe',
  'login.submit': 'Se connecter',
  'login.failed': 'Nom d’utilisateur ou mot de passe incorrect.',
  'login.locked': 'Trop de tentatives. Réessayez après {time} UTC.',
  'login.unknownPasskey':
    'Cette clé d’accès n’est pas enregistrée ici. Elle a peut-être été supprimée. Connectez-vous plutôt avec votre mot de passe.',

  'consent.title': 'Autoriser',
  'consent.heading': '{app} souhaite accéder à votre compte',
  'consent.signedInAs': 'Connecté en tant que **{name}**',
  'consent.scopesHeading': 'Cela permettra à {app} de :',
  'consent.claimsHeading': 'Elle recevra aussi :',
  'consent.nothing': 'Elle saura seulement que vous êtes connecté.',
  'consent.trust': 'N’autorisez que les applications de confiance.',
  'consent.allow': 'Autoriser',
  'consent.deny': 'Refuser',
  'scope.openid': 'Vous connecter avec votre compte',
  'scope.profile': 'Votre nom et votre nom d’utilisateur',
  'scope.email': 'Votre adresse e-mail',
  'scope.phone': 'Votre numéro de téléphone',
  'scope.groups': 'Les groupes dont vous faites partie',
  'scope.offline_access': 'Rester connectée quand vous ne l’utilisez pas',

  'error.title': 'Un problème est survenu',
  'error.code': 'Code d’erreur : {code}',
  'error.status': '(HTTP {status})',
  'error.generic': 'Un problème est survenu de notre côté. Veuillez réessayer.',
  'errors.invalid_request': 'La requête n’a pas pu être comprise.',
  'errors.invalid_csrf_token':
    'Ce formulaire a expiré ou n’a pas été envoyé par cette page. Revenez en arrière et réessayez.',
  'errors.interaction_not_found':
    'Cette connexion a expiré ou est déjà terminée. Recommencez depuis l’application.',
  'errors.request_too_large': 'Le formulaire envoyé est trop volumineux.',
  'errors.unsupported_media_type': 'Cette page n’accepte que des formulaires.',
  'errors.service_unavailable':
    'Le service est momentanément indisponible. Réessayez dans quelques secondes.',
  'errors.server_error': 'Un problème est survenu de notre côté. Veuillez réessayer.',
  'errors.access_denied': 'L’accès a été refusé.',
  'errors.invalid_client': 'Cette application n’est pas connue ici.',
  'errors.invalid_redirect_uri':
    'Cette application vous a envoyé vers une adresse qu’elle n’a pas enregistrée.',
  'errors.session_not_found': 'Votre session a expiré. Reconnectez-vous.',

  'logout.title': 'Déconnexion',
  'logout.heading': 'Se déconnecter de {host} ?',
  'logout.asking': '{app} demande à vous déconnecter.',
  'logout.meta':
    'Vous devrez vous reconnecter la prochaine fois que vous utiliserez une application qui s’appuie sur {host}.',
  'logout.yes': 'Oui, me déconnecter',
  'logout.no': 'Non, rester connecté',
  'logout.doneTitle': 'Déconnecté',
  'logout.done': 'Vous avez été déconnecté.',
  'logout.doneOf': 'Vous avez été déconnecté de {app}.',
  'logout.close': 'Vous pouvez fermer cette fenêtre.',

  'mfa.verifyTitle': 'Confirmez votre identité',
  'mfa.tooManyTitle': 'Trop de codes erronés',
  'mfa.tooManyMessage':
    'Cette tentative de connexion a été arrêtée. Recommencez pour avoir une nouvelle chance.',
  'mfa.otherNeededTitle': 'Une autre méthode de connexion est nécessaire',
  'mfa.otherNeededMessage':
    '{app} n’accepte que : {methods}. Configurez-en une sur la page de votre compte, puis reconnectez-vous.',
  'mfa.noneOfYours': 'aucune de vos méthodes',
  'mfa.chooseTitle': 'Configurer un second facteur',
  'mfa.chooseMessage': '{app} demande une seconde étape à la connexion. Choisissez comment :',
  'mfa.pausedTitle': 'Trop de tentatives',
  'mfa.pausedMessage_one':
    'Pour votre sécurité, les codes de connexion sont suspendus pour ce compte. Réessayez après {time} UTC (dans environ {count} minute).',
  'mfa.pausedMessage_other':
    'Pour votre sécurité, les codes de connexion sont suspendus pour ce compte. Réessayez après {time} UTC (dans environ {count} minutes).',
  'mfa.attemptsLeft_one': 'Encore {count} essai.',
  'mfa.attemptsLeft_other': 'Encore {count} essais.',
  'enrol.setUp': 'Configurer : {factor}',
  'enrol.saveBackup': 'Enregistrez vos {factor}',

  'failure.invalid_code': 'Ce code est incorrect.',
  'failure.replayed_code': 'Ce code a déjà été utilisé. Attendez le suivant.',
  'failure.expired_code': 'Ce code a expiré. Demandez-en un nouveau.',
  'failure.not_enrolled': 'Cette méthode n’est pas configurée pour votre compte.',
  'failure.malformed_code': 'Saisissez le code exactement comme il est affiché.',
  'failure.invalid_address': 'Saisissez une adresse valide.',

  'factor.totp.label': 'Application d’authentification',
  'factor.recovery.label': 'Code de récupération',
  'factor.recovery.plural': 'codes de récupération',
  'factor.email.label': 'Code par e-mail',
  'factor.sms.label': 'Code par SMS',
  'factor.webauthn.label': 'Clé d’accès',
  'factor.totp.invalid_code': 'Ce code est incorrect. Vérifiez l’heure de votre appareil et réessayez.',
  'factor.totp.expired_code':
    'Cette page de configuration a expiré. Scannez la nouvelle clé et saisissez son code.',
  'factor.recovery.invalid_code': 'Ce code de récupération est incorrect.',
  'factor.recovery.replayed_code':
    'Ce code de récupération a déjà été utilisé. Chaque code ne fonctionne qu’une fois.',
  'factor.recovery.malformed_code':
    'Saisissez le code exactement comme il est imprimé (16 lettres et chiffres).',
  'factor.recovery.confirmRequired':
    'Cochez « J’ai enregistré ces codes » pour continuer. Pour votre sécurité, ce sont de nouveaux codes : ceux affichés avant ne fonctionnent plus.',

  'totp.challengeHeading': 'Saisissez votre code de vérification',
  'totp.challengeLead':
    'Ouvrez votre application d’authentification et saisissez le code à {digits} chiffres qu’elle affiche pour {issuer}.',
  'totp.enrolHeading': 'Configurer une application d’authentification',
  'totp.enrolLead':
    '{app} demande une seconde étape à la connexion. Ajoutez **{account}** à une application d’authentification pour obtenir vos codes.',
  'totp.scan': '1. Scannez ce code QR avec votre application d’authentification',
  'totp.cantScan': 'Impossible de scanner ? Saisissez cette clé :',
  'totp.meta':
    'Compte : {account} · Émetteur : {issuer} · Basé sur le temps, {digits} chiffres, toutes les {period} secondes, {algorithm}',
  'totp.showLink': 'Afficher le lien de configuration',
  'totp.verifyHeading': '2. Saisissez le code de l’application',
  'totp.verifyHint':
    'Saisissez le code à {digits} chiffres que l’application affiche maintenant, pour vérifier la configuration.',

  'recovery.challengeHeading': 'Saisissez un code de récupération',
  'recovery.challengeLead':
    'Utilisez l’un des codes de récupération enregistrés pour vous connecter à {app}. Chaque code ne fonctionne qu’une fois.',
  'recovery.codeLabel': 'Code de récupération',
  'recovery.left_one': '{count} code restant',
  'recovery.left_other': '{count} codes restants',
  'recovery.saveHeading': 'Enregistrez vos codes de récupération',
  'recovery.saveLead':
    'Si vous perdez l’accès à votre autre méthode de connexion, vous pouvez utiliser l’un de ces codes. Chaque code ne fonctionne qu’une fois.',
  'recovery.saveOnce':
    'Ils ne sont affichés que maintenant : enregistrez-les dans un gestionnaire de mots de passe, ou téléchargez-les ou imprimez-les et gardez-les en lieu sûr.',
  'recovery.listLabel': 'Vos {count} codes de récupération',
  'recovery.download': 'Télécharger les codes dans un fichier texte',
  'recovery.saved': 'J’ai enregistré ces codes',
  'recovery.file':
    'Codes de récupération de {username} pour {app}, créés le {date}. Chaque code ne fonctionne qu’une fois.',
  'recovery.lastHeading': 'Vous avez utilisé votre dernier code de récupération',
  'recovery.lastLead':
    'Il ne vous reste aucun code de récupération. Créez-en de nouveaux maintenant, pour pouvoir vous connecter si vous perdez votre autre méthode.',
  'recovery.lastOnce':
    'Les nouveaux codes sont affichés une fois, sur la page suivante. Préparez un endroit sûr pour les garder.',
  'recovery.create': 'Créer de nouveaux codes',
  'recovery.notNow': 'Pas maintenant',
  'pending.heading': 'Enregistrez vos {backup}',
  'pending.added': '{factor} est configuré.',
  'pending.lead': 'Il reste une étape : vos {backup}.',
  'pending.explain':
    'Ils ont été affichés une fois, sur la page précédente, et ne sont conservés nulle part en clair : ils ne peuvent pas être affichés à nouveau. Si vous les avez enregistrés, confirmez-le. Sinon, obtenez-en de nouveaux : les codes affichés avant cesseront de fonctionner.',
  'pending.confirm': 'J’ai enregistré les {backup} affichés avant',
  'pending.newCodes': 'Afficher de nouveaux codes',

  'address.challengeHeading': 'Saisissez le code envoyé',
  'address.sentTo': 'Nous avons envoyé un code à **{to}**.',
  'address.resend': 'Envoyer un nouveau code',
  'address.confirm': 'Confirmer',
  'address.change': 'Modifier : {noun}',
  'address.enrolHeading': 'Ajouter : {noun}',
  'address.enrolLead':
    '{app} enverra un code à cette adresse ({noun}) à la connexion. Nous en envoyons d’abord un maintenant, pour vérifier qu’elle est à vous.',
  'address.emailLabel': 'Adresse e-mail',
  'address.phoneLabel': 'Numéro de mobile (avec l’indicatif du pays, par ex. +33612345678)',
  'address.send': 'Envoyer le code',
  'address.yourNoun': 'votre {noun}',
  'address.noun.email': 'adresse e-mail',
  'address.noun.sms': 'numéro de mobile',
  'address.invalid.email': 'Saisissez une adresse e-mail valide, par exemple nom@example.com.',
  'address.invalid.sms':
    'Saisissez un numéro de mobile valide avec son indicatif pays, par exemple +33612345678.',
  'address.enrolExpired.email':
    'Ce code a expiré. Saisissez de nouveau votre adresse e-mail pour en recevoir un nouveau.',
  'address.enrolExpired.sms':
    'Ce code a expiré. Saisissez de nouveau votre numéro de mobile pour en recevoir un nouveau.',
  'address.resent': 'Un nouveau code est en route.',
  'address.wait_one': 'Attendez {count} seconde avant de demander un autre code.',
  'address.wait_other': 'Attendez {count} secondes avant de demander un autre code.',
  'address.tooManySends': 'Trop de codes ont été envoyés. Réessayez plus tard.',
  'address.noMoreCodes': 'Aucun autre code ne peut être envoyé pour cette connexion. Recommencez plus tard.',
  'address.delivery.timeout':
    'Nous n’avons pas pu envoyer le code pour le moment (le service n’a pas répondu). Réessayez dans un instant.',
  'address.delivery.unreachable':
    'Nous n’avons pas pu envoyer le code pour le moment. Réessayez dans un instant.',
  'address.delivery.rejected':
    'Le code n’a pas pu être remis à cette adresse. Vérifiez-la, ou utilisez une autre méthode.',
  'address.delivery.expired': 'Le code a expiré avant de pouvoir être remis. Demandez-en un nouveau.',
  'address.delivery.not_configured':
    'L’envoi de codes n’est pas configuré sur ce serveur. Utilisez une autre méthode.',

  'email.login.subject': 'Votre code de connexion pour {app}',
  'email.login.heading': 'Votre code de connexion',
  'email.login.intro': 'Saisissez ce code pour terminer la connexion à {app}.',
  'email.enrolment.subject': 'Confirmez cette adresse pour {app}',
  'email.enrolment.heading': 'Confirmez cette adresse',
  'email.enrolment.intro':
    'Saisissez ce code pour confirmer cette adresse, afin que {app} puisse vous envoyer des codes de connexion.',
  'email.verification.subject': 'Votre code de vérification pour {app}',
  'email.verification.heading': 'Votre code de vérification',
  'email.verification.intro': 'Saisissez ce code dans {app} pour confirmer votre identité.',
  'email.password_reset.subject': 'Réinitialisez votre mot de passe pour {app}',
  'email.password_reset.heading': 'Réinitialiser votre mot de passe',
  'email.password_reset.intro':
    'Saisissez ce code sur la page de réinitialisation pour choisir un nouveau mot de passe pour {app}.',
  'email.resetAfter':
    'Une fois le nouveau mot de passe choisi, vous vous connectez comme d’habitude, avec votre second facteur si vous en avez un.',
  'email.resetIgnore':
    'Si vous n’avez pas demandé à réinitialiser votre mot de passe, ignorez cet e-mail : votre mot de passe reste inchangé.',
  'email.expires_one': 'Ce code expire dans **{count} minute**.',
  'email.expires_other': 'Ce code expire dans **{count} minutes**.',
  'email.noShare': 'Ne le communiquez pas : {app} ne vous le demandera jamais.',
  'email.ignore': 'Si vous n’avez rien demandé, ignorez cet e-mail.',
  'email.notYou':
    'Si vous n’avez pas essayé de vous connecter, quelqu’un connaît peut-être votre mot de passe : changez-le.',
  'sms.text_one': '{code} est votre code {app}. Il expire dans {count} minute.',
  'sms.text_other': '{code} est votre code {app}. Il expire dans {count} minutes.',

  'account.title': 'Votre compte',
  'account.signedInAs': 'Connecté en tant que **{name}**.',
  'account.signedInAsEmail': 'Connecté en tant que **{name}** ({email}).',
  'account.methods': 'Méthodes de connexion',
  'account.passwordOnly':
    'Vous vous connectez uniquement avec votre mot de passe. Ajoutez un second facteur pour protéger votre compte.',
  'account.added': 'ajouté le {date}',
  'account.lastUsed': 'utilisé pour la dernière fois le {date}',
  'account.codesLeft_one': '{count} code restant',
  'account.codesLeft_other': '{count} codes restants',
  'account.remove': 'Supprimer',
  'account.sendCode': 'Envoyer un code ({method})',
  'account.confirmWithCode': 'Confirmez avec un code actuel.',
  'account.codeFrom': 'Code de',
  'account.removeMethod': 'Supprimer : {method}',
  'account.add': 'Ajouter : {method}',
  'account.createNew': 'Créer de nouveaux {backup}',
  'account.sessions': 'Où vous êtes connecté',
  'account.sessionsLabel': 'Vos sessions',
  'account.thisBrowser': '(ce navigateur)',
  'account.signedIn': 'connecté le {date} UTC',
  'account.signedInEarlier': 'connecté auparavant',
  'account.lastUsedUtc': 'utilisé pour la dernière fois le {date} UTC',
  'account.apps': 'Applications : {apps}',
  'account.endSession': 'Déconnecter cette session',
  'account.endOthers': 'Se déconnecter partout ailleurs',
  'account.unknownBrowser': 'Navigateur inconnu',
  'account.signOut': 'Se déconnecter',
  'account.password': 'Mot de passe',
  'account.currentPassword': 'Mot de passe actuel',
  'account.newPassword': 'Nouveau mot de passe',
  'account.newPasswordAgain': 'Nouveau mot de passe, à nouveau',
  'account.changePassword': 'Changer le mot de passe',
  'account.pwWrong': 'Votre mot de passe actuel est incorrect. Rien n’a été modifié.',
  'account.pwMismatch': 'Les deux nouveaux mots de passe ne sont pas identiques. Rien n’a été modifié.',
  'account.pwChanged': 'Votre mot de passe a été modifié.',
  'account.pwChangedEnded_one':
    'Votre mot de passe a été modifié, et {count} autre session a été déconnectée.',
  'account.pwChangedEnded_other':
    'Votre mot de passe a été modifié, et {count} autres sessions ont été déconnectées.',
  'account.setUp': '{factor} est configuré.',
  'account.setUpWithBackup': '{factor} est configuré, et vos {backup} sont enregistrés.',
  'account.renewed': 'Vos nouveaux {backup} sont enregistrés. Les précédents ne fonctionnent plus.',
  'account.codeSent': 'Un code est en route vers {to}.',
  'account.you': 'vous',
  'account.endedOthers_one': '{count} autre session déconnectée.',
  'account.endedOthers_other': '{count} autres sessions déconnectées.',
  'account.ended': 'Cette session a été déconnectée.',
  'account.alreadyEnded': 'Cette session était déjà terminée.',
  'account.confirmRemoval': 'Confirmez avec un code actuel de l’une de vos méthodes de connexion.',
  'account.tooManyRemoval': 'Trop de codes erronés. Réessayez plus tard ; rien n’a été supprimé.',
  'account.notRemoved': '{reason} ; rien n’a été supprimé.',
  'account.removed': '{method} a été supprimé.',
  'account.backupRemoved': 'Vos {backup} ont été supprimés.',
  'account.removedWithBackup': '{method} a été supprimé, ainsi que vos {backup}.',

  'reset.forgot': 'Mot de passe oublié ?',
  'reset.requestTitle': 'Réinitialiser votre mot de passe',
  'reset.requestLead':
    'Saisissez votre nom d’utilisateur pour {app}. Si votre compte a une adresse e-mail vérifiée, nous y envoyons un code pour définir un nouveau mot de passe.',
  'reset.send': 'Envoyer un code',
  'reset.back': 'Retour à la connexion',
  'reset.codeTitle': 'Saisissez le code',
  'reset.codeLead_one':
    'Si le compte a une adresse e-mail vérifiée, nous y avons envoyé un code. Il est valable {count} minute.',
  'reset.codeLead_other':
    'Si le compte a une adresse e-mail vérifiée, nous y avons envoyé un code. Il est valable {count} minutes.',
  'reset.noEmail': 'Pas d’e-mail ? Vérifiez vos courriers indésirables, ou **demandez un nouveau code**.',
  'reset.passwordTitle': 'Choisissez un nouveau mot de passe',
  'reset.passwordLead': 'Utilisez au moins {min} caractères. Le définir vous déconnecte partout ailleurs.',
  'reset.newPassword': 'Nouveau mot de passe',
  'reset.repeat': 'Répétez le nouveau mot de passe',
  'reset.set': 'Définir le mot de passe',
  'reset.askAgain': 'Demander un nouveau code',
  'reset.enterUsername': 'Saisissez votre nom d’utilisateur.',
  'reset.malformed': 'Saisissez le code exactement comme dans l’e-mail : uniquement des chiffres.',
  'reset.tooManyTitle': 'Trop de demandes',
  'reset.tooManyMessage':
    'Trop de réinitialisations de mot de passe ont été demandées. Réessayez après {time} UTC.',
  'reset.wrongCode_one': 'Ce code est incorrect. Encore {count} essai.',
  'reset.wrongCode_other': 'Ce code est incorrect. Encore {count} essais.',
  'reset.closedTitle': 'Trop de codes erronés',
  'reset.closedMessage': 'Ce code ne fonctionne plus. Demandez-en un nouveau.',
  'reset.expiredTitle': 'Ce code a expiré',
  'reset.expiredMessage': 'Demandez un nouveau code pour continuer.',
  'reset.mismatch': 'Les deux mots de passe ne correspondent pas.',
  'reset.invalidTitle': 'Cette réinitialisation n’est plus valable',
  'reset.invalidMessage': 'Elle a déjà été utilisée ou a expiré. Demandez un nouveau code pour continuer.',

  'password.tooShort': 'Utilisez au moins {min} caractères.',
  'password.tooLong': 'Utilisez au plus {max} caractères.',
} as const satisfies Catalogue;
