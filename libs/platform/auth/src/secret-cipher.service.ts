import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Encryption of secrets at rest (TOTP seeds, signing keys, OAuth tokens) with AES-256-GCM
 * (NIST SP 800-38D): 96-bit random IV, 128-bit tag enforced on decrypt (`authTagLength: 16`, see
 * nodejs/node#52327), and associated data binding a ciphertext to its row, so a value copied into
 * another row fails to decrypt (RELIABILITY.md §7).
 *
 * Envelope: `v1.<keyId>.<iv>.<tag>.<ciphertext>`, each part base64url. New values use the active
 * key; older keys stay in the keyring for decryption until re-encrypted.
 */
export class SecretCipher {
  private readonly keys = new Map<string, Buffer>();

  /**
   * @param keyring key id → 32-byte key (base64). Throws when a key is not 32 bytes or the active
   *   id is not in the ring.
   */
  constructor(
    keyring: Record<string, string>,
    private readonly activeKeyId: string,
  ) {
    for (const [id, base64] of Object.entries(keyring)) {
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(id)) throw new Error(`Key id "${id}" must be 1-32 characters [A-Za-z0-9_-]`);
      const key = Buffer.from(base64, 'base64');
      if (key.length !== 32) throw new Error(`Key "${id}" must be 32 bytes (base64), got ${key.length}`);
      this.keys.set(id, key);
    }
    if (!this.keys.has(activeKeyId)) throw new Error(`Active key "${activeKeyId}" is not in the keyring`);
  }

  encrypt(plaintext: string, associatedData: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.keys.get(this.activeKeyId)!, iv, { authTagLength: 16 });
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return ['v1', this.activeKeyId, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
  }

  /** Throws when the envelope is malformed, the key id unknown, or the tag does not verify. */
  decrypt(envelope: string, associatedData: string): string {
    const parts = envelope.split('.');
    if (parts.length !== 5 || parts[0] !== 'v1') throw new Error('Not a v1 secret envelope');
    const [, keyId, ivText, tagText, ciphertextText] = parts;
    const key = this.keys.get(keyId);
    if (!key) throw new Error(`Unknown encryption key id "${keyId}"`);
    const iv = Buffer.from(ivText, 'base64url');
    const tag = Buffer.from(tagText, 'base64url');
    if (iv.length !== 12 || tag.length !== 16) throw new Error('Malformed secret envelope');
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    decipher.setAuthTag(tag);
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertextText, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** True when the value was encrypted with a key other than the active one (needs re-encryption). */
  needsRotation(envelope: string): boolean {
    return envelope.split('.')[1] !== this.activeKeyId;
  }
}
