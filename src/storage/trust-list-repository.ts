import type { Queryable } from './database.js';

/** Namespace of the trust-list advisory locks (two-key form; the other classes are in certra-requests and etk-repository). */
const TRUST_LIST_LOCK_CLASS = 8_571;

export interface StoredTrustList {
  readonly list: string;
  readonly sequenceNumber: bigint;
  readonly contentSha256: string;
  readonly issuedAt: Date;
  readonly nextUpdate: Date;
  readonly document: Buffer;
  readonly documentSha256: string;
}

interface TrustListRow extends Record<string, unknown> {
  list_name: string;
  sequence_number: bigint | string | number;
  content_sha256: string;
  issued_at: Date | string;
  next_update: Date | string;
  document: Buffer | Uint8Array;
  document_sha256: string;
}

function toStored(row: TrustListRow): StoredTrustList {
  return {
    list: row.list_name,
    sequenceNumber: BigInt(row.sequence_number),
    contentSha256: row.content_sha256,
    issuedAt: new Date(row.issued_at),
    nextUpdate: new Date(row.next_update),
    document: Buffer.from(row.document),
    documentSha256: row.document_sha256,
  };
}

export const trustListRepository = {
  async current(q: Queryable, list: string): Promise<StoredTrustList | undefined> {
    const [row] = await q.query<TrustListRow>('SELECT * FROM trust_lists WHERE list_name = $1', [list]);
    return row ? toStored(row) : undefined;
  },

  /** Serialises the editions of one list across processes until the transaction ends. */
  async lock(q: Queryable, list: string): Promise<void> {
    await q.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [TRUST_LIST_LOCK_CLASS, list]);
  },

  /** Stores a new edition; its sequence number must exceed the stored one (checked here, inside the lock). */
  async store(q: Queryable, edition: StoredTrustList): Promise<void> {
    const rows = await q.query(
      `INSERT INTO trust_lists AS t (list_name, sequence_number, content_sha256, issued_at, next_update, document, document_sha256)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (list_name) DO UPDATE SET sequence_number = EXCLUDED.sequence_number, content_sha256 = EXCLUDED.content_sha256,
         issued_at = EXCLUDED.issued_at, next_update = EXCLUDED.next_update, document = EXCLUDED.document, document_sha256 = EXCLUDED.document_sha256
       WHERE t.sequence_number < EXCLUDED.sequence_number
       RETURNING list_name`,
      [edition.list, edition.sequenceNumber.toString(), edition.contentSha256, edition.issuedAt, edition.nextUpdate, edition.document, edition.documentSha256],
    );
    if (rows.length !== 1) throw new Error(`trust list ${edition.list}: sequence number ${edition.sequenceNumber} does not exceed the stored one`);
  },
};
