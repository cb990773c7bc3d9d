import type { ClientMfaConfig } from '../config/schema.ts';
import { ACR_LEVELS, AMR_MFA, AMR_PASSWORD, AMR_USER_PRESENCE_VERIFIED } from './acr.ts';

/**
 * The one answer to "what does this request need, and is the session enough". Pure: every
 * input is data, so the login Check, the interaction steps, finish and the account page ask
 * the same question the same way, and a table test covers every branch
 * (test/policy/decide.test.ts).
 */

/** 1 = one factor, 2 = two factors, 3 = two factors, one of them phishing-resistant. */
export type Level = 1 | 2 | 3;

/** What the decision needs to know about an enabled factor. */
export interface FactorTraits {
  id: string;
  /** RFC 8176 methods the factor can prove. */
  amr: readonly string[];
  /** Only beside a real factor (recovery codes). */
  backup: boolean;
  /** NIST "restricted" (email, SMS). */
  restricted: boolean;
  /** Users may set it up themselves. */
  enrollable: boolean;
  /** Bound to the origin (passkeys): the only kind a `phishing_resistant` request accepts. */
  phishingResistant?: boolean;
}

/** A client's MFA rules with defaults applied (see `createMfaPolicy`). */
export interface ClientRules {
  policy: ClientMfaConfig['policy'];
  /** Factor ids configured for the client and enabled, in configuration order. */
  factors: readonly string[];
  /** false drops restricted factors. */
  allowRestricted: boolean;
  /** Every login needs a phishing-resistant factor. */
  requirePhishingResistant: boolean;
  defaultAcr?: string;
}

/** Everything one decision is made from. */
export interface DecisionInput {
  client: ClientRules;
  /** Every enabled factor. */
  factors: readonly FactorTraits[];
  /** The authorization request's `acr_values`, `claims` and `max_age`. */
  params: { acr_values?: unknown; claims?: unknown; max_age?: unknown };
  /** Methods proven in this flow, or by the session when stepping up. */
  proven: readonly string[];
  /** Epoch seconds the `proven` methods were proven at (the session's auth_time on step-up). */
  provenAt?: number;
  /** Epoch seconds now; only read with `provenAt`. */
  now?: number;
  /** Ids of enabled factors the account has set up. */
  enrolled: readonly string[];
  /** Second-factor methods a remembered browser vouches for. */
  remembered?: readonly string[];
}

interface Common {
  /** Level the request needs. */
  required: Level;
  /** Level the proven methods reach for this client (0 = nothing proven). */
  achieved: 0 | Level;
  /** True when `achieved >= required`: the login prompt need not be shown again. */
  enough: boolean;
  /** A new real factor may be bound now: the account has none, or a second factor was proven. */
  mayEnrol: boolean;
}

/** The typed answer. */
export type Decision = Common &
  (
    | { outcome: 'first_factor' }
    /** A sign-in without the password (a passkey without user verification) proved too little: ask it. */
    | { outcome: 'password' }
    | { outcome: 'satisfied'; acr: string; amr: string[]; remembered: boolean }
    /** The requested level or essential acr cannot be reached here. */
    | { outcome: 'unmet' }
    /** Ask one of these (enrolled, accepted; `primary` are the non-backup ones). */
    | { outcome: 'challenge'; factors: string[]; primary: string[] }
    /** Set one of these up first. */
    | { outcome: 'enrol'; factors: string[] }
    /** The account has a factor, but not one this request accepts: the account page can add one. */
    | { outcome: 'elsewhere'; accepted: string[] }
  );

/** Level of an acr value; unknown values are 0 (never satisfied). */
export function levelOf(acr: string | undefined): 0 | Level {
  const i = acr === undefined ? -1 : (ACR_LEVELS as readonly string[]).indexOf(acr);
  return i < 0 ? 0 : ((i + 1) as Level);
}

/** acr value for a level. */
export const acrFor = (level: Level): string => ACR_LEVELS[level - 1] as string;

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
 * The acr for what the user proved, or undefined when the request's essential acr cannot be
 * met by it (the client then gets `unmet_authentication_requirements`).
 */
export function finalAcr(achieved: Level, essential: readonly string[] | undefined): string | undefined {
  if (!essential) return acrFor(achieved);
  const met = essential.filter((v) => levelOf(v) > 0 && levelOf(v) <= achieved);
  return met.sort((a, b) => levelOf(b) - levelOf(a))[0];
}

/** Factors the client accepts at all: configured, enabled, restricted ones only where allowed. */
export function acceptedFactors(client: ClientRules, factors: readonly FactorTraits[]): FactorTraits[] {
  const byId = new Map(factors.map((f) => [f.id, f]));
  return client.factors
    .map((id) => byId.get(id))
    .filter((f): f is FactorTraits => f !== undefined && (client.allowRestricted || !f.restricted));
}

/**
 * Level proven by `methods` for a client accepting `accepted`: the password, a verified user
 * (`user`) and each accepted factor count once. A method of a factor the client does not
 * accept counts for nothing here.
 */
export function achievedLevel(methods: readonly string[], accepted: readonly FactorTraits[]): 0 | Level {
  const m = new Set(methods);
  const proven = accepted.filter((f) => f.amr.some((a) => m.has(a)));
  const count = (m.has(AMR_PASSWORD) ? 1 : 0) + (m.has(AMR_USER_PRESENCE_VERIFIED) ? 1 : 0) + proven.length;
  if (count === 0) return 0;
  if (count === 1) return 1;
  return proven.some((f) => f.phishingResistant) ? 3 : 2;
}

function requiredLevel(input: DecisionInput, accepted: readonly FactorTraits[], essential?: string[]): Level {
  const { client, params } = input;
  if (client.policy === 'off' || accepted.length === 0) return 1;
  const voluntary = typeof params.acr_values === 'string' ? params.acr_values.split(' ') : [];
  const asked = voluntary.find((v) => levelOf(v) > 0) ?? client.defaultAcr;
  let level: number = Math.max(1, levelOf(asked));
  const essentialLevels = (essential ?? []).map(levelOf);
  if (essentialLevels.length > 0) level = Math.max(level, Math.min(...essentialLevels));
  if (client.policy === 'required') level = Math.max(level, 2);
  if (client.requirePhishingResistant) level = 3;
  if (level === 1 && client.policy === 'optional') {
    const enrolled = new Set(input.enrolled);
    if (accepted.some((f) => !f.backup && enrolled.has(f.id))) level = 2;
  }
  return level as Level;
}

/**
 * Known values of voluntary `acr_values`. The login asserts the highest of them it meets, so a
 * client asking `2fa` gets `2fa` even after a passkey (it did not ask for more); with none
 * asked, the level reached.
 */
function askedAcrs(params: DecisionInput['params']): string[] | undefined {
  const asked =
    typeof params.acr_values === 'string' ? params.acr_values.split(' ').filter((v) => levelOf(v) > 0) : [];
  return asked.length > 0 ? asked : undefined;
}

/** Whether `provenAt` is older than the request's `max_age`. */
function tooOld(input: DecisionInput): boolean {
  const maxAge = Number(input.params.max_age);
  if (input.params.max_age === undefined || !Number.isFinite(maxAge) || input.provenAt === undefined)
    return false;
  return (input.now ?? Math.floor(Date.now() / 1000)) - input.provenAt > maxAge;
}

/** Decides what the request needs next. */
export function decide(input: DecisionInput): Decision {
  const accepted = acceptedFactors(input.client, input.factors);
  const essential = essentialAcrs(input.params.claims);
  const required = requiredLevel(input, accepted, essential);
  const enrolled = new Set(input.enrolled);
  const hasPrimary = input.factors.some((f) => !f.backup && enrolled.has(f.id));
  const proven = tooOld(input) ? [] : input.proven;
  const achieved = achievedLevel(proven, accepted);
  const common = (a: 0 | Level): Common => ({
    required,
    achieved: a,
    enough: a >= required,
    mayEnrol: !hasPrimary || a >= 2,
  });

  const finish = (a: Level, methods: readonly string[], remembered: boolean): Decision => {
    // Voluntary asks never fail a login: with none met, the level reached is asserted.
    const acr = essential ? finalAcr(a, essential) : (finalAcr(a, askedAcrs(input.params)) ?? acrFor(a));
    if (!acr) return { ...common(a), outcome: 'unmet' };
    // `mfa` last, once: a step-up's session methods may carry it already.
    const amr = [...new Set(methods)].filter((m) => m !== AMR_MFA);
    if (a >= 2) amr.push(AMR_MFA);
    return { ...common(a), outcome: 'satisfied', acr, amr, remembered };
  };

  if (achieved === 0) return { ...common(0), outcome: 'first_factor' };
  if (achieved >= required) return finish(achieved, proven, false);
  // The password is the other half every account has.
  if (!proven.includes(AMR_PASSWORD)) return { ...common(achieved), outcome: 'password' };

  // A phishing-resistant request accepts only phishing-resistant factors, and no backup codes.
  const candidates = required === 3 ? accepted.filter((f) => f.phishingResistant && !f.backup) : accepted;
  const enrolledHere = candidates.filter((f) => enrolled.has(f.id));
  const primary = enrolledHere.filter((f) => !f.backup);
  const usable = primary.length > 0 ? enrolledHere : [];

  if (usable.length > 0 && input.remembered?.length) {
    // A cookie vouches for a code-based factor at most, never for phishing resistance.
    const vouched = new Set(
      accepted
        .filter((f) => !f.phishingResistant)
        .flatMap((f) => f.amr.filter((m) => input.remembered?.includes(m))),
    );
    const withCookie = achievedLevel([...proven, ...vouched], accepted);
    if (vouched.size > 0 && withCookie >= required && withCookie > 0)
      return finish(withCookie as Level, [...proven, ...vouched], true);
  }
  if (usable.length > 0) {
    return {
      ...common(achieved),
      outcome: 'challenge',
      factors: usable.map((f) => f.id),
      primary: primary.map((f) => f.id),
    };
  }
  const mayEnrol = common(achieved).mayEnrol;
  const enrollable = candidates.filter((f) => f.enrollable && !f.backup);
  if (hasPrimary && (!mayEnrol || enrollable.length === 0)) {
    return {
      ...common(achieved),
      outcome: 'elsewhere',
      accepted: candidates.filter((f) => !f.backup).map((f) => f.id),
    };
  }
  if (enrollable.length > 0)
    return { ...common(achieved), outcome: 'enrol', factors: enrollable.map((f) => f.id) };
  return { ...common(achieved), outcome: 'unmet' };
}
