import type { Operator } from '../domain/operator.js';
import { normaliseKeyId } from '../domain/key-id.js';
import type { Queryable, Row, SqlValue } from './database.js';
import { sqlState } from './database.js';

/**
 * The registry of every certificate our CAs issue (table issued_certificates), and the journal of every use of the
 * issuing key: a row is an intent committed before signing, until its certificate is recorded. The only SQL for it.
 */

/** intent: committed before signing; signed / sign_failed: the signing outcome; issued: the certificate is recorded. */
export type IntentState = 'intent' | 'signed' | 'sign_failed' | 'issued';

export interface IssuedCertificateRow {
  id: bigint;
  issuerKeyId: string;
  serialHex: string;
  subjectKeyId: string;
  subjectDn: string;
  profile: string;
  notBefore: Date;
  notAfter: Date;
  certificateDer: Buffer | null;
  issuedAt: Date | null;
  revokedAt: Date | null;
  revocationReason: string | null;
}

/** What is committed before the issuing key signs. */
export interface IssuanceIntent {
  issuerKeyId: string;
  serialHex: string;
  subjectKeyId: string;
  subjectDn: string;
  profile: string;
  notBefore: Date;
  notAfter: Date;
  /** SHA-256 (hex) of the DER TBSCertificate about to be signed (the issuer always gives it). */
  tbsSha256Hex?: string;
  /** When the intent is recorded; the database's now() when omitted. */
  intentAt?: Date;
}

/** A journalled use of the key whose certificate was never recorded: never signed, or signed and then lost. */
export interface UnrecordedIntentRow {
  id: bigint;
  issuerKeyId: string;
  serialHex: string;
  subjectKeyId: string;
  subjectDn: string;
  profile: string;
  notBefore: Date;
  notAfter: Date;
  tbsSha256Hex: string | null;
  state: Exclude<IntentState, 'issued'>;
  intentAt: Date | null;
  signedAt: Date | null;
}

export class DuplicateSerialError extends Error {
  constructor(serialHex: string) {
    super(`serial ${serialHex} is already recorded for this issuer`);
    this.name = 'DuplicateSerialError';
  }
}

/** recordIssued found no pending intent with this id and TBS hash: nothing was recorded. */
export class IntentMismatchError extends Error {
  constructor(id: bigint) {
    super(`issued certificate #${id} has no pending intent with this TBS hash: the certificate is not recorded`);
    this.name = 'IntentMismatchError';
  }
}

const COLUMNS = `id, issuer_key_id, serial_hex, subject_key_id, subject_dn, profile, not_before, not_after, certificate_der,
  issued_at, revoked_at, revocation_reason`;

/** The columns an intent and an issued certificate share: what was to be signed, for whom, by which issuer. */
function intentFieldsOf(r: Record<string, unknown>) {
  return {
    id: r.id as bigint,
    issuerKeyId: r.issuer_key_id as string,
    serialHex: r.serial_hex as string,
    subjectKeyId: r.subject_key_id as string,
    subjectDn: r.subject_dn as string,
    profile: r.profile as string,
    notBefore: r.not_before as Date,
    notAfter: r.not_after as Date,
  };
}

function toRow(r: Record<string, unknown>): IssuedCertificateRow {
  return {
    ...intentFieldsOf(r),
    certificateDer: (r.certificate_der as Buffer | null) ?? null,
    issuedAt: (r.issued_at as Date | null) ?? null,
    revokedAt: (r.revoked_at as Date | null) ?? null,
    revocationReason: (r.revocation_reason as string | null) ?? null,
  };
}

/** Serials are stored as lower-case hex without leading zeros, so one number has one spelling. */
export function normaliseSerialHex(serialHex: string): string {
  const trimmed = serialHex.toLowerCase().replace(/^0+/, '');
  return trimmed === '' ? '0' : trimmed;
}

/** NOTIFY channel of certificate revocations (payload: the registry id). */
export const CERTIFICATE_REVOCATION_CHANNEL = 'certificate_revoked';

export const certificateRegistry = {
  /**
   * Journals the intent to issue (before signing) and its audit record in one statement: atomic on its own, so the
   * CA's key-use journal commits it outside any transaction (Database.autonomous). The audit record's details get
   * the new row's id as `registryId`. A duplicate serial raises DuplicateSerialError and writes nothing.
   */
  async journalIntent(q: Queryable, intent: IssuanceIntent, audit: AuditEntry): Promise<bigint> {
    let rows: Array<{ id: bigint }>;
    try {
      rows = await auditLog.recordWith<{ id: bigint }>(
        q,
        `INSERT INTO issued_certificates (issuer_key_id, serial_hex, subject_key_id, subject_dn, profile, not_before, not_after, tbs_sha256, intent_state, intent_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'intent', COALESCE($9, now()))
         ON CONFLICT ON CONSTRAINT issued_certificates_serial_uq DO NOTHING RETURNING id`,
        intentParameters(intent),
        audit,
        `jsonb_build_object('registryId', id::text)`,
      );
    } catch (error) {
      if (sqlState(error) === '23505') throw new DuplicateSerialError(intent.serialHex);
      throw error;
    }
    if (rows.length === 0) throw new DuplicateSerialError(intent.serialHex);
    return rows[0]!.id;
  },

  /** Journals the outcome of a recorded intent's signature (signed, or the signer failed) and its audit record, in one statement. */
  async journalSigningOutcome(q: Queryable, id: bigint, outcome: 'signed' | 'sign_failed', at: Date, audit: AuditEntry): Promise<void> {
    await q.query(
      `WITH outcome AS (
         UPDATE issued_certificates SET intent_state = $2, signed_at = CASE WHEN $2 = 'signed' THEN $3::timestamptz ELSE signed_at END
         WHERE id = $1 AND intent_state = 'intent'
       )
       INSERT INTO audit_log (actor, actor_serial, action, subject, details) VALUES ($4, $5, $6, $7, $8)`,
      [id, outcome, at, ...auditRowOf(audit)],
    );
  },

  /**
   * Records the signed certificate of a pending intent. The TBS hash must be the one recorded before signing (both
   * absent only for rows older than migration 0004); otherwise IntentMismatchError and nothing changes.
   */
  async recordIssued(q: Queryable, id: bigint, certificateDer: Buffer, issuedAt: Date, tbsSha256Hex?: string): Promise<void> {
    const rows = await q.query(
      `UPDATE issued_certificates SET certificate_der = $2, issued_at = $3, intent_state = 'issued', signed_at = COALESCE(signed_at, $3)
       WHERE id = $1 AND certificate_der IS NULL AND intent_state IN ('intent', 'signed') AND tbs_sha256 IS NOT DISTINCT FROM $4
       RETURNING id`,
      [id, certificateDer, issuedAt, tbsSha256Hex?.toLowerCase() ?? null],
    );
    if (rows.length !== 1) throw new IntentMismatchError(id);
  },

  /**
   * Writes back a journalled intent that a rolled-back transaction took with it (same id, serial and TBS hash);
   * false when the row is there (the transaction committed) or its serial was taken since.
   */
  async restoreIntent(q: Queryable, row: Omit<UnrecordedIntentRow, 'intentAt'> & { intentAt: Date }): Promise<boolean> {
    const rows = await q.query(
      `INSERT INTO issued_certificates (id, issuer_key_id, serial_hex, subject_key_id, subject_dn, profile, not_before, not_after, tbs_sha256,
         intent_state, intent_at, signed_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING RETURNING id`,
      [
        row.id,
        row.issuerKeyId,
        normaliseSerialHex(row.serialHex),
        normaliseKeyId(row.subjectKeyId),
        row.subjectDn,
        row.profile,
        row.notBefore,
        row.notAfter,
        row.tbsSha256Hex?.toLowerCase() ?? null,
        row.state,
        row.intentAt,
        row.signedAt,
      ],
    );
    return rows.length === 1;
  },

  /** The journalled uses of the key whose certificate was never recorded, oldest first. */
  async listUnrecordedIntents(q: Queryable): Promise<UnrecordedIntentRow[]> {
    const rows = await q.query(
      `SELECT id, issuer_key_id, serial_hex, subject_key_id, subject_dn, profile, not_before, not_after, tbs_sha256, intent_state, intent_at, signed_at
       FROM issued_certificates WHERE intent_state <> 'issued' ORDER BY id`,
    );
    return rows.map((r) => ({
      ...intentFieldsOf(r),
      tbsSha256Hex: (r.tbs_sha256 as string | null) ?? null,
      state: r.intent_state as UnrecordedIntentRow['state'],
      intentAt: (r.intent_at as Date | null) ?? null,
      signedAt: (r.signed_at as Date | null) ?? null,
    }));
  },

  async findById(q: Queryable, id: bigint): Promise<IssuedCertificateRow | undefined> {
    const [row] = await q.query(`SELECT ${COLUMNS} FROM issued_certificates WHERE id = $1`, [id]);
    return row ? toRow(row) : undefined;
  },

  async findBySerial(q: Queryable, issuerKeyId: string, serialHex: string): Promise<IssuedCertificateRow | undefined> {
    const [row] = await q.query(`SELECT ${COLUMNS} FROM issued_certificates WHERE issuer_key_id = $1 AND serial_hex = $2`, [
      issuerKeyId,
      normaliseSerialHex(serialHex),
    ]);
    return row ? toRow(row) : undefined;
  },

  /** The recorded certificates of a public key (an intent whose certificate was never recorded certifies nothing). */
  async findBySubjectKeyId(q: Queryable, subjectKeyId: string): Promise<IssuedCertificateRow[]> {
    const rows = await q.query(`SELECT ${COLUMNS} FROM issued_certificates WHERE subject_key_id = $1 AND certificate_der IS NOT NULL ORDER BY id`, [
      normaliseKeyId(subjectKeyId),
    ]);
    return rows.map(toRow);
  },

  /**
   * Marks a certificate revoked; returns false when it was already revoked (the first revocation stands). Announced
   * on CERTIFICATE_REVOCATION_CHANNEL at commit, so that every process drops cached revocation statuses.
   */
  async revoke(q: Queryable, id: bigint, revokedAt: Date, reason: string): Promise<boolean> {
    const rows = await q.query('UPDATE issued_certificates SET revoked_at = $2, revocation_reason = $3 WHERE id = $1 AND revoked_at IS NULL RETURNING id', [
      id,
      revokedAt,
      reason,
    ]);
    if (rows.length === 1) await q.query('SELECT pg_notify($1, $2)', [CERTIFICATE_REVOCATION_CHANNEL, String(id)]);
    return rows.length === 1;
  },

  async listRevoked(q: Queryable, issuerKeyId: string): Promise<Array<{ serialHex: string; revokedAt: Date; reason: string | null }>> {
    const rows = await q.query<{ serial_hex: string; revoked_at: Date; revocation_reason: string | null }>(
      `SELECT serial_hex, revoked_at, revocation_reason FROM issued_certificates
       WHERE issuer_key_id = $1 AND revoked_at IS NOT NULL AND certificate_der IS NOT NULL ORDER BY revoked_at, id`,
      [issuerKeyId],
    );
    return rows.map((r) => ({ serialHex: r.serial_hex, revokedAt: r.revoked_at, reason: r.revocation_reason }));
  },

  /** Increments and returns the CRL number of an issuer (monotonic across processes). */
  async nextCrlNumber(q: Queryable, issuerKeyId: string, at: Date): Promise<bigint> {
    const [row] = await q.query<{ crl_number: bigint }>(
      `INSERT INTO crl_state (issuer_key_id, crl_number, last_issued_at) VALUES ($1, 1, $2)
       ON CONFLICT (issuer_key_id) DO UPDATE SET crl_number = crl_state.crl_number + 1, last_issued_at = $2
       RETURNING crl_number`,
      [issuerKeyId, at],
    );
    return row!.crl_number;
  },
};

/**
 * Who acted: a name (operator, service, requester), or an officer authenticated by certificate (subject DN + serial).
 */
export type AuditActor = Operator;

export interface AuditEntry {
  readonly actor: AuditActor;
  readonly action: string;
  readonly subject?: string | undefined;
  readonly details?: Record<string, unknown>;
  /** The object's state before and after a change, and the evidence the decision rests on (kept in details). */
  readonly before?: unknown;
  readonly after?: unknown;
  readonly evidence?: unknown;
}

export const auditLog = {
  /**
   * Writes an audit record in the caller's transaction. It joins the hash chain when the sealer (services/audit-chain)
   * next runs after commit: a rollback leaves no record and no gap.
   */
  async record(q: Queryable, entry: AuditEntry): Promise<void> {
    await q.query('INSERT INTO audit_log (actor, actor_serial, action, subject, details) VALUES ($1, $2, $3, $4, $5)', auditRowOf(entry));
  },

  /**
   * A data-modifying statement (ending in RETURNING) and the audit record of the row it returns, as one statement:
   * atomic without a transaction, one round trip, and no record when it changed nothing. `detailsFromRow`: an SQL
   * jsonb expression over the returned row merged into the record's details (the new row's id, say).
   */
  async recordWith<R extends Row>(q: Queryable, change: string, params: readonly SqlValue[], entry: AuditEntry, detailsFromRow?: string): Promise<R[]> {
    const at = (offset: number) => `$${params.length + offset}`;
    const details = `${at(5)}::jsonb${detailsFromRow ? ` || ${detailsFromRow}` : ''}`;
    return q.query<R>(
      `WITH changed AS (${change}), audit AS (
         INSERT INTO audit_log (actor, actor_serial, action, subject, details) SELECT ${at(1)}, ${at(2)}, ${at(3)}, ${at(4)}, ${details} FROM changed
       )
       SELECT * FROM changed`,
      [...params, ...auditRowOf(entry)],
    );
  },
};

/** An audit entry as the columns actor, actor_serial, action, subject, details (JSON). */
function auditRowOf(entry: AuditEntry): SqlValue[] {
  const details: Record<string, unknown> = { ...(entry.details ?? {}) };
  if (entry.before !== undefined) details.before = entry.before;
  if (entry.after !== undefined) details.after = entry.after;
  if (entry.evidence !== undefined) details.evidence = entry.evidence;
  const actor = typeof entry.actor === 'string' ? { subject: entry.actor, certificateSerial: null } : entry.actor;
  return [actor.subject, actor.certificateSerial, entry.action, entry.subject ?? null, JSON.stringify(details)];
}

/** An intent as the parameters $1…$9 of its INSERT. */
function intentParameters(intent: IssuanceIntent): SqlValue[] {
  return [
    intent.issuerKeyId,
    normaliseSerialHex(intent.serialHex),
    normaliseKeyId(intent.subjectKeyId),
    intent.subjectDn,
    intent.profile,
    intent.notBefore,
    intent.notAfter,
    intent.tbsSha256Hex?.toLowerCase() ?? null,
    intent.intentAt ?? null,
  ];
}
