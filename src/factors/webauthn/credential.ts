import type { AuthenticatorTransport, WebAuthnCredential } from '@simplewebauthn/server';
import type { Credential } from '../types.ts';

/**
 * How a passkey is stored in `Credential.data`: the public key (not a secret, so kept as is),
 * the sign counter, and what the authenticator said about itself. Nothing here lets anyone
 * sign in; the private key never leaves the authenticator.
 */
export interface PasskeyData {
  /** base64url credential id. */
  credential_id: string;
  /** base64url COSE public key. */
  public_key: string;
  counter: number;
  transports: AuthenticatorTransport[];
  aaguid: string;
  /** `multiDevice` = synced (backup-eligible), `singleDevice` = bound to one authenticator. */
  device_type: 'singleDevice' | 'multiDevice';
  backed_up: boolean;
}

/** The stored data of a passkey credential, or undefined when it is not one. */
export function passkeyOf(credential: Credential): PasskeyData | undefined {
  const d = credential.data as Partial<PasskeyData>;
  if (
    typeof d.credential_id !== 'string' ||
    typeof d.public_key !== 'string' ||
    typeof d.counter !== 'number'
  )
    return undefined;
  return d as PasskeyData;
}

/** The library's view of a stored passkey. */
export const toWebAuthnCredential = (p: PasskeyData): WebAuthnCredential => ({
  id: p.credential_id,
  publicKey: new Uint8Array(Buffer.from(p.public_key, 'base64url')),
  counter: p.counter,
  transports: p.transports,
});

/** RFC 8176: `swk` for a synced (software-held) key, `hwk` for one bound to its device. */
export const amrOf = (p: Pick<PasskeyData, 'device_type'>, userVerified: boolean): string[] => [
  p.device_type === 'multiDevice' ? 'swk' : 'hwk',
  ...(userVerified ? ['user'] : []),
];
