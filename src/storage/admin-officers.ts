import type { OfficerRole } from '../domain/operator.js';
import type { Queryable } from './database.js';

/** SQL of the officers the admin listener admits (table admin_officers, migration 0010) and of four-eyes actions. */

export type { OfficerRole };

export interface OfficerRow {
  readonly id: bigint;
  readonly certificateSha256: string;
  readonly subjectDn: string;
  readonly serialHex: string;
  readonly issuerDn: string;
  readonly notAfter: Date;
  readonly role: OfficerRole;
  readonly addedAt: Date;
  readonly addedBy: string;
  readonly removedAt: Date | null;
  readonly removedBy: string | null;
}

export type NewOfficer = Omit<OfficerRow, 'id' | 'removedAt' | 'removedBy'>;

const OFFICER_COLUMNS = 'id, certificate_sha256, subject_dn, serial_hex, issuer_dn, not_after, role, added_at, added_by, removed_at, removed_by';

function toOfficer(r: Record<string, unknown>): OfficerRow {
  return {
    id: r.id as bigint,
    certificateSha256: r.certificate_sha256 as string,
    subjectDn: r.subject_dn as string,
    serialHex: r.serial_hex as string,
    issuerDn: r.issuer_dn as string,
    notAfter: r.not_after as Date,
    role: r.role as OfficerRole,
    addedAt: r.added_at as Date,
    addedBy: r.added_by as string,
    removedAt: (r.removed_at as Date | null) ?? null,
    removedBy: (r.removed_by as string | null) ?? null,
  };
}

export const adminOfficers = {
  async findActiveByFingerprint(q: Queryable, certificateSha256: string): Promise<OfficerRow | undefined> {
    const [row] = await q.query(`SELECT ${OFFICER_COLUMNS} FROM admin_officers WHERE certificate_sha256 = $1 AND removed_at IS NULL`, [certificateSha256]);
    return row ? toOfficer(row) : undefined;
  },

  async findById(q: Queryable, id: bigint): Promise<OfficerRow | undefined> {
    const [row] = await q.query(`SELECT ${OFFICER_COLUMNS} FROM admin_officers WHERE id = $1`, [id]);
    return row ? toOfficer(row) : undefined;
  },

  /** Inserts an officer; undefined when that certificate is already an active officer. */
  async insert(q: Queryable, officer: NewOfficer): Promise<OfficerRow | undefined> {
    const rows = await q.query(
      `INSERT INTO admin_officers (certificate_sha256, subject_dn, serial_hex, issuer_dn, not_after, role, added_at, added_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (certificate_sha256) WHERE removed_at IS NULL DO NOTHING RETURNING ${OFFICER_COLUMNS}`,
      [officer.certificateSha256, officer.subjectDn, officer.serialHex, officer.issuerDn, officer.notAfter, officer.role, officer.addedAt, officer.addedBy],
    );
    return rows[0] ? toOfficer(rows[0]) : undefined;
  },

  async list(q: Queryable, includeRemoved: boolean): Promise<OfficerRow[]> {
    const rows = await q.query(`SELECT ${OFFICER_COLUMNS} FROM admin_officers ${includeRemoved ? '' : 'WHERE removed_at IS NULL'} ORDER BY id`);
    return rows.map(toOfficer);
  },

  /** Serialises the first officer's creation across processes until the transaction ends. */
  async lockRegistry(tx: Queryable): Promise<void> {
    // 'officer' in ASCII (0x6f666669636572), as text: the number is past 2^53.
    await tx.query('SELECT pg_advisory_xact_lock($1::bigint)', ['31356312455701874']);
  },

  async countActive(q: Queryable): Promise<number> {
    const [row] = await q.query<{ n: bigint }>('SELECT count(*)::bigint AS n FROM admin_officers WHERE removed_at IS NULL');
    return Number(row!.n);
  },

  async remove(q: Queryable, id: bigint, by: { at: Date; by: string }): Promise<OfficerRow | undefined> {
    const rows = await q.query(`UPDATE admin_officers SET removed_at = $2, removed_by = $3 WHERE id = $1 AND removed_at IS NULL RETURNING ${OFFICER_COLUMNS}`, [
      id,
      by.at,
      by.by,
    ]);
    return rows[0] ? toOfficer(rows[0]) : undefined;
  },
};

export type PendingActionKind = 'certificate.revoke' | 'request.approve';

export interface PendingActionRow {
  readonly id: bigint;
  readonly kind: PendingActionKind;
  readonly subject: string;
  readonly payload: Record<string, unknown>;
  readonly requestedBy: string;
  readonly requestedBySerial: string;
  readonly requestedAt: Date;
  readonly decidedBy: string | null;
  readonly decidedBySerial: string | null;
  readonly decidedAt: Date | null;
  readonly outcome: 'confirmed' | 'cancelled' | null;
}

const ACTION_COLUMNS = 'id, kind, subject, payload, requested_by, requested_by_serial, requested_at, decided_by, decided_by_serial, decided_at, outcome';

function toAction(r: Record<string, unknown>): PendingActionRow {
  return {
    id: r.id as bigint,
    kind: r.kind as PendingActionKind,
    subject: r.subject as string,
    payload: (typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload) as Record<string, unknown>,
    requestedBy: r.requested_by as string,
    requestedBySerial: r.requested_by_serial as string,
    requestedAt: r.requested_at as Date,
    decidedBy: (r.decided_by as string | null) ?? null,
    decidedBySerial: (r.decided_by_serial as string | null) ?? null,
    decidedAt: (r.decided_at as Date | null) ?? null,
    outcome: (r.outcome as PendingActionRow['outcome']) ?? null,
  };
}

export const adminPendingActions = {
  /** Opens an action; undefined when one of that kind is already open for that object. */
  async open(
    q: Queryable,
    action: Pick<PendingActionRow, 'kind' | 'subject' | 'payload' | 'requestedBy' | 'requestedBySerial' | 'requestedAt'>,
  ): Promise<PendingActionRow | undefined> {
    const rows = await q.query(
      `INSERT INTO admin_pending_actions (kind, subject, payload, requested_by, requested_by_serial, requested_at)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (kind, subject) WHERE outcome IS NULL DO NOTHING RETURNING ${ACTION_COLUMNS}`,
      [action.kind, action.subject, JSON.stringify(action.payload), action.requestedBy, action.requestedBySerial, action.requestedAt],
    );
    return rows[0] ? toAction(rows[0]) : undefined;
  },

  async find(q: Queryable, id: bigint, options: { forUpdate?: boolean } = {}): Promise<PendingActionRow | undefined> {
    const [row] = await q.query(`SELECT ${ACTION_COLUMNS} FROM admin_pending_actions WHERE id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    return row ? toAction(row) : undefined;
  },

  async listOpen(q: Queryable): Promise<PendingActionRow[]> {
    const rows = await q.query(`SELECT ${ACTION_COLUMNS} FROM admin_pending_actions WHERE outcome IS NULL ORDER BY requested_at, id`);
    return rows.map(toAction);
  },

  async decide(q: Queryable, id: bigint, decision: { outcome: 'confirmed' | 'cancelled'; by: string; bySerial: string; at: Date }): Promise<boolean> {
    const rows = await q.query(
      `UPDATE admin_pending_actions SET outcome = $2, decided_by = $3, decided_by_serial = $4, decided_at = $5
       WHERE id = $1 AND outcome IS NULL RETURNING id`,
      [id, decision.outcome, decision.by, decision.bySerial, decision.at],
    );
    return rows.length === 1;
  },
};
