/**
 * Where a page's "back to the app" link goes for a client: its `client_uri`, else the origin of
 * its first redirect URI. Only registered values are used, never anything from the request, and
 * only http(s) ones (a native app's custom scheme is no page to go back to).
 */
export function clientHome(
  client: { clientUri?: string | undefined; redirectUris?: readonly string[] | undefined } | undefined,
): string | undefined {
  if (!client) return undefined;
  const home = web(client.clientUri);
  if (home) return home.href;
  for (const uri of client.redirectUris ?? []) {
    const url = web(uri);
    if (url) return `${url.origin}/`;
  }
  return undefined;
}

function web(value: string | undefined): URL | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** A link a page offers as the way on ("Back to Acme", "Sign in again"). */
export interface PageLink {
  href: string;
  text: string;
}
