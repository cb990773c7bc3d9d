import Provider from 'oidc-provider';
import type { TollgateConfig } from '../config/schema.ts';
import { enforceRegisteredAuthMethod } from './client-auth-method.ts';
import { buildConfiguration, type ProviderParts } from './configuration.ts';

/** Creates the oidc-provider instance for a configuration and its parts. */
export function createProvider(config: TollgateConfig, parts: ProviderParts): Provider {
  const provider = new Provider(config.issuer, buildConfiguration(config, parts));
  // Behind a TLS terminator, X-Forwarded-Proto decides Secure cookies; only trusted proxies'
  // forwarded headers get this far (src/server/forwarded.ts).
  provider.proxy = config.proxy;
  enforceRegisteredAuthMethod(provider);
  return provider;
}
