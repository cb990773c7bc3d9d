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
  'factor.totp.invalid_code':
    'Dieser Code ist nicht korrekt. Prüfen Sie die Uhrzeit auf Ihrem Gerät und versuchen Sie es erneut.',
  'factor.totp.expired_code':
    'Diese Einrichtungsseite ist abgelaufen. Scannen Sie den neuen Schlüssel und geben Sie seinen Code ein.',
  'factor.recovery.invalid_code': 'Dieser Wiederherstellungscode ist nicht korrekt.',
  'factor.recovery.replayed_code':
    'Dieser Wiederherstellungscode wurde bereits verwendet. Jeder Code funktioniert nur einmal.',
  'factor.recovery.malformed_code':
    'Geben Sie den Code genau so ein, wie er gedruckt ist (16 Buchstaben und Ziffern).',
  'factor.recovery.confirmRequired':
    'Setzen Sie das Häkchen bei „Ich habe diese Codes gespeichert“, um fortzufahren. Zu Ihrer Sicherheit sind das neue Codes: Die zuvor angezeigten funktionieren nicht mehr.',

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
  'recovery.file':
    'Wiederherstellungscodes für {username} bei {app}, erstellt am {date}. Jeder Code funktioniert nur einmal.',
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
  'address.invalid.email': 'Geben Sie eine gültige E-Mail-Adresse ein, zum Beispiel name@example.com.',
  'address.invalid.sms':
    'Geben Sie eine gültige Mobilnummer mit Ländervorwahl ein, zum Beispiel +4915123456789.',
  'address.enrolExpired.email':
    'Dieser Code ist abgelaufen. Geben Sie Ihre E-Mail-Adresse erneut ein, um einen neuen zu erhalten.',
  'address.enrolExpired.sms':
    'Dieser Code ist abgelaufen. Geben Sie Ihre Mobilnummer erneut ein, um einen neuen zu erhalten.',
  'address.resent': 'Ein neuer Code ist unterwegs.',
  'address.wait_one': 'Warten Sie {count} Sekunde, bevor Sie einen weiteren Code anfordern.',
  'address.wait_other': 'Warten Sie {count} Sekunden, bevor Sie einen weiteren Code anfordern.',
  'address.tooManySends': 'Es wurden zu viele Codes gesendet. Versuchen Sie es später erneut.',
  'address.noMoreCodes':
    'Für diese Anmeldung können keine weiteren Codes gesendet werden. Beginnen Sie später erneut.',
  'address.delivery.timeout':
    'Wir konnten den Code gerade nicht senden (der Dienst hat nicht geantwortet). Versuchen Sie es gleich noch einmal.',
  'address.delivery.unreachable':
    'Wir konnten den Code gerade nicht senden. Versuchen Sie es gleich noch einmal.',
  'address.delivery.rejected':
    'Der Code konnte an diese Adresse nicht zugestellt werden. Prüfen Sie sie oder verwenden Sie eine andere Methode.',
  'address.delivery.expired':
    'Der Code ist abgelaufen, bevor er zugestellt werden konnte. Fordern Sie einen neuen an.',
  'address.delivery.not_configured':
    'Das Senden von Codes ist auf diesem Server nicht eingerichtet. Verwenden Sie eine andere Methode.',

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
  'email.resetAfter':
    'Sobald Sie ein neues Passwort gewählt haben, melden Sie sich wie gewohnt an, mit Ihrem zweiten Faktor, falls Sie einen haben.',
  'email.resetIgnore':
    'Wenn Sie kein Zurücksetzen Ihres Passworts angefordert haben, ignorieren Sie diese E-Mail: Ihr Passwort bleibt, wie es ist.',
  'email.expires_one': 'Dieser Code läuft in **{count} Minute** ab.',
  'email.expires_other': 'Dieser Code läuft in **{count} Minuten** ab.',
  'email.noShare': 'Geben Sie ihn nicht weiter: {app} wird Sie nie danach fragen.',
  'email.ignore': 'Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail.',
  'email.notYou':
    'Wenn Sie sich nicht anmelden wollten, kennt vielleicht jemand Ihr Passwort: Ändern Sie es.',
  'sms.text_one': '{code} ist Ihr {app}-Code. Er läuft in {count} Minute ab.',
  'sms.text_other': '{code} ist Ihr {app}-Code. Er läuft in {count} Minuten ab.',

  'account.title': 'Ihr Konto',
  'account.signedInAs': 'Angemeldet als **{name}**.',
  'account.signedInAsEmail': 'Angemeldet als **{name}** ({email}).',
  'account.methods': 'Anmeldemethoden',
  'account.passwordOnly':
    'Sie melden sich nur mit Ihrem Passwort an. Fügen Sie einen zweiten Faktor hinzu, um Ihr Konto zu schützen.',
  'account.added': 'hinzugefügt am {date}',
  'account.lastUsed': 'zuletzt verwendet am {date}',
  'account.codesLeft_one': 'noch {count} Code',
  'account.codesLeft_other': 'noch {count} Codes',
  'account.remove': 'Entfernen',
  'account.sendCode': 'Code senden ({method})',
  'account.confirmWithCode': 'Bestätigen Sie mit einem aktuellen Code.',
  'account.confirmWith': 'Mit {method} bestätigen',
  'account.codeFrom': 'Code von',
  'account.removeMethod': '{method} entfernen',
  'account.add': '{method} hinzufügen',
  'account.createNew': 'Neue {backup} erstellen',
  'account.sessions': 'Wo Sie angemeldet sind',
  'account.sessionsLabel': 'Ihre Sitzungen',
  'account.thisBrowser': '(dieser Browser)',
  'account.signedIn': 'angemeldet am {date} UTC',
  'account.signedInEarlier': 'früher angemeldet',
  'account.lastUsedUtc': 'zuletzt verwendet am {date} UTC',
  'account.apps': 'Anwendungen: {apps}',
  'account.endSession': 'Diese Sitzung abmelden',
  'account.endOthers': 'Überall sonst abmelden',
  'account.unknownBrowser': 'Unbekannter Browser',
  'account.signOut': 'Abmelden',
  'account.password': 'Passwort',
  'account.currentPassword': 'Aktuelles Passwort',
  'account.newPassword': 'Neues Passwort',
  'account.newPasswordAgain': 'Neues Passwort wiederholen',
  'account.changePassword': 'Passwort ändern',
  'account.pwWrong': 'Ihr aktuelles Passwort ist nicht korrekt. Nichts wurde geändert.',
  'account.pwMismatch': 'Die beiden neuen Passwörter sind nicht gleich. Nichts wurde geändert.',
  'account.pwChanged': 'Ihr Passwort wurde geändert.',
  'account.pwChangedEnded_one': 'Ihr Passwort wurde geändert, und {count} andere Sitzung wurde abgemeldet.',
  'account.pwChangedEnded_other':
    'Ihr Passwort wurde geändert, und {count} andere Sitzungen wurden abgemeldet.',
  'account.setUp': '{factor} ist eingerichtet.',
  'account.setUpWithBackup': '{factor} ist eingerichtet, und Ihre {backup} sind gespeichert.',
  'account.renewed': 'Ihre neuen {backup} sind gespeichert. Die bisherigen funktionieren nicht mehr.',
  'account.codeSent': 'Ein Code ist unterwegs an {to}.',
  'account.you': 'Sie',
  'account.endedOthers_one': 'Von {count} anderen Sitzung abgemeldet.',
  'account.endedOthers_other': 'Von {count} anderen Sitzungen abgemeldet.',
  'account.ended': 'Diese Sitzung wurde abgemeldet.',
  'account.alreadyEnded': 'Diese Sitzung war bereits beendet.',
  'account.confirmRemoval': 'Bestätigen Sie mit einem aktuellen Code einer Ihrer Anmeldemethoden.',
  'account.tooManyRemoval': 'Zu viele falsche Codes. Versuchen Sie es später erneut; nichts wurde entfernt.',
  'account.notRemoved': '{reason}; nichts wurde entfernt.',
  'account.removed': '{method} wurde entfernt.',
  'account.backupRemoved': 'Ihre {backup} wurden entfernt.',
  'account.removedWithBackup': '{method} wurde entfernt, ebenso Ihre {backup}.',

  'reset.forgot': 'Passwort vergessen?',
  'reset.requestTitle': 'Passwort zurücksetzen',
  'reset.requestLead':
    'Geben Sie Ihren Benutzernamen für {app} ein. Wenn Ihr Konto eine bestätigte E-Mail-Adresse hat, senden wir dorthin einen Code, mit dem Sie ein neues Passwort festlegen.',
  'reset.send': 'Code senden',
  'reset.back': 'Zurück zur Anmeldung',
  'reset.codeTitle': 'Code eingeben',
  'reset.codeLead_one':
    'Wenn das Konto eine bestätigte E-Mail-Adresse hat, haben wir einen Code dorthin gesendet. Er ist {count} Minute lang gültig.',
  'reset.codeLead_other':
    'Wenn das Konto eine bestätigte E-Mail-Adresse hat, haben wir einen Code dorthin gesendet. Er ist {count} Minuten lang gültig.',
  'reset.noEmail': 'Keine E-Mail? Sehen Sie im Spam-Ordner nach, oder **fordern Sie einen neuen Code an**.',
  'reset.passwordTitle': 'Neues Passwort wählen',
  'reset.passwordLead': 'Verwenden Sie mindestens {min} Zeichen. Damit werden Sie überall sonst abgemeldet.',
  'reset.newPassword': 'Neues Passwort',
  'reset.repeat': 'Neues Passwort wiederholen',
  'reset.set': 'Passwort festlegen',
  'reset.askAgain': 'Neuen Code anfordern',
  'reset.enterUsername': 'Geben Sie Ihren Benutzernamen ein.',
  'reset.malformed': 'Geben Sie den Code genau so ein, wie er in der E-Mail steht: nur Ziffern.',
  'reset.tooManyTitle': 'Zu viele Anfragen',
  'reset.tooManyMessage':
    'Es wurden zu viele Passwort-Zurücksetzungen angefordert. Versuchen Sie es nach {time} UTC erneut.',
  'reset.wrongCode_one': 'Dieser Code ist nicht korrekt. Noch {count} Versuch.',
  'reset.wrongCode_other': 'Dieser Code ist nicht korrekt. Noch {count} Versuche.',
  'reset.closedTitle': 'Zu viele falsche Codes',
  'reset.closedMessage': 'Dieser Code funktioniert nicht mehr. Fordern Sie einen neuen an.',
  'reset.expiredTitle': 'Dieser Code ist abgelaufen',
  'reset.expiredMessage': 'Fordern Sie einen neuen Code an, um fortzufahren.',
  'reset.mismatch': 'Die beiden Passwörter stimmen nicht überein.',
  'reset.invalidTitle': 'Diese Zurücksetzung ist nicht mehr gültig',
  'reset.invalidMessage':
    'Sie wurde bereits verwendet oder ist abgelaufen. Fordern Sie einen neuen Code an, um fortzufahren.',

  'password.tooShort': 'Verwenden Sie mindestens {min} Zeichen.',
  'password.tooLong': 'Verwenden Sie höchstens {max} Zeichen.',

  'proxy.forbiddenTitle': 'Sie haben keinen Zugriff auf diese Seite',
  'proxy.forbiddenMessage':
    'Sie sind angemeldet, aber Ihr Konto darf diese Seite nicht öffnen. Bitten Sie eine Administratorin oder einen Administrator um Zugriff, oder melden Sie sich mit einem anderen Konto an.',
  'proxy.home': 'Zur Startseite',
  'proxy.switchUser': 'Als jemand anderes anmelden',
  'proxy.tryAgain': 'Erneut versuchen',
  'proxy.expiredTitle': 'Anmeldung abgelaufen',
  'proxy.expiredMessage': 'Diese Anmeldung ist abgelaufen oder wurde bereits verwendet.',
  'proxy.otherBrowserTitle': 'Anmeldung nicht abgeschlossen',
  'proxy.otherBrowserMessage': 'Diese Anmeldung wurde in einem anderen Browser begonnen.',
  'proxy.cancelledTitle': 'Anmeldung abgebrochen',
  'proxy.cancelledMessage': 'Sie haben die Anmeldung abgebrochen und sind daher nicht angemeldet.',
  'proxy.failedTitle': 'Anmeldung fehlgeschlagen',
  'proxy.failedMessage': 'Die Anmeldung wurde nicht abgeschlossen.',
  'proxy.moreProofTitle': 'Weiterer Nachweis nötig',
  'proxy.needsPasskey': 'Diese Seite braucht einen Passkey, und die Anmeldung hat keinen verwendet.',
  'proxy.needsSecondFactor':
    'Diese Seite braucht einen zweiten Faktor, und die Anmeldung hat keinen verwendet.',
  'proxy.signOutTitle': 'Abmelden?',
  'proxy.signedInAs': 'Sie sind als **{name}** angemeldet.',
  'proxy.notSignedIn': 'Sie sind hier nicht angemeldet.',
  'proxy.signOutExplain': 'Die Abmeldung beendet Ihre Sitzung hier und dann beim Anmeldedienst.',
  'proxy.signOut': 'Abmelden',
  'proxy.stay': 'Abbrechen, angemeldet bleiben',
  'proxy.signOutFailedTitle': 'Abmeldung fehlgeschlagen',
  'proxy.signOutUnreadable':
    'Das Abmeldeformular konnte nicht gelesen werden. Bitte versuchen Sie es erneut.',
  'proxy.signOutRefusedTitle': 'Abmeldung nicht bestätigt',
  'proxy.signOutRefused':
    'Diese Abmeldeanfrage kam nicht von der Abmeldeseite, daher sind Sie weiterhin angemeldet.',
  'proxy.badGateway': 'Fehlerhaftes Gateway',
  'proxy.gatewayTimeout': 'Gateway-Zeitüberschreitung',
  'proxy.upstreamDown':
    'Die Anwendung hinter dieser Adresse hat nicht geantwortet. Bitte versuchen Sie es gleich noch einmal.',
  'proxy.badRequestTitle': 'Diese Adresse ist nicht lesbar',
  'proxy.badRequestMessage':
    'Adresse oder Pfad dieser Anfrage kann das Tor nicht prüfen, deshalb wurde sie abgelehnt. Prüfen Sie den Link, dem Sie gefolgt sind.',
  'proxy.noUpstreamTitle': 'Hier wird nichts bereitgestellt',
  'proxy.noUpstreamMessage': 'Hinter dieser Adresse ist keine Anwendung eingerichtet.',
} as const satisfies Catalogue;
