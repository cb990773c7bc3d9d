import { describe, expect, it } from 'vitest';
import {
  ACR_ONE_FACTOR as A1,
  ACR_TWO_FACTOR as A2,
  ACR_PHISHING_RESISTANT as A3,
  type ClientRules,
  type Decision,
  type DecisionInput,
  decide,
  type FactorTraits,
  finalAcr,
} from '../../src/policy/exports.ts';

/*
 * The decision table: policy (off/optional/required) x enrolled or not x acr_values x essential
 * acr x remembered browser x restricted factors x phishing-resistant requirement x max_age.
 * Each row names the branch of src/policy/decide.ts it pins.
 */

const FACTORS: FactorTraits[] = [
  { id: 'totp', amr: ['otp'], backup: false, restricted: false, enrollable: true },
  { id: 'email', amr: ['email'], backup: false, restricted: true, enrollable: true },
  { id: 'recovery', amr: ['recovery'], backup: true, restricted: false, enrollable: true },
  {
    id: 'webauthn',
    amr: ['hwk', 'swk'],
    backup: false,
    restricted: false,
    enrollable: true,
    phishingResistant: true,
  },
];

const client = (over: Partial<ClientRules> = {}): ClientRules => ({
  policy: 'optional',
  factors: FACTORS.map((f) => f.id),
  allowRestricted: true,
  requirePhishingResistant: false,
  ...over,
});

const essential = (...values: string[]) => JSON.stringify({ id_token: { acr: { essential: true, values } } });

interface Row {
  name: string;
  input: Partial<DecisionInput>;
  expect: Partial<Decision> & Record<string, unknown>;
}

const PWD = ['pwd'];
const ROWS: Row[] = [
  // first factor
  {
    name: 'nothing proven -> first factor',
    input: { proven: [] },
    expect: { outcome: 'first_factor', achieved: 0, enough: false },
  },
  {
    name: 'max_age elapsed since the methods were proven -> first factor again',
    input: {
      proven: ['pwd', 'otp'],
      provenAt: 1000,
      now: 2000,
      params: { max_age: 500 },
      enrolled: ['totp'],
    },
    expect: { outcome: 'first_factor', enough: false },
  },
  {
    name: 'max_age not elapsed -> the session counts',
    input: {
      proven: ['pwd', 'otp'],
      provenAt: 1800,
      now: 2000,
      params: { max_age: 500 },
      enrolled: ['totp'],
    },
    expect: { outcome: 'satisfied', achieved: 2, acr: A2 },
  },
  // policy off
  {
    name: 'off, not enrolled -> password suffices',
    input: { client: client({ policy: 'off' }) },
    expect: { outcome: 'satisfied', required: 1, acr: A1, amr: ['pwd'] },
  },
  {
    name: 'off, enrolled, acr_values 2fa -> still one factor (off clamps voluntary asks)',
    input: { client: client({ policy: 'off' }), enrolled: ['totp'], params: { acr_values: A2 } },
    expect: { outcome: 'satisfied', required: 1, acr: A1 },
  },
  {
    name: 'off, essential 2fa -> unmet (essential cannot be reached)',
    input: { client: client({ policy: 'off' }), params: { claims: essential(A2) } },
    expect: { outcome: 'unmet', required: 1, achieved: 1 },
  },
  {
    name: 'no accepted factor -> like off',
    input: { client: client({ factors: [] }), params: { acr_values: A2 } },
    expect: { outcome: 'satisfied', required: 1 },
  },
  // optional
  {
    name: 'optional, not enrolled -> password suffices',
    input: {},
    expect: { outcome: 'satisfied', required: 1, acr: A1, mayEnrol: true },
  },
  {
    name: 'optional, enrolled -> challenge, backup codes offered beside the real factor',
    input: { enrolled: ['totp', 'recovery'] },
    expect: {
      outcome: 'challenge',
      required: 2,
      factors: ['totp', 'recovery'],
      primary: ['totp'],
      mayEnrol: false,
    },
  },
  {
    name: 'optional, only backup codes enrolled -> not required (backup never counts alone)',
    input: { enrolled: ['recovery'] },
    expect: { outcome: 'satisfied', required: 1 },
  },
  {
    name: 'optional, enrolled, second factor proven -> satisfied with mfa marker',
    input: { enrolled: ['totp'], proven: ['pwd', 'otp'] },
    expect: { outcome: 'satisfied', achieved: 2, acr: A2, amr: ['pwd', 'otp', 'mfa'], mayEnrol: true },
  },
  {
    name: 'optional, not enrolled, acr_values 2fa -> enrol',
    input: { params: { acr_values: `urn:unknown ${A2}` } },
    expect: { outcome: 'enrol', required: 2, factors: ['totp', 'email', 'webauthn'] },
  },
  {
    name: 'optional, default acr 2fa -> enrol',
    input: { client: client({ defaultAcr: A2 }) },
    expect: { outcome: 'enrol', required: 2 },
  },
  // required
  {
    name: 'required, not enrolled -> enrol',
    input: { client: client({ policy: 'required' }) },
    expect: { outcome: 'enrol', required: 2 },
  },
  {
    name: 'required, nothing enrollable -> unmet',
    input: { client: client({ policy: 'required', factors: ['recovery'] }) },
    expect: { outcome: 'unmet' },
  },
  {
    name: 'required, enrolled in a factor the client does not accept -> elsewhere',
    input: { client: client({ policy: 'required', factors: ['totp'] }), enrolled: ['email'] },
    expect: { outcome: 'elsewhere', accepted: ['totp'] },
  },
  {
    name: 'required, a session proven with a factor the client does not accept counts as one factor',
    input: {
      client: client({ policy: 'required', factors: ['totp'] }),
      enrolled: ['totp', 'email'],
      proven: ['pwd', 'email'],
    },
    expect: { outcome: 'challenge', achieved: 1, factors: ['totp'] },
  },
  // essential acr
  {
    name: 'essential 2fa raises an optional client without factors -> enrol',
    input: { params: { claims: essential(A2) } },
    expect: { outcome: 'enrol', required: 2 },
  },
  {
    name: 'essential 1fa or 2fa, one factor -> the lowest essential value is enough',
    input: { params: { claims: essential(A1, A2) } },
    expect: { outcome: 'satisfied', required: 1, acr: A1 },
  },
  {
    name: 'essential with an unknown value does not raise the level, and is not met by one factor',
    input: { params: { claims: essential('urn:other', A2) } },
    expect: { outcome: 'unmet', required: 1 },
  },
  {
    name: 'essential 1fa, two factors proven -> the essential value is asserted',
    input: { enrolled: ['totp'], proven: ['pwd', 'otp'], params: { claims: essential(A1) } },
    expect: { outcome: 'satisfied', acr: A1 },
  },
  // remembered browser
  {
    name: 'remembered otp where otp is accepted -> satisfied, remembered',
    input: { client: client({ policy: 'required' }), enrolled: ['totp'], remembered: ['otp'] },
    expect: { outcome: 'satisfied', remembered: true, amr: ['pwd', 'otp', 'mfa'] },
  },
  {
    name: 'remembered email where restricted factors are forbidden -> challenge',
    input: {
      client: client({ policy: 'required', allowRestricted: false }),
      enrolled: ['totp', 'email'],
      remembered: ['email'],
    },
    expect: { outcome: 'challenge', factors: ['totp'] },
  },
  {
    name: 'a remembered browser never vouches for phishing resistance',
    input: {
      client: client({ policy: 'required', requirePhishingResistant: true }),
      enrolled: ['webauthn'],
      remembered: ['hwk'],
    },
    expect: { outcome: 'challenge', factors: ['webauthn'] },
  },
  // restricted factors
  {
    name: 'restricted forbidden, only email enrolled -> elsewhere',
    input: { client: client({ policy: 'required', allowRestricted: false }), enrolled: ['email'] },
    expect: { outcome: 'elsewhere', accepted: ['totp', 'webauthn'] },
  },
  {
    name: 'restricted forbidden, optional, only email enrolled -> not asked',
    input: { client: client({ allowRestricted: false }), enrolled: ['email'] },
    expect: { outcome: 'satisfied', required: 1 },
  },
  // phishing resistance
  {
    name: 'requires phishing-resistant, TOTP-only session -> enrol a passkey (second factor proven)',
    input: {
      client: client({ policy: 'required', requirePhishingResistant: true }),
      enrolled: ['totp'],
      proven: ['pwd', 'otp'],
    },
    expect: { outcome: 'enrol', required: 3, achieved: 2, factors: ['webauthn'] },
  },
  {
    name: 'requires phishing-resistant, password only, TOTP enrolled -> elsewhere (no binding on a password)',
    input: { client: client({ policy: 'required', requirePhishingResistant: true }), enrolled: ['totp'] },
    expect: { outcome: 'elsewhere', accepted: ['webauthn'], mayEnrol: false },
  },
  {
    name: 'requires phishing-resistant, passkey enrolled -> challenge only the passkey',
    input: {
      client: client({ policy: 'required', requirePhishingResistant: true }),
      enrolled: ['totp', 'webauthn', 'recovery'],
      proven: ['pwd', 'otp'],
    },
    expect: { outcome: 'challenge', factors: ['webauthn'] },
  },
  {
    name: 'passwordless passkey with user verification -> phishing-resistant',
    input: {
      client: client({ policy: 'required', requirePhishingResistant: true }),
      enrolled: ['webauthn'],
      proven: ['hwk', 'user'],
    },
    expect: { outcome: 'satisfied', achieved: 3, acr: A3, amr: ['hwk', 'user', 'mfa'] },
  },
  {
    name: 'passwordless passkey without user verification, required -> the password next',
    input: { client: client({ policy: 'required' }), enrolled: ['webauthn', 'totp'], proven: ['swk'] },
    expect: { outcome: 'password', achieved: 1, required: 2 },
  },
  {
    name: 'passkey without user verification + password, phishing-resistant required -> satisfied',
    input: {
      client: client({ policy: 'required', requirePhishingResistant: true }),
      enrolled: ['webauthn'],
      proven: ['hwk', 'pwd'],
    },
    expect: { outcome: 'satisfied', achieved: 3, acr: A3 },
  },
  {
    name: 'password + passkey -> phishing-resistant',
    input: { enrolled: ['webauthn'], proven: ['pwd', 'hwk'] },
    expect: { outcome: 'satisfied', achieved: 3, acr: A3 },
  },
  {
    name: 'acr_values phr on an optional client -> only passkeys',
    input: { enrolled: ['totp', 'webauthn'], proven: ['pwd'], params: { acr_values: A3 } },
    expect: { outcome: 'challenge', required: 3, factors: ['webauthn'] },
  },
  {
    name: 'acr_values 2fa met by a passkey -> the asked value is asserted (it did not ask for more)',
    input: { enrolled: ['webauthn'], proven: ['pwd', 'hwk', 'user'], params: { acr_values: A2 } },
    expect: { outcome: 'satisfied', achieved: 3, acr: A2 },
  },
  {
    name: 'no acr_values, passkey -> the level reached is asserted',
    input: { enrolled: ['webauthn'], proven: ['pwd', 'hwk'] },
    expect: { outcome: 'satisfied', acr: A3 },
  },
  {
    name: 'passkey from a client that does not accept passkeys counts for nothing',
    input: { client: client({ factors: ['totp'] }), proven: ['hwk', 'user'] },
    expect: { outcome: 'satisfied', achieved: 1, acr: A1 },
  },
];

const base: DecisionInput = { client: client(), factors: FACTORS, params: {}, proven: PWD, enrolled: [] };

describe('decide: the one answer to "what does this request need"', () => {
  it.each(ROWS)('$name', (row) => {
    const decision = decide({ ...base, ...row.input }) as unknown as Record<string, unknown>;
    for (const [key, value] of Object.entries(row.expect)) expect(decision[key], key).toEqual(value);
  });

  it('finalAcr: the highest essential value the login meets', () => {
    expect(finalAcr(3, [A1, A2])).toBe(A2);
    expect(finalAcr(1, [A2, A3])).toBeUndefined();
    expect(finalAcr(2, undefined)).toBe(A2);
  });
});
