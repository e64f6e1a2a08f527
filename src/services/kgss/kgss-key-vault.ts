import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Clock } from '../../domain/clock.js';
import type { Database } from '../../storage/database.js';
import { kgssKeys } from '../../storage/kgss-keys.js';
import type { KeyEncryptionKey } from './kgss-identity.js';

/**
 * Envelope encryption of KGSS keys: each key is wrapped (AES key wrap, RFC 3394) under an AES-256 data key, and the data
 * keys are stored wrapped under the key-encryption key of the key custody. The database alone reveals nothing; a
 * process unwraps a data key once (one RSA operation in the custody) instead of once per GetKey.
 */

const RFC3394_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');

export class KgssKeyVault {
  private readonly dataKeys = new Map<bigint, Buffer>();
  private current: { id: bigint; key: Buffer } | undefined;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly keyEncryption: KeyEncryptionKey,
  ) {}

  /** Wraps a key under the current data key (made and stored on first use). */
  async wrap(key: Buffer): Promise<{ dataKeyId: bigint; wrappedKey: Buffer }> {
    const dataKey = this.current ?? (await this.currentDataKey());
    const cipher = createCipheriv('id-aes256-wrap', dataKey.key, RFC3394_IV);
    return { dataKeyId: dataKey.id, wrappedKey: Buffer.concat([cipher.update(key), cipher.final()]) };
  }

  /** Unwraps a stored key; its data key is unwrapped by the key-encryption key once per process. */
  async unwrap(dataKeyId: bigint, wrappedKey: Buffer): Promise<Buffer> {
    const dataKey = this.dataKeys.get(dataKeyId) ?? (await this.loadDataKey(dataKeyId));
    const decipher = createDecipheriv('id-aes256-wrap', dataKey, RFC3394_IV);
    return Buffer.concat([decipher.update(wrappedKey), decipher.final()]);
  }

  private async currentDataKey(): Promise<{ id: bigint; key: Buffer }> {
    const stored = await kgssKeys.latestDataKey(this.db, this.keyEncryption.id);
    if (stored) {
      this.current = { id: stored.id, key: this.remember(stored.id, this.keyEncryption.unwrap(stored.wrappedKey)) };
    } else {
      const key = randomBytes(32);
      const id = await kgssKeys.insertDataKey(this.db, this.keyEncryption.id, this.keyEncryption.wrap(key), this.clock.now());
      this.current = { id, key: this.remember(id, key) };
    }
    return this.current;
  }

  private async loadDataKey(id: bigint): Promise<Buffer> {
    const stored = await kgssKeys.dataKey(this.db, id);
    if (!stored) throw new Error(`KGSS data key ${id} does not exist`);
    if (stored.kekId !== this.keyEncryption.id)
      throw new Error(`KGSS data key ${id} is under key-encryption key ${stored.kekId}, which this process does not hold`);
    return this.remember(id, this.keyEncryption.unwrap(stored.wrappedKey));
  }

  private remember(id: bigint, key: Buffer): Buffer {
    this.dataKeys.set(id, key);
    return key;
  }
}
