import { randomBytes, randomInt } from 'node:crypto';
import { SecretCipher } from './secret-cipher.service';

const newKey = (bytes = 32): string => randomBytes(bytes).toString('base64');

/** AAD layout from RELIABILITY.md §7: service|table|column|row_owner_id|provider. */
const aad = (owner: string, provider = 'google'): string => `calendar|oauth_account|refresh_token|${owner}|${provider}`;

/** The parts of a `v1.<keyId>.<iv>.<tag>.<ciphertext>` envelope, decoded. */
function partsOf(envelope: string): { version: string; keyId: string; iv: Buffer; tag: Buffer; ciphertext: Buffer } {
  const [version, keyId, iv, tag, ciphertext] = envelope.split('.');
  return {
    version,
    keyId,
    iv: Buffer.from(iv, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
    ciphertext: Buffer.from(ciphertext, 'base64url'),
  };
}

function envelopeOf(parts: { version?: string; keyId: string; iv: Buffer; tag: Buffer; ciphertext: Buffer }): string {
  return [
    parts.version ?? 'v1',
    parts.keyId,
    parts.iv.toString('base64url'),
    parts.tag.toString('base64url'),
    parts.ciphertext.toString('base64url'),
  ].join('.');
}

function flipBit(bytes: Buffer, bit: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[bit >> 3] ^= 1 << (bit & 7);
  return copy;
}

/** Random text of `size` characters drawn from ASCII, Latin-1, BMP and astral ranges. */
function randomText(size: number): string {
  const style = randomInt(4);
  if (style === 0) return randomBytes(size).toString('base64url').slice(0, size);
  if (style === 1) return randomBytes(size).toString('latin1');
  const chars: string[] = [];
  for (let i = 0; i < size; i++) {
    const cp = style === 2 ? randomInt(0x20, 0xd800) : randomInt(0x1f300, 0x1fa00);
    chars.push(String.fromCodePoint(cp));
  }
  return chars.join('');
}

describe('SecretCipher', () => {
  const k1 = newKey();
  const k2 = newKey();
  const cipher = new SecretCipher({ k1 }, 'k1');

  describe('constructor', () => {
    it.each([
      ['31 bytes', 31],
      ['33 bytes', 33],
      ['16 bytes', 16],
      ['0 bytes', 0],
    ])('throws when a key is %s long', (_label, bytes) => {
      expect(() => new SecretCipher({ k1: newKey(bytes) }, 'k1')).toThrow(/32 bytes/);
    });

    it('throws when the active key id is not in the keyring', () => {
      expect(() => new SecretCipher({ k1 }, 'k2')).toThrow(/not in the keyring/);
    });

    it.each([
      ['contains a dot', 'k.1'],
      ['is empty', ''],
      ['is 33 characters long', 'k'.repeat(33)],
      ['contains a space', 'k 1'],
    ])('throws when a key id %s', (_label, id) => {
      expect(() => new SecretCipher({ [id]: k1, k1 }, 'k1')).toThrow(/Key id/);
    });
  });

  describe('encrypt', () => {
    it('writes a v1 envelope with the active key id, a 12-byte IV, a 16-byte tag and ciphertext as long as the UTF-8 plaintext', () => {
      const plaintext = 'ya29.a0AfH6SMB-token-é-🔑';
      const parts = partsOf(cipher.encrypt(plaintext, aad('user-a')));
      expect(parts.version).toBe('v1');
      expect(parts.keyId).toBe('k1');
      expect(parts.iv).toHaveLength(12);
      expect(parts.tag).toHaveLength(16);
      expect(parts.ciphertext).toHaveLength(Buffer.byteLength(plaintext, 'utf8'));
      expect(cipher.encrypt(plaintext, aad('user-a'))).not.toContain(Buffer.from(plaintext).toString('base64url'));
    });

    it('uses 10 000 distinct IVs when encrypting 10 000 times under one key', () => {
      const ivs = new Set<string>();
      for (let i = 0; i < 10_000; i++) ivs.add(partsOf(cipher.encrypt('same plaintext', 'same aad')).iv.toString('hex'));
      expect(ivs.size).toBe(10_000);
    });
  });

  describe('decrypt', () => {
    it('returns the plaintext when round-tripping 2 000 random strings of 0 to 8 KB (SEC-EN-01)', () => {
      const sizes = [0, 1, 8192, ...Array.from({ length: 1997 }, () => randomInt(0, 8193))];
      for (const size of sizes) {
        const plaintext = randomText(size);
        const owner = randomBytes(8).toString('hex');
        expect(cipher.decrypt(cipher.encrypt(plaintext, aad(owner)), aad(owner))).toBe(plaintext);
      }
    });

    describe('when one bit is flipped (SEC-EN-02)', () => {
      const plaintext = 'refresh-token-1//0gXyZ';
      const associated = aad('user-a');
      const envelope = cipher.encrypt(plaintext, associated);
      const parts = partsOf(envelope);

      it.each(['iv', 'tag', 'ciphertext'] as const)('throws for every single-bit change of the %s', (field) => {
        const bits = parts[field].length * 8;
        let rejected = 0;
        for (let bit = 0; bit < bits; bit++) {
          const tampered = envelopeOf({ ...parts, [field]: flipBit(parts[field], bit) });
          expect(() => cipher.decrypt(tampered, associated)).toThrow();
          rejected++;
        }
        expect(rejected).toBe(bits);
      });

      it('throws for every single-bit change of the associated data', () => {
        const bytes = Buffer.from(associated, 'utf8');
        for (let bit = 0; bit < bytes.length * 8; bit++) {
          expect(() => cipher.decrypt(envelope, flipBit(bytes, bit).toString('latin1'))).toThrow();
        }
      });

      it('still decrypts when nothing was changed', () => {
        expect(cipher.decrypt(envelopeOf(parts), associated)).toBe(plaintext);
      });
    });

    it('throws when row A ciphertext is copied into row B (SEC-EN-04)', () => {
      const rowA = cipher.encrypt('token of user A', aad('0190a6f2-0000-7000-8000-00000000000a'));
      expect(() => cipher.decrypt(rowA, aad('0190a6f2-0000-7000-8000-00000000000b'))).toThrow();
      expect(() => cipher.decrypt(rowA, aad('0190a6f2-0000-7000-8000-00000000000a', 'microsoft'))).toThrow();
      expect(() => cipher.decrypt(rowA, '')).toThrow();
      expect(cipher.decrypt(rowA, aad('0190a6f2-0000-7000-8000-00000000000a'))).toBe('token of user A');
    });

    it.each([15, 12, 8, 4])('throws when the tag is truncated to its first %i bytes (SEC-EN-03)', (length) => {
      const associated = aad('user-a');
      const parts = partsOf(cipher.encrypt('short-tag attack', associated));
      const truncated = envelopeOf({ ...parts, tag: parts.tag.subarray(0, length) });
      expect(() => cipher.decrypt(truncated, associated)).toThrow();
    });

    it('throws when the tag is longer than 16 bytes', () => {
      const associated = aad('user-a');
      const parts = partsOf(cipher.encrypt('long-tag', associated));
      expect(() => cipher.decrypt(envelopeOf({ ...parts, tag: Buffer.concat([parts.tag, Buffer.from([0])]) }), associated)).toThrow();
    });

    it('throws an explicit unknown-key error when the key id is not in the keyring (SEC-EN-07)', () => {
      const other = new SecretCipher({ k2 }, 'k2');
      expect(() => other.decrypt(cipher.encrypt('secret', 'aad'), 'aad')).toThrow('Unknown encryption key id "k1"');
    });

    it('does not fall back to another key when the envelope names an unknown key id', () => {
      const parts = partsOf(cipher.encrypt('secret', 'aad'));
      // The only key in the ring is the one that produced this ciphertext, so a fallback would succeed.
      expect(() => cipher.decrypt(envelopeOf({ ...parts, keyId: 'k9' }), 'aad')).toThrow('Unknown encryption key id "k9"');
      expect(() => cipher.decrypt(envelopeOf({ ...parts, keyId: '' }), 'aad')).toThrow(/Unknown encryption key id/);
    });

    it('throws when the key with that id is a different key', () => {
      const impostor = new SecretCipher({ k1: k2 }, 'k1');
      expect(() => impostor.decrypt(cipher.encrypt('secret', 'aad'), 'aad')).toThrow();
    });

    it.each([
      ['an empty string', ''],
      ['plain text', 'not an envelope'],
      ['another version', 'v2.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.AA'],
      ['four parts', 'v1.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA'],
      ['six parts', 'v1.k1.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.AA.AA'],
      ['an 11-byte IV', `v1.k1.${Buffer.alloc(11).toString('base64url')}.${Buffer.alloc(16).toString('base64url')}.AA`],
      ['a 16-byte IV', `v1.k1.${Buffer.alloc(16).toString('base64url')}.${Buffer.alloc(16).toString('base64url')}.AA`],
    ])('throws when the envelope is %s', (_label, envelope) => {
      expect(() => cipher.decrypt(envelope, 'aad')).toThrow();
    });

    it('decrypts values under an old key after the active key changes', () => {
      const before = new SecretCipher({ k1 }, 'k1');
      const stored = before.encrypt('seed-JBSWY3DPEHPK3PXP', aad('user-a'));
      const after = new SecretCipher({ k1, k2 }, 'k2');
      expect(after.decrypt(stored, aad('user-a'))).toBe('seed-JBSWY3DPEHPK3PXP');
      const reencrypted = after.encrypt(after.decrypt(stored, aad('user-a')), aad('user-a'));
      expect(partsOf(reencrypted).keyId).toBe('k2');
      expect(after.decrypt(reencrypted, aad('user-a'))).toBe('seed-JBSWY3DPEHPK3PXP');
      expect(() => before.decrypt(reencrypted, aad('user-a'))).toThrow('Unknown encryption key id "k2"');
    });
  });

  describe('needsRotation', () => {
    it('is true for a value under an old key and false for one under the active key', () => {
      const stored = new SecretCipher({ k1 }, 'k1').encrypt('x', 'aad');
      const rotated = new SecretCipher({ k1, k2 }, 'k2');
      expect(rotated.needsRotation(stored)).toBe(true);
      expect(rotated.needsRotation(rotated.encrypt('x', 'aad'))).toBe(false);
    });
  });
});
