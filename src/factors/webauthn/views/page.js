// The passkey pages' only script (served from /assets/webauthn/page.js, CSP 'self'): it reads
// the ceremony options from the page's JSON block, asks the browser for a passkey, and posts the
// answer in the form's hidden `response` field. Without it, the page explains what is missing.
(() => {
  const form = document.getElementById('webauthn-form');
  const block = document.getElementById('webauthn-options');
  const lib = window.SimpleWebAuthnBrowser;
  if (!form || !block || !lib) return;
  const optionsJSON = JSON.parse(block.textContent);
  const register = form.dataset.webauthn === 'register';
  form.addEventListener('submit', async (event) => {
    if (form.elements.response.value) return;
    event.preventDefault();
    try {
      const answer = register
        ? await lib.startRegistration({ optionsJSON })
        : await lib.startAuthentication({ optionsJSON });
      form.elements.response.value = JSON.stringify(answer);
    } catch (err) {
      // The user cancelled or the authenticator refused: post an empty answer, the server
      // shows the page again with a message.
      form.elements.response.value = JSON.stringify({ error: String(err?.name) });
    }
    form.submit();
  });
})();
