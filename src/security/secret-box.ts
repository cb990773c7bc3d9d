import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';

/** Encrypts small secrets (TOTP seeds) at rest with AES-256-GCM under rotating keys. */
export interface SecretBox {
  /** Seals with the newest key; `context` is bound as AAD (e.g. the account id). */
  seal(plaintext: Buffer, context: string): string;
  /** Opens with the key named in the sealed value; throws when it is unknown or tampered with. */
  open(sealed: string, context: string): Buffer;
}

/** One encryption key: an id stored beside each ciphertext, and 32 raw bytes. */
export interface SecretKey {
  id: string;
  key: Buffer;
}

/**
 * Format: `v1.{kid}.{iv}.{ciphertext}.{tag}` (base64url parts). The key id travels with the
 * ciphertext so old secrets still open after a new key is put first in the configuration.
 * @param keys newest first; at least one
 */
export function createSecretBox(keys: SecretKey[]): SecretBox {
  const [current] = keys;
  if (!current) throw new Error('secret box: at least one key is needed');
  for (const k of keys) {
    if (k.key.length !== 32) throw new Error(`secret box: key ${k.id} is not 32 bytes`);
    if (k.id.includes('.')) throw new Error(`secret box: key id ${k.id} contains "."`);
  }
  // Imported once as KeyObjects: importing raw key bytes on every call cost the proxy ~5% CPU.
  const byId = new Map(keys.map((k) => [k.id, createSecretKey(k.key)]));
  const currentKey = byId.get(current.id) as ReturnType<typeof createSecretKey>;
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', currentKey, iv);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      const parts = [iv, ct, cipher.getAuthTag()].map((b) => b.toString('base64url'));
      return ['v1', current.id, ...parts].join('.');
    },
    open(sealed, context) {
      const [version, kid, iv, ct, tag] = sealed.split('.');
      if (version !== 'v1' || !kid || !iv || !ct || !tag) throw new Error('secret box: malformed value');
      const key = byId.get(kid);
      if (!key) throw new Error(`secret box: unknown key id ${kid}`);
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]);
    },
  };
}

/** Builds a box from configuration (`mfa.encryption_keys`: base64 keys). */
export function secretBoxFromConfig(keys: { id: string; key: string }[]): SecretBox {
  return createSecretBox(keys.map((k) => ({ id: k.id, key: Buffer.from(k.key, 'base64') })));
}
