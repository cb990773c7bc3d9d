import type { ClientMfaConfig } from '../config/schema.ts';
import type { ClientRules } from './decide.ts';

/**
 * Policy as data: which second factors a client accepts and how strict it is. What a request
 * then needs is decided in one place, src/policy/decide.ts.
 */

/** A client's MFA rules with defaults and the global switch applied. */
export interface ClientMfa extends ClientRules {
  rememberBrowserDays: number;
}

/** Per-client MFA settings as the configuration file holds them. */
export interface ClientMfaEntry {
  client_id: string;
  mfa: Partial<ClientMfaConfig> & { policy: ClientMfaConfig['policy'] };
}

/**
 * Builds the per-client lookup. `enabledFactors` undefined means MFA is not configured at
 * all: every client behaves as `off`.
 */
export function createMfaPolicy(
  clients: readonly ClientMfaEntry[],
  enabledFactors: readonly string[] | undefined,
) {
  const enabled = enabledFactors ?? [];
  const configured = enabledFactors !== undefined;
  const byClient = new Map<string, ClientMfa>(
    clients.map((c) => [
      c.client_id,
      {
        policy: configured ? c.mfa.policy : 'off',
        factors: (c.mfa.factors ?? enabled).filter((f) => enabled.includes(f)),
        allowRestricted: c.mfa.allow_restricted !== false,
        requirePhishingResistant: c.mfa.require_phishing_resistant === true,
        defaultAcr: c.mfa.default_acr,
        rememberBrowserDays: c.mfa.remember_browser_days ?? 0,
      },
    ]),
  );
  // Clients not in the configuration (none today) get the strict answer.
  const fallback: ClientMfa = {
    policy: configured ? 'required' : 'off',
    factors: [...enabled],
    allowRestricted: true,
    requirePhishingResistant: false,
    rememberBrowserDays: 0,
  };

  return {
    forClient(clientId: string): ClientMfa {
      return byClient.get(clientId) ?? fallback;
    },
  };
}

export type MfaPolicy = ReturnType<typeof createMfaPolicy>;
