import type { Queryable } from './database.js';
import { sqlState } from './database.js';

/** The registry of every certificate our CAs issue (table issued_certificates). The only SQL for it. */
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

export class DuplicateSerialError extends Error {
  constructor(serialHex: string) {
    super(`serial ${serialHex} is already recorded for this issuer`);
    this.name = 'DuplicateSerialError';
  }
}

const COLUMNS = `id, issuer_key_id, serial_hex, subject_key_id, subject_dn, profile, not_before, not_after, certificate_der,
  issued_at, revoked_at, revocation_reason`;

function toRow(r: Record<string, unknown>): IssuedCertificateRow {
  return {
    id: r.id as bigint,
    issuerKeyId: r.issuer_key_id as string,
    serialHex: r.serial_hex as string,
    subjectKeyId: r.subject_key_id as string,
    subjectDn: r.subject_dn as string,
    profile: r.profile as string,
    notBefore: r.not_before as Date,
    notAfter: r.not_after as Date,
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
  /** Records the intent to issue (before signing). A duplicate serial raises DuplicateSerialError. */
  async recordIntent(
    q: Queryable,
    intent: { issuerKeyId: string; serialHex: string; subjectKeyId: string; subjectDn: string; profile: string; notBefore: Date; notAfter: Date },
  ): Promise<bigint> {
    try {
      const [row] = await q.query<{ id: bigint }>(
        `INSERT INTO issued_certificates (issuer_key_id, serial_hex, subject_key_id, subject_dn, profile, not_before, not_after)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
        [intent.issuerKeyId, normaliseSerialHex(intent.serialHex), intent.subjectKeyId.toUpperCase(), intent.subjectDn, intent.profile, intent.notBefore, intent.notAfter],
      );
      return row!.id;
    } catch (error) {
      if (sqlState(error) === '23505') throw new DuplicateSerialError(intent.serialHex);
      throw error;
    }
  },

  async recordIssued(q: Queryable, id: bigint, certificateDer: Buffer, issuedAt: Date): Promise<void> {
    await q.query('UPDATE issued_certificates SET certificate_der = $2, issued_at = $3 WHERE id = $1', [id, certificateDer, issuedAt]);
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

  async findBySubjectKeyId(q: Queryable, subjectKeyId: string): Promise<IssuedCertificateRow[]> {
    const rows = await q.query(`SELECT ${COLUMNS} FROM issued_certificates WHERE subject_key_id = $1 ORDER BY id`, [subjectKeyId.toUpperCase()]);
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

export const auditLog = {
  async record(q: Queryable, entry: { actor: string; action: string; subject?: string; details?: Record<string, unknown> }): Promise<void> {
    await q.query('INSERT INTO audit_log (actor, action, subject, details) VALUES ($1, $2, $3, $4)', [
      entry.actor,
      entry.action,
      entry.subject ?? null,
      JSON.stringify(entry.details ?? {}),
    ]);
  },
};
