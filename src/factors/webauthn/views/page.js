// The passkey pages' only script (served from /assets/webauthn/page.js, CSP 'self'): it reads
// the ceremony options from the page's JSON block, asks the browser for a passkey, and posts the
// answer in the form's hidden `response` field. Without it, the page explains what is missing.
// On the login page (`data-webauthn="sign-in"`) it also offers the passkeys in the username
// field's autofill (conditional UI); a click on the button replaces that quiet request.
(() => {
  const form = document.getElementById('webauthn-form');
  const block = document.getElementById('webauthn-options');
  const lib = window.SimpleWebAuthnBrowser;
  if (!form || !block || !lib) return;
  const optionsJSON = JSON.parse(block.textContent);
  const register = form.dataset.webauthn === 'register';
  const post = (answer) => {
    form.elements.response.value = JSON.stringify(answer);
    form.submit();
  };
  if (form.dataset.webauthn === 'sign-in' && document.querySelector('input[autocomplete$="webauthn"]')) {
    lib.browserSupportsWebAuthnAutofill().then((supported) => {
      if (!supported) return;
      // Settles when the user picks a passkey from the autofill list; a cancelled or replaced
      // request (the button was clicked) is no answer to post.
      lib.startAuthentication({ optionsJSON, useBrowserAutofill: true }).then(post, () => {});
    });
  }
  form.addEventListener('submit', async (event) => {
    if (form.elements.response.value) return;
    event.preventDefault();
    try {
      const answer = register
        ? await lib.startRegistration({ optionsJSON })
        : await lib.startAuthentication({ optionsJSON });
      post(answer);
    } catch (err) {
      // The user cancelled or the authenticator refused: post an empty answer, the server
      // shows the page again with a message.
      post({ error: String(err?.name) });
    }
  });
})();
