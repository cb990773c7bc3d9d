/**
 * A software authenticator for HTTP-level passkey tests: registration answers ("none"
 * attestation, a fresh P-256 key) and assertions signed with that key, for the options a passkey
 * page carries, as a browser would post them. The real ceremony runs in Chromium
 * (test/browser/passkeys.test.ts); this one lets a test choose what Chromium's virtual
 * authenticator cannot, such as a synced passkey, another origin or an answer sent twice.
 */
import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

/** What a registration answer is built from: the page's options block. */
export interface RegistrationOptions {
  challenge: string;
  rp: { id?: string };
  /** base64url user handle (the account id). */
  user?: { id?: string };
}

/** What an assertion is built from: a challenge page's options block. */
export interface AuthenticationOptions {
  challenge: string;
  rpId?: string;
  allowCredentials?: { id: string }[];
  userVerification?: string;
}

/** The options of a passkey page (its `<script type="application/json" id="webauthn-options">`). */
export function passkeyOptions<T = RegistrationOptions>(html: string): T {
  const block = /<script type="application\/json" id="webauthn-options">([\s\S]*?)<\/script>/.exec(html)?.[1];
  if (!block) throw new Error(`no passkey options on the page:\n${html.slice(0, 600)}`);
  return JSON.parse(block) as T;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest();
const b64u = (data: Buffer | Uint8Array) => Buffer.from(data).toString('base64url');

/**
 * One software passkey: a P-256 key pair, a credential id and a sign counter. `register` answers a
 * registration page, `assert` a challenge page (signing with the private key, counter + 1).
 */
export class SoftPasskey {
  readonly id = randomBytes(16);
  readonly synced: boolean;
  /** The sign counter of the last answer. */
  counter = 0;
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  private userHandle: string | undefined;

  constructor({ synced = false }: { synced?: boolean } = {}) {
    this.synced = synced;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = privateKey;
    this.publicKey = publicKey;
  }

  /** base64url credential id, as the server stores it. */
  get credentialId(): string {
    return b64u(this.id);
  }

  /** User present, user verified; backup eligible and backed up when synced. */
  private flags(extra = 0) {
    return 0x01 | 0x04 | extra | (this.synced ? 0x08 | 0x10 : 0);
  }

  /** The registration answer to `options` from `origin`, as the JSON the page posts. */
  register(options: RegistrationOptions, origin: string): string {
    const rpId = options.rp.id ?? new URL(origin).hostname;
    this.userHandle = options.user?.id;
    const jwk = this.publicKey.export({ format: 'jwk' });
    // COSE EC2 key: kty 2, alg -7 (ES256), crv 1 (P-256), x, y.
    const cose = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x ?? '', 'base64url')],
      [-3, Buffer.from(jwk.y ?? '', 'base64url')],
    ]);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.id.length);
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([this.flags(0x40)]), // + attested credential data
      Buffer.alloc(4), // sign count
      Buffer.alloc(16), // AAGUID: none
      idLength,
      this.id,
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
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      response: {
        clientDataJSON: b64u(Buffer.from(clientData)),
        attestationObject: b64u(attestation),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    });
  }

  /**
   * The assertion answering `options` as if the browser were at `origin` (a wrong one is what a
   * look-alike site would get), signed with this passkey's key; the sign counter moves forward.
   */
  assert(options: AuthenticationOptions, origin: string): string {
    const rpId = options.rpId ?? new URL(origin).hostname;
    this.counter += 1;
    const count = Buffer.alloc(4);
    count.writeUInt32BE(this.counter);
    const authData = Buffer.concat([sha256(rpId), Buffer.from([this.flags()]), count]);
    const clientData = Buffer.from(
      JSON.stringify({ type: 'webauthn.get', challenge: options.challenge, origin, crossOrigin: false }),
    );
    // ES256: an ASN.1 DER signature over authenticatorData || SHA-256(clientDataJSON).
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), this.privateKey);
    return JSON.stringify({
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      response: {
        clientDataJSON: b64u(clientData),
        authenticatorData: b64u(authData),
        signature: b64u(signature),
        ...(this.userHandle ? { userHandle: this.userHandle } : {}),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    });
  }
}

/**
 * The answer to `options` from `origin` by a fresh passkey, as the JSON the page posts in its
 * `response` field. `synced` marks the passkey backup-eligible and backed up (a multi-device passkey).
 */
export function registrationAnswer(
  options: RegistrationOptions,
  origin: string,
  { synced = false }: { synced?: boolean } = {},
): string {
  return new SoftPasskey({ synced }).register(options, origin);
}
