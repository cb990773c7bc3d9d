import type { Catalogue } from './en.ts';

/** Deutsch. */
export const de = {
  'page.footer': 'Gesichert durch {name}',
  'common.cancel': 'Abbrechen',
  'common.verify': 'Bestätigen',
  'common.continue': 'Weiter',
  'common.code': 'Code',
  'common.digitCode': '{digits}-stelliger Code',
  'common.otherMethods': 'Andere Methode verwenden',
  'common.rememberBrowser_one': 'Diesen Browser {count} Tag lang merken',
  'common.rememberBrowser_other': 'Diesen Browser {count} Tage lang merken',
  'common.validFor_one': 'Er ist {count} Minute lang gültig.',
  'common.validFor_other': 'Er ist {count} Minuten lang gültig.',
  'common.thisApplication': 'diese Anwendung',
  'common.anApplication': 'Eine Anwendung',
  'common.startAgain': 'Neu beginnen',
  'common.signInAgain': 'Erneut anmelden',
  'common.backTo': 'Zurück zu {app}',
  'common.backToAccount': 'Zurück zu Ihrem Konto',
  'common.goToAccount': 'Zu Ihrem Konto',

  'login.title': 'Anmelden',
  'login.heading': 'Bei {app} anmelden',
  'login.lead': 'Geben Sie Benutzernamen und Passwort ein, um fortzufahren.',
  'login.leadPasswordOnly':
    'Ihr Passkey wurde akzeptiert. Geben Sie Ihr Passwort ein, um die Anmeldung abzuschließen.',
  'login.username': 'Benutzername',
  'login.password': 'Passwort',
  'login.submit': 'Anmelden',
  'login.failed': 'Benutzername oder Passwort ist falsch.',
  'login.locked': 'Zu viele Versuche. Versuchen Sie es nach {time} UTC erneut.',
  'login.unknownPasskey':
    'Dieser Passkey ist hier nicht registriert. Vielleicht wurde er entfernt. Melden Sie sich stattdessen mit Ihrem Passwort an.',

  'consent.title': 'Zugriff erlauben',
  'consent.heading': '{app} möchte auf Ihr Konto zugreifen',
  'consent.signedInAs': 'Angemeldet als **{name}**',
  'consent.scopesHeading': 'Damit darf {app}:',
  'consent.claimsHeading': 'Außerdem erhält die Anwendung:',
  'consent.nothing': 'Die Anwendung erfährt nur, dass Sie angemeldet sind.',
  'consent.trust': 'Erlauben Sie nur Anwendungen, denen Sie vertrauen.',
  'consent.allow': 'Erlauben',
  'consent.deny': 'Ablehnen',
  'scope.openid': 'Sie mit Ihrem Konto anmelden',
  'scope.profile': 'Ihr Name und Benutzername',
  'scope.email': 'Ihre E-Mail-Adresse',
  'scope.phone': 'Ihre Telefonnummer',
  'scope.groups': 'Die Gruppen, zu denen Sie gehören',
  'scope.offline_access': 'Verbunden bleiben, auch wenn Sie sie nicht nutzen',

  'error.title': 'Etwas ist schiefgelaufen',
  'error.code': 'Fehlercode: {code}',
  'error.status': '(HTTP {status})',
  'error.generic': 'Bei uns ist etwas schiefgelaufen. Bitte versuchen Sie es erneut.',
  'errors.invalid_request': 'Die Anfrage konnte nicht verstanden werden.',
  'errors.invalid_csrf_token':
    'Dieses Formular ist abgelaufen oder wurde nicht von dieser Seite gesendet. Gehen Sie zurück und versuchen Sie es erneut.',
  'errors.interaction_not_found':
    'Diese Anmeldung ist abgelaufen oder wurde bereits abgeschlossen. Beginnen Sie erneut in der Anwendung.',
  'errors.request_too_large': 'Das gesendete Formular ist zu groß.',
  'errors.unsupported_media_type': 'Diese Seite nimmt nur Formulare an.',
  'errors.service_unavailable':
    'Der Dienst ist kurz nicht erreichbar. Versuchen Sie es in ein paar Sekunden erneut.',
  'errors.server_error': 'Bei uns ist etwas schiefgelaufen. Bitte versuchen Sie es erneut.',
  'errors.access_denied': 'Der Zugriff wurde verweigert.',
  'errors.invalid_client': 'Diese Anwendung ist hier nicht bekannt.',
  'errors.invalid_redirect_uri':
    'Diese Anwendung hat Sie an eine Adresse geschickt, die sie nicht registriert hat.',
  'errors.session_not_found': 'Ihre Sitzung ist abgelaufen. Melden Sie sich erneut an.',

  'logout.title': 'Abmelden',
  'logout.heading': 'Von {host} abmelden?',
  'logout.asking': '{app} möchte Sie abmelden.',
  'logout.meta':
    'Sie müssen sich erneut anmelden, wenn Sie das nächste Mal eine Anwendung nutzen, die {host} verwendet.',
  'logout.yes': 'Ja, abmelden',
  'logout.no': 'Nein, angemeldet bleiben',
  'logout.doneTitle': 'Abgemeldet',
  'logout.done': 'Sie wurden abgemeldet.',
  'logout.doneOf': 'Sie wurden von {app} abgemeldet.',
  'logout.close': 'Sie können dieses Fenster jetzt schließen.',

  'mfa.verifyTitle': 'Bestätigen Sie, dass Sie es sind',
  'mfa.tooManyTitle': 'Zu viele falsche Codes',
  'mfa.tooManyMessage':
    'Dieser Anmeldeversuch wurde beendet. Beginnen Sie neu, um es noch einmal zu versuchen.',
  'mfa.otherNeededTitle': 'Eine andere Anmeldemethode ist nötig',
  'mfa.otherNeededMessage':
    '{app} akzeptiert nur: {methods}. Richten Sie eine davon auf Ihrer Kontoseite ein und melden Sie sich dann erneut an.',
  'mfa.noneOfYours': 'keine Ihrer Methoden',
  'mfa.chooseTitle': 'Zweiten Faktor einrichten',
  'mfa.chooseMessage': '{app} verlangt bei der Anmeldung einen zweiten Schritt. Wählen Sie, wie:',
  'mfa.pausedTitle': 'Zu viele Versuche',
  'mfa.pausedMessage_one':
    'Zu Ihrer Sicherheit sind Anmeldecodes für dieses Konto pausiert. Versuchen Sie es nach {time} UTC erneut (in etwa {count} Minute).',
  'mfa.pausedMessage_other':
    'Zu Ihrer Sicherheit sind Anmeldecodes für dieses Konto pausiert. Versuchen Sie es nach {time} UTC erneut (in etwa {count} Minuten).',
  'mfa.attemptsLeft_one': 'Noch {count} Versuch.',
  'mfa.attemptsLeft_other': 'Noch {count} Versuche.',
  'enrol.setUp': '{factor} einrichten',
  'enrol.saveBackup': '{factor} speichern',

  'failure.invalid_code': 'Dieser Code ist nicht korrekt.',
  'failure.replayed_code': 'Dieser Code wurde bereits verwendet. Warten Sie auf den nächsten.',
  'failure.expired_code': 'Dieser Code ist abgelaufen. Fordern Sie einen neuen an.',
  'failure.not_enrolled': 'Diese Methode ist für Ihr Konto nicht eingerichtet.',
  'failure.malformed_code': 'Geben Sie den Code genau so ein, wie er angezeigt wird.',
  'failure.invalid_address': 'Geben Sie eine gültige Adresse ein.',

  'factor.totp.label': 'Authenticator-App',
  'factor.recovery.label': 'Wiederherstellungscode',
  'factor.recovery.plural': 'Wiederherstellungscodes',
  'factor.email.label': 'Code per E-Mail',
  'factor.sms.label': 'Code per SMS',
  'factor.webauthn.label': 'Passkey',

  'totp.challengeHeading': 'Geben Sie Ihren Bestätigungscode ein',
  'totp.challengeLead':
    'Öffnen Sie Ihre Authenticator-App und geben Sie den {digits}-stelligen Code ein, den sie für {issuer} anzeigt.',
  'totp.enrolHeading': 'Authenticator-App einrichten',
  'totp.enrolLead':
    '{app} verlangt bei der Anmeldung einen zweiten Schritt. Fügen Sie **{account}** einer Authenticator-App hinzu, um Ihre Codes zu erhalten.',
  'totp.scan': '1. Scannen Sie diesen QR-Code mit Ihrer Authenticator-App',
  'totp.cantScan': 'Scannen klappt nicht? Geben Sie diesen Schlüssel ein:',
  'totp.meta':
    'Konto: {account} · Aussteller: {issuer} · Zeitbasiert, {digits} Stellen, alle {period} Sekunden, {algorithm}',
  'totp.showLink': 'Einrichtungslink anzeigen',
  'totp.verifyHeading': '2. Geben Sie den Code aus der App ein',
  'totp.verifyHint':
    'Geben Sie den {digits}-stelligen Code ein, den die App gerade anzeigt, um die Einrichtung zu prüfen.',

  'recovery.challengeHeading': 'Wiederherstellungscode eingeben',
  'recovery.challengeLead':
    'Melden Sie sich mit einem Ihrer gespeicherten Wiederherstellungscodes bei {app} an. Jeder Code funktioniert nur einmal.',
  'recovery.codeLabel': 'Wiederherstellungscode',
  'recovery.left_one': 'Noch {count} Code übrig',
  'recovery.left_other': 'Noch {count} Codes übrig',
  'recovery.saveHeading': 'Speichern Sie Ihre Wiederherstellungscodes',
  'recovery.saveLead':
    'Wenn Sie den Zugang zu Ihrer anderen Anmeldemethode verlieren, können Sie stattdessen einen dieser Codes verwenden. Jeder Code funktioniert nur einmal.',
  'recovery.saveOnce':
    'Sie werden nur jetzt angezeigt: Speichern Sie sie in einem Passwortmanager oder laden Sie sie herunter bzw. drucken Sie sie aus und bewahren Sie sie sicher auf.',
  'recovery.listLabel': 'Ihre {count} Wiederherstellungscodes',
  'recovery.download': 'Codes als Textdatei herunterladen',
  'recovery.saved': 'Ich habe diese Codes gespeichert',
  'recovery.lastHeading': 'Sie haben Ihren letzten Wiederherstellungscode verwendet',
  'recovery.lastLead':
    'Sie haben keine Wiederherstellungscodes mehr. Erstellen Sie jetzt neue, damit Sie sich weiterhin anmelden können, falls Sie Ihre andere Anmeldemethode verlieren.',
  'recovery.lastOnce':
    'Neue Codes werden einmal auf der nächsten Seite angezeigt. Halten Sie einen sicheren Ort zum Aufbewahren bereit.',
  'recovery.create': 'Neue Codes erstellen',
  'recovery.notNow': 'Nicht jetzt',
  'pending.heading': 'Speichern Sie Ihre {backup}',
  'pending.added': '{factor} ist eingerichtet.',
  'pending.lead': 'Ein Schritt fehlt noch: Ihre {backup}.',
  'pending.explain':
    'Sie wurden einmal auf der vorigen Seite angezeigt und sind nirgends im Klartext gespeichert, daher können sie nicht erneut angezeigt werden. Wenn Sie sie gespeichert haben, bestätigen Sie das. Wenn nicht, holen Sie sich neue: Die zuvor angezeigten Codes funktionieren dann nicht mehr.',
  'pending.confirm': 'Ich habe die zuvor angezeigten {backup} gespeichert',
  'pending.newCodes': 'Neue Codes anzeigen',

  'address.challengeHeading': 'Geben Sie den gesendeten Code ein',
  'address.sentTo': 'Wir haben einen Code an **{to}** gesendet.',
  'address.resend': 'Neuen Code senden',
  'address.confirm': 'Bestätigen',
  'address.change': '{noun} ändern',
  'address.enrolHeading': '{noun} hinzufügen',
  'address.enrolLead':
    '{app} sendet bei der Anmeldung einen Code an diese {noun}. Zuerst senden wir jetzt einen, um zu prüfen, dass sie Ihnen gehört.',
  'address.emailLabel': 'E-Mail-Adresse',
  'address.phoneLabel': 'Mobilnummer (mit Ländervorwahl, z. B. +4915123456789)',
  'address.send': 'Code senden',
  'address.yourNoun': 'Ihre {noun}',
  'address.noun.email': 'E-Mail-Adresse',
  'address.noun.sms': 'Mobilnummer',

  'email.login.subject': 'Ihr Anmeldecode für {app}',
  'email.login.heading': 'Ihr Anmeldecode',
  'email.login.intro': 'Geben Sie diesen Code ein, um die Anmeldung bei {app} abzuschließen.',
  'email.enrolment.subject': 'Bestätigen Sie diese Adresse für {app}',
  'email.enrolment.heading': 'Bestätigen Sie diese Adresse',
  'email.enrolment.intro':
    'Geben Sie diesen Code ein, um diese Adresse zu bestätigen, damit {app} Ihnen Anmeldecodes senden kann.',
  'email.verification.subject': 'Ihr Bestätigungscode für {app}',
  'email.verification.heading': 'Ihr Bestätigungscode',
  'email.verification.intro': 'Geben Sie diesen Code in {app} ein, um zu bestätigen, dass Sie es sind.',
  'email.password_reset.subject': 'Setzen Sie Ihr Passwort für {app} zurück',
  'email.password_reset.heading': 'Passwort zurücksetzen',
  'email.password_reset.intro':
    'Geben Sie diesen Code auf der Seite zum Zurücksetzen ein, um ein neues Passwort für {app} zu wählen.',
  'email.expires_one': 'Dieser Code läuft in **{count} Minute** ab.',
  'email.expires_other': 'Dieser Code läuft in **{count} Minuten** ab.',
  'email.noShare': 'Geben Sie ihn nicht weiter: {app} wird Sie nie danach fragen.',
  'email.ignore': 'Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail.',
  'email.notYou':
    'Wenn Sie sich nicht anmelden wollten, kennt vielleicht jemand Ihr Passwort: Ändern Sie es.',
  'sms.text_one': '{code} ist Ihr {app}-Code. Er läuft in {count} Minute ab.',
  'sms.text_other': '{code} ist Ihr {app}-Code. Er läuft in {count} Minuten ab.',
} as const satisfies Catalogue;
