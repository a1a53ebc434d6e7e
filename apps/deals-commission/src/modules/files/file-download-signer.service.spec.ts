import { FileDownloadSigner, signedDownloadPath } from './file-download-signer.service';

const REF = { transactionId: '0b9e5c1a-6f4e-4d8a-9a51-3c2f7e1d2b40', fileId: '5d1c7a2e-0f3b-4c6d-8e9a-1b2c3d4e5f60' };
const SECRET = 'a-signing-secret-of-forty-characters-xyz';

describe('FileDownloadSigner', () => {
  let now: number;
  const clock = () => now;

  beforeEach(() => {
    now = Date.parse('2026-12-01T10:00:00.400Z');
  });

  describe('sign', () => {
    it('expires ttl seconds from now, rounded down to the second, with a base64url HMAC-SHA256', () => {
      const signed = new FileDownloadSigner(SECRET, clock).sign(REF, 300);
      expect(signed.expires).toBe(Date.parse('2026-12-01T10:05:00Z') / 1000);
      expect(signed.signature).toMatch(/^[A-Za-z0-9_-]{43}$/);
    });

    it('gives the same signature for the same key, file and expiry, and another for another key', () => {
      const a = new FileDownloadSigner(SECRET, clock).sign(REF, 300);
      expect(new FileDownloadSigner(SECRET, clock).sign(REF, 300)).toEqual(a);
      expect(new FileDownloadSigner(`${SECRET}!`, clock).sign(REF, 300).signature).not.toBe(a.signature);
    });
  });

  describe('check', () => {
    it('accepts its own signature until the expiry, then answers expired', () => {
      const signer = new FileDownloadSigner(SECRET, clock);
      const { expires, signature } = signer.sign(REF, 60);
      expect(signer.check(REF, expires, signature)).toBe('valid');
      now = expires * 1000 - 1;
      expect(signer.check(REF, expires, signature)).toBe('valid');
      now = expires * 1000;
      expect(signer.check(REF, expires, signature)).toBe('expired');
    });

    it('refuses another file, deal, expiry or signature as invalid (even once expired)', () => {
      const signer = new FileDownloadSigner(SECRET, clock);
      const { expires, signature } = signer.sign(REF, 60);
      expect(signer.check({ ...REF, fileId: REF.transactionId }, expires, signature)).toBe('invalid');
      expect(signer.check({ ...REF, transactionId: REF.fileId }, expires, signature)).toBe('invalid');
      expect(signer.check(REF, expires + 1, signature)).toBe('invalid');
      expect(signer.check(REF, expires, `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`)).toBe('invalid');
      expect(signer.check(REF, expires, signature.slice(1))).toBe('invalid');
      expect(signer.check(REF, 1.5, signature)).toBe('invalid');
      now = (expires + 3600) * 1000;
      expect(signer.check(REF, expires + 1, signature)).toBe('invalid');
    });

    it('with no secret, signs with a random key of its own that another process does not share', () => {
      const signer = new FileDownloadSigner(undefined, clock);
      const { expires, signature } = signer.sign(REF, 60);
      expect(signer.check(REF, expires, signature)).toBe('valid');
      expect(new FileDownloadSigner(undefined, clock).check(REF, expires, signature)).toBe('invalid');
    });
  });
});

describe('signedDownloadPath', () => {
  it('is the gateway route of the file with expires and signature in the query', () => {
    expect(signedDownloadPath(REF, { expires: 1_796_119_500, signature: 'ab-_c' })).toBe(
      `/v1/transactions/${REF.transactionId}/files/${REF.fileId}/signed?expires=1796119500&signature=ab-_c`,
    );
  });
});
