import { createPublicKey, randomBytes, verify } from 'node:crypto';
import { AuditCheckpointSigner, checkpointText, publicKeyOfSeed } from './audit-checkpoint-signer.service';

const seed = randomBytes(32);
const head = { orgId: '0190a3b4-0000-7000-8000-000000000001', seq: 42, hash: 'ab'.repeat(32), createdAt: '2026-11-21T03:00:00.000Z' };

describe('AuditCheckpointSigner', () => {
  describe('sign', () => {
    it('produces a signature that verifies with the raw public key alone (SEC-AL-06)', () => {
      const signed = new AuditCheckpointSigner(`k1:${seed.toString('base64')}`).sign(head);
      expect(signed).toMatchObject({ ...head, keyId: 'k1' });
      const publicKey = createPublicKey({
        key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(publicKeyOfSeed(seed), 'base64')]),
        format: 'der',
        type: 'spki',
      });
      const text = `keyhouse.audit.checkpoint/v1\n${head.orgId}\n42\n${head.hash}\n${head.createdAt}\n`;
      expect(checkpointText(head)).toBe(text);
      expect(verify(null, Buffer.from(text), publicKey, Buffer.from(signed.signature, 'base64'))).toBe(true);
    });
  });

  describe('verify', () => {
    const signer = new AuditCheckpointSigner(`k2:${seed.toString('base64')}`);
    const signed = signer.sign(head);

    it('accepts an untouched checkpoint and refuses a changed hash, seq or time', () => {
      expect(signer.verify(signed)).toBe(true);
      expect(signer.verify({ ...signed, hash: 'cd'.repeat(32) })).toBe(false);
      expect(signer.verify({ ...signed, seq: 41 })).toBe(false);
      expect(signer.verify({ ...signed, createdAt: '2026-11-21T03:00:00.001Z' })).toBe(false);
    });

    it('refuses a checkpoint signed by an unknown key, and accepts one of a retired key given by its public key', () => {
      const otherSeed = randomBytes(32);
      const forged = new AuditCheckpointSigner(`k2:${otherSeed.toString('base64')}`).sign(head);
      expect(signer.verify(forged)).toBe(false);
      const retired = new AuditCheckpointSigner(`old:${otherSeed.toString('base64')}`).sign(head);
      expect(signer.verify(retired)).toBe(false);
      const rotated = new AuditCheckpointSigner(`k3:${randomBytes(32).toString('base64')}`, `old:${publicKeyOfSeed(otherSeed)}`);
      expect(rotated.verify(retired)).toBe(true);
      expect(rotated.verify(signed)).toBe(false);
    });
  });
});
