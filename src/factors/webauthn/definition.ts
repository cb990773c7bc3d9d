import type { FactorDefinition } from '../types.ts';
import { createWebauthnFactor } from './index.ts';
import { type WebauthnOptions, webauthnOptions } from './options.ts';

/** Passkeys as a plug-in: options under `mfa.webauthn`, relying party derived from the issuer. */
export const webauthnDefinition: FactorDefinition<WebauthnOptions> = {
  id: 'webauthn',
  options: webauthnOptions,
  create({ options, credentials, kv, logger, now, issuer }) {
    if (!issuer) throw new Error('webauthn needs the issuer URL');
    return createWebauthnFactor({ config: options, issuer, credentials, kv, logger, now });
  },
};
