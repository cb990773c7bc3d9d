// The minimal web app of examples/webapp: it signs a user in directly over OIDC (no proxy) and
// shows the ID token's claims; its sign-out is RP-initiated logout at tollgate.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningWebapp, startWebapp } from '../../examples/webapp/server.ts';
import { Browser } from '../helpers/browser.ts';
import { freePort } from '../helpers/redis-server.ts';
import { APP_SECRET, addUser, type RunningTollgate, startTollgate } from '../helpers/tollgate.ts';

let tg: RunningTollgate;
let app: RunningWebapp;

beforeAll(async () => {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  tg = await startTollgate({
    overrides: {
      clients: [
        {
          client_id: 'webapp',
          client_name: 'Web App',
          client_secret: APP_SECRET,
          redirect_uris: [`${publicUrl}/callback`],
          post_logout_redirect_uris: [`${publicUrl}/`],
          first_party: true,
        },
      ],
    },
  });
  await addUser(tg, 'wendy', 'wendy password 1', { email: 'wendy@example.test', name: 'Wendy' });
  app = await startWebapp({ issuer: tg.url, clientId: 'webapp', clientSecret: APP_SECRET, port, publicUrl });
});

afterAll(async () => {
  await app?.close();
  await tg?.stop();
});

it('signs in over code + PKCE and shows the ID token claims', async () => {
  const browser = new Browser();
  const home = await browser.get(`${app.url}/`);
  expect(home.status).toBe(200);
  expect(home.body).toContain('/login');
  const login = await browser.get(`${app.url}/login`);
  expect(login.url.startsWith(`${tg.url}/interaction/`)).toBe(true);
  const signedIn = await browser.submit(login, { username: 'wendy', password: 'wendy password 1' });
  expect(signedIn.url).toBe(`${app.url}/`);
  const account = await tg.tollgate.store.accounts.findByUsername('wendy');
  expect(signedIn.body).toContain(`Signed in as <strong>${account?.id}</strong>`);
  expect(signedIn.body).toContain('<th>acr</th><td>urn:tollgate:acr:1fa</td>');
  expect(signedIn.body).toContain('<th>aud</th><td>webapp</td>');
  expect(signedIn.body).toContain(`<th>iss</th><td>${tg.url}</td>`);

  // Sign-out: the app's form, then tollgate's confirmation, then back to the app, signed out.
  const confirm = await browser.submit(signedIn, {});
  expect(confirm.url.startsWith(`${tg.url}/session/end`)).toBe(true);
  const back = await browser.submit(confirm, { logout: 'yes' });
  expect(back.url).toBe(`${app.url}/`);
  expect(back.body).toContain('/login');
  expect(back.body).not.toContain('Signed in as');
});
