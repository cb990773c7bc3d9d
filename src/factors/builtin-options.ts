import type { z } from 'zod';
import { recoveryOptions } from './recovery/options.ts';
import { totpOptions } from './totp/options.ts';
import { webauthnOptions } from './webauthn/options.ts';

/**
 * Ids and options schemas of the shipped factors: what the configuration schema registers.
 * Kept apart from the factories (src/factors/builtin.ts) so reading a configuration file loads
 * no factor code (QR codes, WebAuthn).
 */
export const BUILTIN_FACTOR_OPTIONS: readonly { id: string; options?: z.ZodType }[] = [
  { id: 'totp', options: totpOptions },
  { id: 'recovery', options: recoveryOptions },
  { id: 'email' },
  { id: 'sms' },
  { id: 'webauthn', options: webauthnOptions },
];
