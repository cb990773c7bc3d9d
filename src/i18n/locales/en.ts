/**
 * English: the reference catalogue. Every other language has exactly these keys
 * (test/i18n/catalogues.test.ts); `{name}` is a variable, `**x**` is emphasis, and a key with
 * `_one` / `_other` forms is chosen by its `count`.
 */
export const en = {
  'page.footer': 'Secured by {name}',
  'common.cancel': 'Cancel',
  'common.verify': 'Verify',
  'common.continue': 'Continue',
  'common.code': 'Code',
  'common.digitCode': '{digits}-digit code',
  'common.otherMethods': 'Use another method',
  'common.rememberBrowser_one': 'Remember this browser for {count} day',
  'common.rememberBrowser_other': 'Remember this browser for {count} days',
  'common.validFor_one': 'It is valid for {count} minute.',
  'common.validFor_other': 'It is valid for {count} minutes.',
  'common.thisApplication': 'this application',
  'common.anApplication': 'An application',
  'common.startAgain': 'Start again',
  'common.signInAgain': 'Sign in again',
  'common.backTo': 'Back to {app}',
  'common.backToAccount': 'Back to your account',
  'common.goToAccount': 'Go to your account',

  'login.title': 'Sign in',
  'login.heading': 'Sign in to {app}',
  'login.lead': 'Enter your username and password to continue.',
  'login.leadPasswordOnly': 'Your passkey was accepted. Enter your password to finish signing in.',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.failed': 'Incorrect username or password.',
  'login.locked': 'Too many attempts. Try again after {time} UTC.',
  'login.unknownPasskey':
    'This passkey is not registered here. It may have been removed. Sign in with your password instead.',

  'consent.title': 'Authorize',
  'consent.heading': '{app} wants to access your account',
  'consent.signedInAs': 'Signed in as **{name}**',
  'consent.scopesHeading': 'This will allow {app} to:',
  'consent.claimsHeading': 'It will also receive:',
  'consent.nothing': 'It will only learn that you are signed in.',
  'consent.trust': 'Only allow apps you trust.',
  'consent.allow': 'Allow',
  'consent.deny': 'Deny',
  'scope.openid': 'Sign you in with your account',
  'scope.profile': 'Your name and username',
  'scope.email': 'Your email address',
  'scope.phone': 'Your phone number',
  'scope.groups': 'The groups you belong to',
  'scope.offline_access': 'Stay connected when you are not using it',

  'error.title': 'Something went wrong',
  'error.code': 'Error code: {code}',
  'error.status': '(HTTP {status})',
  'error.generic': 'Something went wrong on our side. Please try again.',
  'errors.invalid_request': 'The request could not be understood.',
  'errors.invalid_csrf_token': 'This form has expired or was not sent by this page. Go back and try again.',
  'errors.interaction_not_found':
    'This sign-in has expired or was already finished. Start again from the app.',
  'errors.request_too_large': 'The submitted form is too large.',
  'errors.unsupported_media_type': 'This page only accepts form submissions.',
  'errors.service_unavailable': 'The service is briefly unavailable. Try again in a few seconds.',
  'errors.server_error': 'Something went wrong on our side. Please try again.',
  'errors.access_denied': 'Access was denied.',
  'errors.invalid_client': 'This application is not known here.',
  'errors.invalid_redirect_uri': 'This application sent you to an address it has not registered.',
  'errors.session_not_found': 'Your session has expired. Sign in again.',

  'logout.title': 'Sign out',
  'logout.heading': 'Sign out of {host}?',
  'logout.asking': '{app} is asking to sign you out.',
  'logout.meta': 'You will need to sign in again the next time you use an app that relies on {host}.',
  'logout.yes': 'Yes, sign me out',
  'logout.no': 'No, stay signed in',
  'logout.doneTitle': 'Signed out',
  'logout.done': 'You have been signed out.',
  'logout.doneOf': 'You have been signed out of {app}.',
  'logout.close': 'You can close this window now.',

  'mfa.verifyTitle': 'Verify it is you',
  'mfa.tooManyTitle': 'Too many wrong codes',
  'mfa.tooManyMessage': 'This sign-in attempt has been stopped. Start again to get a new chance.',
  'mfa.otherNeededTitle': 'Another sign-in method needed',
  'mfa.otherNeededMessage':
    '{app} accepts only: {methods}. Set one up on your account page, then sign in again.',
  'mfa.noneOfYours': 'none of your methods',
  'mfa.chooseTitle': 'Set up a second factor',
  'mfa.chooseMessage': '{app} asks for a second step when you sign in. Choose how:',
  'mfa.pausedTitle': 'Too many attempts',
  'mfa.pausedMessage_one':
    'For your security, sign-in codes are paused for this account. Try again after {time} UTC (in about {count} minute).',
  'mfa.pausedMessage_other':
    'For your security, sign-in codes are paused for this account. Try again after {time} UTC (in about {count} minutes).',
  'mfa.attemptsLeft_one': '{count} attempt left.',
  'mfa.attemptsLeft_other': '{count} attempts left.',
  'enrol.setUp': 'Set up {factor}',
  'enrol.saveBackup': 'Save your {factor}',

  'failure.invalid_code': 'That code is not correct.',
  'failure.replayed_code': 'That code was already used. Wait for the next one.',
  'failure.expired_code': 'That code has expired. Ask for a new one.',
  'failure.not_enrolled': 'This method is not set up for your account.',
  'failure.malformed_code': 'Enter the code exactly as shown.',
  'failure.invalid_address': 'Enter a valid address.',

  'factor.totp.label': 'Authenticator app',
  'factor.recovery.label': 'Recovery code',
  'factor.recovery.plural': 'recovery codes',
  'factor.email.label': 'Email code',
  'factor.sms.label': 'Text message code',
  'factor.webauthn.label': 'Passkey',

  'totp.challengeHeading': 'Enter your verification code',
  'totp.challengeLead':
    'Open your authenticator app and enter the {digits}-digit code it shows for {issuer}.',
  'totp.enrolHeading': 'Set up an authenticator app',
  'totp.enrolLead':
    '{app} asks for a second step when you sign in. Add **{account}** to an authenticator app to get your codes.',
  'totp.scan': '1. Scan this QR code with your authenticator app',
  'totp.cantScan': "Can't scan it? Enter this key:",
  'totp.meta':
    'Account: {account} · Issuer: {issuer} · Time-based, {digits} digits, every {period} seconds, {algorithm}',
  'totp.showLink': 'Show the setup link',
  'totp.verifyHeading': '2. Enter the code from the app',
  'totp.verifyHint': 'Type the {digits}-digit code the app shows now, to check that it is set up.',

  'recovery.challengeHeading': 'Enter a recovery code',
  'recovery.challengeLead':
    'Use one of the recovery codes you saved to sign in to {app}. Each code works only once.',
  'recovery.codeLabel': 'Recovery code',
  'recovery.left_one': '{count} code left',
  'recovery.left_other': '{count} codes left',
  'recovery.saveHeading': 'Save your recovery codes',
  'recovery.saveLead':
    'If you lose access to your other sign-in method, you can use one of these codes instead. Each code works only once.',
  'recovery.saveOnce':
    'They are shown only now: save them in a password manager, or download or print them and keep them somewhere safe.',
  'recovery.listLabel': 'Your {count} recovery codes',
  'recovery.download': 'Download the codes as a text file',
  'recovery.saved': 'I have saved these codes',
  'recovery.lastHeading': 'You have used your last recovery code',
  'recovery.lastLead':
    'You have no recovery codes left. Create a new set now, so you can still sign in if you lose your other sign-in method.',
  'recovery.lastOnce': 'New codes are shown once, on the next page. Have a safe place ready to keep them.',
  'recovery.create': 'Create new codes',
  'recovery.notNow': 'Not now',
  'pending.heading': 'Save your {backup}',
  'pending.added': '{factor} is set up.',
  'pending.lead': 'One step is left: your {backup}.',
  'pending.explain':
    'They were shown once, on the page before, and are not kept anywhere in plain text, so they cannot be shown again. If you saved them, confirm it. If not, get a new set: the codes shown before then stop working.',
  'pending.confirm': 'I have saved the {backup} shown before',
  'pending.newCodes': 'Show new codes',

  'address.challengeHeading': 'Enter the code we sent',
  'address.sentTo': 'We sent a code to **{to}**.',
  'address.resend': 'Send a new code',
  'address.confirm': 'Confirm',
  'address.change': 'Change {noun}',
  'address.enrolHeading': 'Add your {noun}',
  'address.enrolLead':
    '{app} will send a code to this {noun} when you sign in. First we send one now, to check it is yours.',
  'address.emailLabel': 'Email address',
  'address.phoneLabel': 'Mobile number (with country code, e.g. +15551234567)',
  'address.send': 'Send code',
  'address.yourNoun': 'your {noun}',
  'address.noun.email': 'email address',
  'address.noun.sms': 'mobile number',
} as const;

/** A message key of the shipped catalogues. */
export type MessageKey = keyof typeof en;

/** A complete catalogue: a text for every key English has, and no other. */
export type Catalogue = { readonly [K in MessageKey]: string };
