import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { FileStorage } from './file-storage.port';

/**
 * `FileStorage` on the local disk under `directory` (`DEALS_COMMISSION_FILE_DIR`, default
 * `tmp/deal-files` of the working directory): a pending object is `<key>.part`, renamed to `<key>`
 * on commit. Keys are checked to stay inside the directory. For one replica or a shared volume.
 */
export class LocalDiskFileStorage implements FileStorage {
  private readonly root: string;

  constructor(directory: string) {
    this.root = isAbsolute(directory) ? directory : resolve(process.cwd(), directory);
  }

  async writeChunk(key: string, offset: number, bytes: Buffer): Promise<void> {
    const path = `${this.path(key)}.part`;
    await mkdir(dirname(path), { recursive: true });
    const handle = await open(path, 'a+').then(async (probe) => {
      await probe.close();
      return open(path, 'r+');
    });
    try {
      await handle.write(bytes, 0, bytes.length, offset);
    } finally {
      await handle.close();
    }
  }

  async commit(key: string): Promise<{ size: number; sha256: string }> {
    const part = `${this.path(key)}.part`;
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(part)) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    await rename(part, this.path(key));
    return { size, sha256: hash.digest('hex') };
  }

  async read(key: string, offset: number, length: number): Promise<Buffer> {
    const handle = await open(this.path(key), 'r');
    try {
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await handle.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
    await rm(`${this.path(key)}.part`, { force: true });
  }

  /** The disk has no URL of its own: downloads go through the gateway. */
  signedDownloadUrl(): Promise<null> {
    return Promise.resolve(null);
  }

  private path(key: string): string {
    const path = resolve(join(this.root, key));
    if (!path.startsWith(`${this.root}/`)) throw new Error(`storage key outside the storage directory: ${key}`);
    return path;
  }
}
