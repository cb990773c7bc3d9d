import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Client } from 'oidc-provider';
import { t } from '../src/i18n/index.ts';
import { clientHome, type PageLink } from '../src/provider/client-home.ts';
import { interactionPath } from '../src/provider/configuration.ts';
import { ACCOUNT_CLIENT_ID, ACCOUNT_PATH } from './account-client.ts';

/*
 * The way on from a page that refuses or ends something: no page is a dead end. Back to the app
 * the user came from when it is known (the interaction's client, oidc-provider's, or the account
 * page's own), else sign in again.
 */

/** Options of {@link waysOn}. */
export interface WaysOnOptions {
  /** Where "Sign in again" goes when the app is unknown (the account page). @default none */
  signIn?: string;
}

/** The client this request belongs to, when the request says. */
async function clientOf(provider: Provider, ctx: Context): Promise<Client | undefined> {
  const known = (ctx as { oidc?: { client?: Client } }).oidc?.client;
  if (known) return known;
  const interaction = (ctx.state as { interaction?: { params: Record<string, unknown> } }).interaction;
  const onAccountPage = ctx.path === ACCOUNT_PATH || ctx.path.startsWith(`${ACCOUNT_PATH}/`);
  const id = onAccountPage ? ACCOUNT_CLIENT_ID : interaction?.params.client_id;
  if (typeof id !== 'string') return undefined;
  try {
    return await provider.Client.find(id);
  } catch {
    // A store that fails here already failed the request: the page just offers less.
    return undefined;
  }
}

/** "Back to <app>" at the client's registered home (`clientHome`), when it has one. */
export function backTo(ctx: Context, client: Client | undefined): PageLink | undefined {
  const home = clientHome(client);
  if (!client || !home) return undefined;
  const text =
    client.clientId === ACCOUNT_CLIENT_ID
      ? t(ctx, 'common.backToAccount')
      : t(ctx, 'common.backTo', { app: client.clientName ?? client.clientId });
  return { href: home, text };
}

/** "Back to <app>" (its `client_uri` or first redirect origin), else "Sign in again" when configured. */
export async function waysOn(
  provider: Provider,
  ctx: Context,
  options: WaysOnOptions = {},
): Promise<PageLink[]> {
  const back = backTo(ctx, await clientOf(provider, ctx));
  if (back) return [back];
  return options.signIn ? [{ href: options.signIn, text: t(ctx, 'common.signInAgain') }] : [];
}

/**
 * The links of the error page: "Start again" at the interaction's page when the request had
 * loaded one (a fresh form, the step it is at), then {@link waysOn}.
 */
export function errorPageLinks(provider: Provider, options: WaysOnOptions = {}) {
  return async (ctx: Context): Promise<PageLink[]> => {
    const uid = (ctx.state as { interaction?: { uid?: unknown } }).interaction?.uid;
    const restart =
      typeof uid === 'string' ? [{ href: interactionPath(uid), text: t(ctx, 'common.startAgain') }] : [];
    return [...restart, ...(await waysOn(provider, ctx, options))];
  };
}
