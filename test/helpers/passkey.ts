/**
 * A software authenticator for HTTP-level passkey tests: a registration answer ("none"
 * attestation, a fresh P-256 key) for the options a passkey page carries, as a browser would
 * post it. The real ceremony runs in Chromium (test/browser/passkeys.test.ts); this one lets a
 * test choose what Chromium's virtual authenticator cannot, such as a synced passkey.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/** What a registration answer is built from: the page's options block. */
export interface RegistrationOptions {
  challenge: string;
  rp: { id?: string };
}

/** The options of a passkey page (its `<script type="application/json" id="webauthn-options">`). */
export function passkeyOptions(html: string): RegistrationOptions {
  const block = /<script type="application\/json" id="webauthn-options">([\s\S]*?)<\/script>/.exec(html)?.[1];
  if (!block) throw new Error(`no passkey options on the page:\n${html.slice(0, 600)}`);
  return JSON.parse(block) as RegistrationOptions;
}

/**
 * The answer to `options` from `origin`, as the JSON the page posts in its `response` field.
 * `synced` marks the passkey backup-eligible and backed up (a multi-device passkey).
 */
export function registrationAnswer(
  options: RegistrationOptions,
  origin: string,
  { synced = false }: { synced?: boolean } = {},
): string {
  const rpId = options.rp.id ?? new URL(origin).hostname;
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  // COSE EC2 key: kty 2, alg -7 (ES256), crv 1 (P-256), x, y.
  const cose = new Map<number, number | Uint8Array>([
    [1, 2],
    [3, -7],
    [-1, 1],
    [-2, Buffer.from(jwk.x ?? '', 'base64url')],
    [-3, Buffer.from(jwk.y ?? '', 'base64url')],
  ]);
  const id = randomBytes(16);
  const idLength = Buffer.alloc(2);
  idLength.writeUInt16BE(id.length);
  // User present, user verified, attested credential data; backup eligible and backed up when synced.
  const flags = 0x01 | 0x04 | 0x40 | (synced ? 0x08 | 0x10 : 0);
  const authData = Buffer.concat([
    createHash('sha256').update(rpId).digest(),
    Buffer.from([flags]),
    Buffer.alloc(4), // sign count
    Buffer.alloc(16), // AAGUID: none
    idLength,
    id,
    isoCBOR.encode(cose),
  ]);
  const attestation = isoCBOR.encode(
    new Map<string, string | Uint8Array | Map<string, string>>([
      ['fmt', 'none'],
      ['attStmt', new Map<string, string>()],
      ['authData', new Uint8Array(authData)],
    ]),
  );
  const clientData = JSON.stringify({ type: 'webauthn.create', challenge: options.challenge, origin });
  return JSON.stringify({
    id: id.toString('base64url'),
    rawId: id.toString('base64url'),
    type: 'public-key',
    response: {
      clientDataJSON: Buffer.from(clientData).toString('base64url'),
      attestationObject: Buffer.from(attestation).toString('base64url'),
      transports: ['internal'],
    },
    clientExtensionResults: {},
    authenticatorAttachment: 'platform',
  });
}
