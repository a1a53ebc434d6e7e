import { mkdir, open, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { isUuid } from '@keyhouse/util';
import { AUDIT_CONFIG, type AuditConfig } from '../../config/audit.config';
import { AuditCheckpointSigner, type SignedAuditCheckpoint } from './audit-checkpoint-signer.service';

/** One line of an organization's external checkpoint file, and whether its signature verified. */
export interface ExternalAuditCheckpoint {
  checkpoint: SignedAuditCheckpoint;
  /** False for a bad signature, an unknown key, another organization, or an unreadable line (seq 0). */
  valid: boolean;
}

/**
 * The copy of the signed checkpoints kept outside the database (RELIABILITY.md §6 point 4,
 * SEC-AL-03): `<AUDIT_ARCHIVE_DIR>/<orgId>/checkpoints.jsonl`, one JSON line per checkpoint
 * (`{ orgId, seq, hash, createdAt, keyId, signature }`), appended with O_APPEND and fsync'd before
 * the database row is written. In production the folder is a volume shipped to write-once storage
 * (object lock), which the database's owner or superuser cannot reach. Lines are never rewritten.
 */
@Injectable()
export class AuditCheckpointStore {
  readonly signer: AuditCheckpointSigner;

  constructor(
    @Inject(AUDIT_CONFIG)
    private readonly config: Pick<AuditConfig, 'AUDIT_ARCHIVE_DIR' | 'AUDIT_CHECKPOINT_SIGNING_KEY' | 'AUDIT_CHECKPOINT_PUBLIC_KEYS'>,
  ) {
    this.signer = new AuditCheckpointSigner(config.AUDIT_CHECKPOINT_SIGNING_KEY, config.AUDIT_CHECKPOINT_PUBLIC_KEYS);
  }

  /** Path of an organization's external checkpoint file. */
  fileOf(orgId: string): string {
    if (!isUuid(orgId)) throw new Error(`not an organization id: ${orgId}`);
    return path.resolve(this.config.AUDIT_ARCHIVE_DIR, orgId.toLowerCase(), 'checkpoints.jsonl');
  }

  /** Appends one signed checkpoint and flushes it to disk. */
  async append(checkpoint: SignedAuditCheckpoint): Promise<void> {
    const file = this.fileOf(checkpoint.orgId);
    await mkdir(path.dirname(file), { recursive: true });
    const handle = await open(file, 'a');
    try {
      await handle.appendFile(`${JSON.stringify(checkpoint)}\n`, 'utf8');
      await handle.datasync();
    } finally {
      await handle.close();
    }
  }

  /** Every external checkpoint of `orgId`, each with its signature checked (none when the file does not exist). */
  async read(orgId: string): Promise<ExternalAuditCheckpoint[]> {
    let text: string;
    try {
      text = await readFile(this.fileOf(orgId), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const result: ExternalAuditCheckpoint[] = [];
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      let checkpoint: SignedAuditCheckpoint;
      try {
        checkpoint = JSON.parse(line) as SignedAuditCheckpoint;
      } catch {
        result.push({ checkpoint: { orgId, seq: 0, hash: '', createdAt: '', keyId: '', signature: '' }, valid: false });
        continue;
      }
      const valid =
        checkpoint !== null &&
        typeof checkpoint === 'object' &&
        checkpoint.orgId === orgId &&
        Number.isSafeInteger(checkpoint.seq) &&
        this.signer.verify(checkpoint);
      result.push({ checkpoint: { ...checkpoint, seq: Number.isSafeInteger(checkpoint?.seq) ? checkpoint.seq : 0 }, valid });
    }
    return result;
  }
}
