import type { ReaderCredential } from '../domain/kgss.js';
import { auditLog, type AuditEntry } from './certificate-registry.js';
import type { Queryable } from './database.js';

/** SQL of KGSS keys (migration 0009). */

export interface NewKgssKey {
  readonly keyIdentifier: Buffer;
  readonly dataKeyId: bigint;
  readonly wrappedKey: Buffer;
  readonly allowedReaders: readonly ReaderCredential[];
  readonly excludedReaders: readonly ReaderCredential[];
  readonly creator: { readonly subject: string; readonly serialHex: string; readonly issuer: string };
  readonly createdAt: Date;
}

export interface StoredKgssKey {
  readonly id: bigint;
  readonly keyIdentifier: Buffer;
  readonly dataKeyId: bigint;
  readonly wrappedKey: Buffer;
  readonly allowedReaders: readonly ReaderCredential[];
  readonly excludedReaders: readonly ReaderCredential[];
  readonly creatorSubject: string;
  readonly createdAt: Date;
}

function credentials(value: unknown): ReaderCredential[] {
  const list = (typeof value === 'string' ? JSON.parse(value) : value) as Array<{ namespace: string; name: string; values: string[] }>;
  return list.map((c) => ({ namespace: c.namespace, name: c.name, values: c.values }));
}

export const kgssKeys = {
  /** Stores a key and its audit record in one statement: atomic without a transaction. */
  async insertAudited(q: Queryable, key: NewKgssKey, audit: AuditEntry): Promise<bigint> {
    const rows = await auditLog.recordWith<{ id: bigint }>(
      q,
      `INSERT INTO kgss_keys (key_identifier, data_key_id, wrapped_key, allowed_readers, excluded_readers, creator_subject, creator_serial, creator_issuer, created_at)
       VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, $9) RETURNING id`,
      [
        key.keyIdentifier,
        key.dataKeyId,
        key.wrappedKey,
        JSON.stringify(key.allowedReaders),
        JSON.stringify(key.excludedReaders),
        key.creator.subject,
        key.creator.serialHex,
        key.creator.issuer,
        key.createdAt,
      ],
      audit,
    );
    return rows[0]!.id;
  },

  async findByIdentifier(q: Queryable, keyIdentifier: Buffer): Promise<StoredKgssKey | undefined> {
    const rows = await q.query(
      'SELECT id, key_identifier, data_key_id, wrapped_key, allowed_readers, excluded_readers, creator_subject, created_at FROM kgss_keys WHERE key_identifier = $1',
      [keyIdentifier],
    );
    const r = rows[0];
    if (!r) return undefined;
    return {
      id: r.id as bigint,
      keyIdentifier: r.key_identifier as Buffer,
      dataKeyId: r.data_key_id as bigint,
      wrappedKey: r.wrapped_key as Buffer,
      allowedReaders: credentials(r.allowed_readers),
      excludedReaders: credentials(r.excluded_readers),
      creatorSubject: r.creator_subject as string,
      createdAt: r.created_at as Date,
    };
  },

  /** The newest data key under this key-encryption key, if any. */
  async latestDataKey(q: Queryable, kekId: string): Promise<{ id: bigint; wrappedKey: Buffer } | undefined> {
    const rows = await q.query('SELECT id, wrapped_key FROM kgss_data_keys WHERE kek_id = $1 ORDER BY id DESC LIMIT 1', [kekId]);
    return rows[0] ? { id: rows[0].id as bigint, wrappedKey: rows[0].wrapped_key as Buffer } : undefined;
  },

  async dataKey(q: Queryable, id: bigint): Promise<{ kekId: string; wrappedKey: Buffer } | undefined> {
    const rows = await q.query('SELECT kek_id, wrapped_key FROM kgss_data_keys WHERE id = $1', [id]);
    return rows[0] ? { kekId: rows[0].kek_id as string, wrappedKey: rows[0].wrapped_key as Buffer } : undefined;
  },

  async insertDataKey(q: Queryable, kekId: string, wrappedKey: Buffer, at: Date): Promise<bigint> {
    const rows = await q.query<{ id: bigint }>('INSERT INTO kgss_data_keys (kek_id, wrapped_key, created_at) VALUES ($1, $2, $3) RETURNING id', [
      kekId,
      wrappedKey,
      at,
    ]);
    return rows[0]!.id;
  },
};
