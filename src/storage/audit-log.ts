import type { SealedAuditRecord, StoredAuditCheckpoint } from '../domain/audit-chain.js';
import type { Queryable } from './database.js';

/**
 * SQL of the audit chain (migration 0008): unsealed records, sealing under a transaction-scoped advisory lock, the
 * signed checkpoints, and reads for verification and listing.
 */

/** Advisory lock key of the chain ('audit' in ASCII). */
const CHAIN_LOCK_KEY = 0x6175646974;

export interface UnsealedAuditRow {
  readonly id: bigint;
  readonly occurredUs: bigint;
  readonly actor: string;
  readonly actorSerial: string | null;
  readonly action: string;
  readonly subject: string | null;
  readonly details: unknown;
}

export interface AuditListRow extends UnsealedAuditRow {
  readonly seq: bigint | null;
  readonly occurredAt: Date;
  readonly recordHash: string | null;
}

export interface AuditListFilter {
  readonly actor?: string | undefined;
  readonly action?: string | undefined;
  readonly subject?: string | undefined;
  /** Records whose details name this certificate serial (the CA's key-use journal, revocations). */
  readonly detailSerial?: string | undefined;
  readonly since?: Date | undefined;
  readonly until?: Date | undefined;
  readonly limit: number;
}

type RawRow = {
  id: bigint;
  seq: bigint | null;
  occurred_at: Date;
  occurred_us: bigint | string;
  actor: string;
  actor_serial: string | null;
  action: string;
  subject: string | null;
  details: unknown;
  prev_hash: string | null;
  record_hash: string | null;
};

// numeric epoch (PostgreSQL 14+) times 10^6 is exact: the hash covers the timestamp to the microsecond.
const COLUMNS = `id, seq, occurred_at, (extract(epoch FROM occurred_at) * 1000000)::bigint AS occurred_us, actor, actor_serial, action, subject,
  details, prev_hash, record_hash`;

const toRow = (r: RawRow) => ({
  id: r.id,
  seq: r.seq,
  occurredAt: r.occurred_at,
  occurredUs: BigInt(r.occurred_us),
  actor: r.actor,
  actorSerial: r.actor_serial,
  action: r.action,
  subject: r.subject,
  details: typeof r.details === 'string' ? (JSON.parse(r.details) as unknown) : r.details,
  prevHash: r.prev_hash,
  recordHash: r.record_hash,
});

export const auditChainStore = {
  /** Serialises sealing across connections and processes until the transaction ends. */
  async lockChain(tx: Queryable): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', [CHAIN_LOCK_KEY]);
  },

  async head(q: Queryable): Promise<{ seq: bigint; hash: string } | undefined> {
    const [row] = await q.query<{ seq: bigint; record_hash: string }>('SELECT seq, record_hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1');
    return row ? { seq: row.seq, hash: row.record_hash } : undefined;
  },

  /** Committed records not yet in the chain, in the order they were written. */
  async unsealed(q: Queryable, limit: number): Promise<UnsealedAuditRow[]> {
    const rows = await q.query<RawRow>(`SELECT ${COLUMNS} FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT $1`, [limit]);
    return rows.map(toRow);
  },

  async occurredAt(q: Queryable, seq: bigint): Promise<Date | undefined> {
    const [row] = await q.query<{ occurred_at: Date }>('SELECT occurred_at FROM audit_log WHERE seq = $1', [seq]);
    return row?.occurred_at;
  },

  async countUnsealed(q: Queryable): Promise<bigint> {
    const [row] = await q.query<{ n: bigint }>('SELECT count(*)::bigint AS n FROM audit_log WHERE seq IS NULL');
    return BigInt(row!.n);
  },

  /** Writes the chain links of a batch in one statement (one round trip for up to SEAL_BATCH records). */
  async seal(tx: Queryable, links: ReadonlyArray<{ id: bigint; seq: bigint; prevHash: string; recordHash: string }>): Promise<void> {
    if (links.length === 0) return;
    await tx.query(
      `UPDATE audit_log AS a SET seq = l.seq, prev_hash = l.prev_hash, record_hash = l.record_hash
         FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[]) AS l (id, seq, prev_hash, record_hash)
        WHERE a.id = l.id AND a.seq IS NULL`,
      [links.map((l) => l.id.toString()), links.map((l) => l.seq.toString()), links.map((l) => l.prevHash), links.map((l) => l.recordHash)],
    );
  },

  /** Sealed records after a sequence number, in chain order (verification reads the chain page by page). */
  async sealedAfter(q: Queryable, afterSeq: bigint, limit: number): Promise<SealedAuditRecord[]> {
    const rows = await q.query<RawRow>(`SELECT ${COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2`, [afterSeq, limit]);
    return rows.map((raw) => {
      const r = toRow(raw);
      return { ...r, seq: r.seq!, prevHash: r.prevHash!, recordHash: r.recordHash! };
    });
  },

  async lastCheckpoint(q: Queryable): Promise<StoredAuditCheckpoint | undefined> {
    return (await auditChainStore.checkpoints(q, 1))[0];
  },

  /** Newest first. */
  async checkpoints(q: Queryable, limit?: number): Promise<StoredAuditCheckpoint[]> {
    const rows = await q.query<{ id: bigint; seq: bigint; head_hash: string; created_at: Date; key_spki_sha256: string; signature: Buffer }>(
      `SELECT id, seq, head_hash, created_at, key_spki_sha256, signature FROM audit_checkpoints ORDER BY seq DESC, id DESC${limit ? ` LIMIT ${Number(limit)}` : ''}`,
    );
    return rows.map((r) => ({
      id: r.id,
      seq: r.seq,
      headHash: r.head_hash,
      createdAt: r.created_at,
      keySpkiSha256: r.key_spki_sha256,
      signature: Buffer.from(r.signature),
    }));
  },

  async insertCheckpoint(tx: Queryable, checkpoint: Omit<StoredAuditCheckpoint, 'id'>): Promise<bigint> {
    const [row] = await tx.query<{ id: bigint }>(
      'INSERT INTO audit_checkpoints (seq, head_hash, created_at, key_spki_sha256, signature) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [checkpoint.seq, checkpoint.headHash, checkpoint.createdAt, checkpoint.keySpkiSha256, checkpoint.signature],
    );
    return row!.id;
  },

  /** Records matching every given filter, oldest first (unsealed ones last). */
  async list(q: Queryable, filter: AuditListFilter): Promise<AuditListRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (filter.actor !== undefined) add('actor = ?', filter.actor);
    if (filter.action !== undefined) add(filter.action.endsWith('*') ? 'action LIKE ?' : 'action = ?', filter.action.replace(/\*$/, '%'));
    if (filter.subject !== undefined) add('subject = ?', filter.subject);
    if (filter.detailSerial !== undefined) add("details->>'serial' = ?", filter.detailSerial);
    if (filter.since !== undefined) add('occurred_at >= ?', filter.since);
    if (filter.until !== undefined) add('occurred_at < ?', filter.until);
    params.push(filter.limit);
    const rows = await q.query<RawRow>(
      `SELECT ${COLUMNS} FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq NULLS LAST, id LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRow);
  },
};
