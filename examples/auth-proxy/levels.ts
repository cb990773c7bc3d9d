/**
 * The authentication levels an `mfa` rule can demand, and the one test of whether an ID token
 * (or the session built from it) meets one. The rules (decide) and the sign-in callback both
 * ask {@link meetsLevel}, so a route and the step-up it triggers agree on what counts.
 *
 * The acr values are tollgate's (src/policy/acr.ts): `urn:tollgate:acr:2fa`, and
 * `urn:tollgate:acr:phr` for two factors of which one is phishing-resistant (a passkey bound to
 * the origin). The acr alone is not taken on trust: the amr must show the methods too.
 */

/** What an `mfa` rule requires (`require:`). @default "two_factor" */
export type Level = 'two_factor' | 'phishing_resistant';

/** The `acr` section of the proxy configuration. */
export interface AcrSettings {
  /** acr_values asked for, and acr accepted, for two factors. */
  two_factor: string;
  /** acr_values asked for, and acr accepted, for a phishing-resistant proof. */
  phishing_resistant: string;
  /** amr methods that count as a phishing-resistant proof (RFC 8176 `hwk`, `swk`: a passkey). */
  phishing_resistant_amr: string[];
}

/** tollgate's values (the seam branch's ACR_PHISHING_RESISTANT and passkey amr). */
export const DEFAULT_ACR: AcrSettings = {
  two_factor: 'urn:tollgate:acr:2fa',
  phishing_resistant: 'urn:tollgate:acr:phr',
  phishing_resistant_amr: ['hwk', 'swk'],
};

/** The short name a step-up carries in `/oauth2/start?acr=`. */
export const LEVEL_PARAM: Record<Level, string> = { two_factor: '2fa', phishing_resistant: 'phr' };

/** The level a `/oauth2/start?acr=` value names, if any. */
export function levelOfParam(value: string | null): Level | undefined {
  if (value === '2fa') return 'two_factor';
  if (value === 'phr') return 'phishing_resistant';
  return undefined;
}

/** The acr_values to ask tollgate for. */
export function acrValueOf(level: Level, acr: AcrSettings): string {
  return level === 'phishing_resistant' ? acr.phishing_resistant : acr.two_factor;
}

/**
 * True when `acr`/`amr` prove the level. Two factors: the 2fa or the phishing-resistant acr
 * (the stronger level includes the weaker) and a method besides the password. Phishing
 * resistant: that acr and one of `phishing_resistant_amr`.
 */
export function meetsLevel(
  level: Level,
  claims: { acr?: string; amr: readonly string[] },
  acr: AcrSettings = DEFAULT_ACR,
): boolean {
  if (level === 'phishing_resistant') {
    return (
      claims.acr === acr.phishing_resistant && claims.amr.some((m) => acr.phishing_resistant_amr.includes(m))
    );
  }
  const levelOk = claims.acr === acr.two_factor || claims.acr === acr.phishing_resistant;
  return levelOk && claims.amr.some((m) => m !== 'pwd');
}
