import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/** A chain head as checkpointed: organization, seq, hash, and when it was taken (ISO 8601 UTC, ms). */
export interface AuditCheckpointHead {
  orgId: string;
  seq: number;
  hash: string;
  createdAt: string;
}

/** A signed checkpoint: the head, the signing key's id and the Ed25519 signature (base64). */
export interface SignedAuditCheckpoint extends AuditCheckpointHead {
  keyId: string;
  signature: string;
}

// DER prefixes of an Ed25519 private key (PKCS#8) and public key (SPKI) around the raw 32 bytes (RFC 8410).
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * The signed bytes of a checkpoint (docs/adr/0020): UTF-8 of five lines, each ending in `\n`:
 * `keyhouse.audit.checkpoint/v1`, the organization id, the seq in decimal, the entry hash (lowercase
 * hex) and the time it was taken. A C2SP tlog-checkpoint-like text, not JSON, so a verifier in any
 * language rebuilds it without a canonicalization library.
 */
export function checkpointText(head: AuditCheckpointHead): string {
  return `keyhouse.audit.checkpoint/v1\n${head.orgId}\n${head.seq}\n${head.hash}\n${head.createdAt}\n`;
}

/** Parses `id:base64(32 bytes)[,id:base64…]` into raw keys by id; throws on a malformed entry. */
export function parseKeyList(value: string, what: string): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  for (const entry of value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const colon = entry.indexOf(':');
    const raw = colon > 0 ? Buffer.from(entry.slice(colon + 1), 'base64') : Buffer.alloc(0);
    if (raw.length !== 32) throw new Error(`${what}: expected "id:base64(32 bytes)"`);
    keys.set(entry.slice(0, colon), raw);
  }
  return keys;
}

/** The Ed25519 public key (raw 32 bytes, base64) of a private key's 32-byte seed. */
export function publicKeyOfSeed(seed: Buffer): string {
  const spki = createPublicKey(createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' })).export({
    format: 'der',
    type: 'spki',
  });
  return spki.subarray(SPKI_ED25519.length).toString('base64');
}

/**
 * Signs checkpoints with the active Ed25519 key (`AUDIT_CHECKPOINT_SIGNING_KEY`, `id:base64(seed)`)
 * and verifies them with **public keys only**: the active key's public half plus retired keys
 * (`AUDIT_CHECKPOINT_PUBLIC_KEYS`, `id:base64(raw public key)`). A checkpoint signed by any other
 * key, or whose bytes changed, does not verify (RELIABILITY.md SEC-AL-06).
 */
export class AuditCheckpointSigner {
  readonly keyId: string;
  private readonly privateKey: KeyObject;
  private readonly publicKeys = new Map<string, KeyObject>();

  constructor(signingKey: string, retiredPublicKeys = '') {
    const [[keyId, seed]] = [...parseKeyList(signingKey, 'AUDIT_CHECKPOINT_SIGNING_KEY')];
    this.keyId = keyId;
    this.privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
    for (const [id, raw] of parseKeyList(retiredPublicKeys, 'AUDIT_CHECKPOINT_PUBLIC_KEYS')) {
      this.publicKeys.set(id, createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' }));
    }
    this.publicKeys.set(keyId, createPublicKey(this.privateKey));
  }

  /** The verifying keys by id, raw 32 bytes in base64 (what an external verifier needs). */
  get publicKeysBase64(): Record<string, string> {
    return Object.fromEntries(
      [...this.publicKeys].map(([id, key]) => [
        id,
        key.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519.length).toString('base64'),
      ]),
    );
  }

  sign(head: AuditCheckpointHead): SignedAuditCheckpoint {
    const signature = sign(null, Buffer.from(checkpointText(head), 'utf8'), this.privateKey).toString('base64');
    return { orgId: head.orgId, seq: head.seq, hash: head.hash, createdAt: head.createdAt, keyId: this.keyId, signature };
  }

  /** True when `checkpoint.signature` is a valid signature of its head by the key it names. */
  verify(checkpoint: SignedAuditCheckpoint): boolean {
    const key = this.publicKeys.get(checkpoint.keyId);
    if (!key || typeof checkpoint.signature !== 'string') return false;
    try {
      return verify(null, Buffer.from(checkpointText(checkpoint), 'utf8'), key, Buffer.from(checkpoint.signature, 'base64'));
    } catch {
      return false;
    }
  }
}
