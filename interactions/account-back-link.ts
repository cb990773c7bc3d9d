import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { PageLink } from '../src/provider/client-home.ts';
import { ACCOUNT_CLIENT_ID, ACCOUNT_PATH } from './account-client.ts';
import { backTo } from './ways-on.ts';

/*
 * "Back to <app>" on the account page, as Keycloak's account console does it: an app links its
 * users to `/account?client_id=<its client id>` (Keycloak calls the parameter `referrer`), and
 * the page then offers a way back to that app. The link goes to the client's registered home
 * (`clientHome`: its `client_uri`, else the origin of its first redirect URI), never to a URL
 * the request names: Keycloak's `referrer_uri` has no counterpart here, so the link cannot be
 * turned into an open redirect. The client id is kept in a cookie scoped to `/account` for the
 * browser session, so the link survives the sign-in the page may start first and every form the
 * page posts. An unknown client, the account page's own, or one with no web home gives no link;
 * opened without `client_id`, the page keeps the app it was last opened from.
 */

/** Cookie naming the app the account page was opened from. */
export const ACCOUNT_FROM_COOKIE = 'tollgate_account_from';

/** Longest client id the page remembers (a cookie stays small). */
const MAX_CLIENT_ID = 200;

/** The link back to the app `clientId` names, when it is a registered client with a web home. */
async function linkTo(provider: Provider, ctx: Context, clientId: string): Promise<PageLink | undefined> {
  if (clientId === ACCOUNT_CLIENT_ID || clientId.length > MAX_CLIENT_ID) return undefined;
  let client: Awaited<ReturnType<Provider['Client']['find']>>;
  try {
    client = await provider.Client.find(clientId);
  } catch {
    // An id oidc-provider refuses to look up (or a store that fails) is just no link.
    return undefined;
  }
  return backTo(ctx, client);
}

/**
 * Remembers the app named by `?client_id=` (a registered one with a home page) for the account
 * page's "Back to <app>" link; anything else leaves what was remembered.
 */
export async function rememberReferringApp(provider: Provider, ctx: Context): Promise<void> {
  const id = ctx.query.client_id;
  if (typeof id !== 'string' || !(await linkTo(provider, ctx, id))) return;
  ctx.cookies.set(ACCOUNT_FROM_COOKIE, encodeURIComponent(id), {
    httpOnly: true,
    sameSite: 'lax',
    secure: ctx.secure,
    path: ACCOUNT_PATH,
    overwrite: true,
  });
}

/** "Back to <app>" for the app the account page was opened from, if any (checked on every use). */
export async function backToApp(provider: Provider, ctx: Context): Promise<PageLink | undefined> {
  const value = ctx.cookies.get(ACCOUNT_FROM_COOKIE);
  if (!value) return undefined;
  let id: string;
  try {
    id = decodeURIComponent(value);
  } catch {
    return undefined; // not a value this page set
  }
  return linkTo(provider, ctx, id);
}
