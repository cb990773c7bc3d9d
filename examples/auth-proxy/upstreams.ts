/**
 * Which configured upstream a request is for: matching host, then the longest path prefix (on
 * a segment boundary). The reverse proxy routes by it, and forward-auth takes the assertion's
 * audience from it, so the audience is always configuration, never a request header.
 */
import type { ProxyConfig } from './config.ts';

/** One `upstreams` entry of the configuration. */
export type Upstream = ProxyConfig['upstreams'][number];

function hostMatches(pattern: string, host: string): boolean {
  return pattern.startsWith('*.') ? host.endsWith(pattern.slice(1)) : pattern === host;
}

/** One compiled entry: parsed once, at start. */
interface Route {
  upstream: Upstream;
  /** Where the reverse proxy sends requests; undefined for a forward-auth-only entry. */
  url?: URL;
  basePath: string;
  /** The assertion's `aud` for this app. */
  audience: string;
  prefix: string;
}

/** Finds the route for a host and normalised path among `upstreams` (longest prefix first). */
function router(upstreams: readonly Upstream[]): (host: string, path: string) => Route | undefined {
  const routes: Route[] = [...upstreams]
    .sort((a, b) => (b.path_prefix ?? '').length - (a.path_prefix ?? '').length)
    .map((upstream) => {
      const url = upstream.url === undefined ? undefined : new URL(upstream.url);
      return {
        upstream,
        url,
        basePath: url?.pathname.replace(/\/$/, '') ?? '',
        // The schema requires url or audience, so one of them is always there.
        audience: upstream.audience ?? url?.origin ?? '',
        prefix: (upstream.path_prefix ?? '/').replace(/\/$/, ''),
      };
    });
  return (host, path) =>
    routes.find(
      (r) =>
        hostMatches(r.upstream.host, host) &&
        (r.prefix === '' || path === r.prefix || path.startsWith(`${r.prefix}/`)),
    );
}

/** Routing of {@link upstreamRouter}: for a host and normalised path, the upstream and its URL. */
export type UpstreamRouter = (
  host: string,
  path: string,
) => { upstream: Upstream; url: URL; basePath: string; audience: string } | undefined;

/**
 * Routes to the upstream with a matching host and the longest path prefix. Only upstreams with
 * a `url` (the reverse proxy's); see {@link audienceRouter}.
 */
export function upstreamRouter(upstreams: readonly Upstream[]): UpstreamRouter {
  // Every route here has a url (filtered), so the narrowing cast is sound; no per-request copy.
  return router(upstreams.filter((upstream) => upstream.url !== undefined)) as UpstreamRouter;
}

/**
 * The assertion audience for a host and normalised path (forward-auth): the configured
 * `audience` (or `url` origin) of the matching upstream; undefined when no upstream is
 * configured for it (then no assertion is sent).
 */
export function audienceRouter(
  upstreams: readonly Upstream[],
): (host: string, path: string) => string | undefined {
  const find = router(upstreams);
  return (host, path) => find(host, path)?.audience;
}

/** The upstream for a host and normalised path: matching host, longest path prefix. */
export function routeUpstream(
  upstreams: readonly Upstream[],
  host: string,
  path: string,
): Upstream | undefined {
  return upstreamRouter(upstreams)(host, path)?.upstream;
}
