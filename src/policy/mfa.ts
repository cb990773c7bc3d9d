import type { ClientMfaConfig } from '../config/schema.ts';
import { ACR_LEVELS, ACR_ONE_FACTOR, ACR_TWO_FACTOR } from './acr.ts';

/**
 * Policy as data: which second factors a client accepts and what level a request needs.
 * Both the login prompt's Check (src/policy/checks.ts) and the interaction pages ask here,
 * so they can never disagree.
 */

/** 1 = password, 2 = password plus a second factor. */
export type Level = 1 | 2;

/** A client's MFA rules with defaults and the global switch applied. */
export interface ClientMfa {
  policy: ClientMfaConfig['policy'];
  /** Factor ids this client accepts, in configuration order. */
  factors: string[];
  defaultAcr?: string;
  rememberBrowserDays: number;
}

/** What an authorization request asks for. */
export interface AcrRequest {
  /** Level the request needs at least (voluntary acr_values, default acr, policy). */
  level: Level;
  /** Essential acr values from the claims parameter; the ID token must carry one of them. */
  essential?: string[];
}

/** Level of an acr value; unknown values are level 0 (never satisfied). */
export function levelOf(acr: string | undefined): 0 | Level {
  const i = acr === undefined ? -1 : (ACR_LEVELS as readonly string[]).indexOf(acr);
  return i < 0 ? 0 : ((i + 1) as Level);
}

/** acr value for a level. */
export const acrFor = (level: Level) => (level === 2 ? ACR_TWO_FACTOR : ACR_ONE_FACTOR);

/**
 * Level proven by a list of RFC 8176 methods: any method beside the password is a second
 * factor, and `mfa` itself says several were used (a remembered browser carries only that).
 */
export function levelFromAmr(amr: readonly string[]): Level {
  return amr.some((m) => m !== 'pwd') ? 2 : 1;
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
  /** Ids of NIST "restricted" factors (email, SMS), dropped for clients with `allow_restricted: false`. */
  restrictedFactors: readonly string[] = [],
) {
  const enabled = enabledFactors ?? [];
  const configured = enabledFactors !== undefined;
  const byClient = new Map<string, ClientMfa>(
    clients.map((c) => [
      c.client_id,
      {
        policy: configured ? c.mfa.policy : 'off',
        factors: (c.mfa.factors ?? enabled).filter(
          (f) => enabled.includes(f) && (c.mfa.allow_restricted !== false || !restrictedFactors.includes(f)),
        ),
        defaultAcr: c.mfa.default_acr,
        rememberBrowserDays: c.mfa.remember_browser_days ?? 0,
      },
    ]),
  );
  // Clients not in the configuration (none today) get the strict answer.
  const fallback: ClientMfa = {
    policy: configured ? 'required' : 'off',
    factors: [...enabled],
    rememberBrowserDays: 0,
  };

  return {
    forClient(clientId: string): ClientMfa {
      return byClient.get(clientId) ?? fallback;
    },

    /**
     * What a request needs. `hasFactor` tells whether the account has a factor this client
     * accepts (for `optional`); it is only called when that matters.
     */
    async required(
      clientId: string,
      params: Record<string, unknown>,
      hasFactor: () => Promise<boolean>,
    ): Promise<AcrRequest> {
      const client = this.forClient(clientId);
      const essential = essentialAcrs(params.claims);
      let level: Level = 1;
      const voluntary = typeof params.acr_values === 'string' ? params.acr_values.split(' ') : [];
      const asked = voluntary.find((v) => levelOf(v) > 0) ?? client.defaultAcr;
      if (asked && levelOf(asked) === 2) level = 2;
      if (essential?.every((v) => levelOf(v) >= 2)) level = 2;
      if (client.policy === 'required') level = 2;
      if (client.policy === 'optional' && level === 1 && client.factors.length > 0 && (await hasFactor()))
        level = 2;
      // A client whose policy is off cannot get a second factor: voluntary asks fall back to 1.
      if (client.policy === 'off' || client.factors.length === 0) level = 1;
      return essential ? { level, essential } : { level };
    },
  };
}

export type MfaPolicy = ReturnType<typeof createMfaPolicy>;

/** The acr values an ID token must carry, from `claims={"id_token":{"acr":{"essential":true,...}}}`. */
export function essentialAcrs(claimsParam: unknown): string[] | undefined {
  if (typeof claimsParam !== 'string') return undefined;
  try {
    const acr = (
      JSON.parse(claimsParam) as {
        id_token?: { acr?: { essential?: boolean; value?: unknown; values?: unknown } };
      }
    ).id_token?.acr;
    if (!acr?.essential) return undefined;
    const values = acr.values ?? (acr.value === undefined ? undefined : [acr.value]);
    return Array.isArray(values) ? values.filter((v): v is string => typeof v === 'string') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The acr to put in the ID token for what the user proved, or undefined when the request's
 * essential acr cannot be met by it (the client then gets `unmet_authentication_requirements`).
 */
export function finalAcr(achieved: Level, request: AcrRequest): string | undefined {
  if (!request.essential) return acrFor(achieved);
  const met = request.essential.filter((v) => levelOf(v) > 0 && levelOf(v) <= achieved);
  // The highest essential value the login satisfies.
  return met.sort((a, b) => levelOf(b) - levelOf(a))[0];
}
