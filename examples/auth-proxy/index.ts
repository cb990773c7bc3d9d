/**
 * `tollgate/proxy`: the auth-proxy as a library, for running it inside your own process.
 * The `tollgate-proxy` command (main.ts) is built from exactly these parts.
 */
export { authorizeRequest } from './authorize.ts';
export {
  loadProxyConfig,
  type ProxyConfig,
  parseProxyConfig,
  proxyConfig,
  proxyConfigSchema,
} from './config.ts';
export { ALWAYS_STRIPPED_HEADERS, IDENTITY_HEADER_DEFAULTS } from './identity-headers.ts';
export { type ProxyCliIo, runProxyCli } from './main.ts';
export { type RunningProxy, type StartProxyOptions, startProxy } from './server.ts';
export type { Decision, Identity, Policy, RequestTarget, Rule } from './types.ts';
export { WS_CLOSE } from './websocket-proxy.ts';
