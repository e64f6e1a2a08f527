import type { EtkStatus } from '../domain/certra.js';
import type { EtkHolder, Identifier } from '../domain/identifier.js';
import type { Queryable } from './database.js';

/**
 * ETKs and their registration challenges (tables etks, etk_challenges, etk_identifier_aliases): the only SQL for them.
 *
 * Every change that alters what GetEtk answers (publication, activation, revocation, alias) sends a NOTIFY on
 * ETK_DIRECTORY_CHANNEL from inside the caller's transaction, so PostgreSQL delivers it to every process at commit
 * (and never for a rolled-back change): that is what keeps the in-process directory caches honest.
 */

export const ETK_DIRECTORY_CHANNEL = 'etk_directory_changed';

/** Row states. Only ACTIVE is published. */
export type EtkState = 'WAIT_FOR_ACTIVATION' | 'ACTIVE' | 'SUPERSEDED' | 'REVOKED';

export interface EtkRecord {
  readonly id: bigint;
  readonly issuedCertificateId: bigint;
  readonly holder: EtkHolder;
  readonly etkDer: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly status: EtkState;
}

/** A published ETK as GetEtk serves it. */
export interface PublishedEtk {
  readonly id: bigint;
  readonly holder: EtkHolder;
  readonly etkDer: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface NewEtk {
  readonly issuedCertificateId: bigint;
  readonly holder: EtkHolder;
  readonly encryptionSerialHex: string;
  readonly publicKeySpki: Buffer;
  readonly etkDer: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly status: 'WAIT_FOR_ACTIVATION' | 'ACTIVE';
  readonly registeredAt: Date;
}

/** Advisory-lock class for "one registration or activation per holder at a time" (the second key is a hash). */
const HOLDER_LOCK_CLASS = 5_003;

const NO_APPLICATION_ID = '';

const RECORD_COLUMNS = `id, issued_certificate_id, identifier_type, identifier_value, application_id, etk_der, not_before, not_after, status`;

function holderOf(r: Record<string, unknown>): EtkHolder {
  const applicationId = r.application_id as string;
  return {
    type: r.identifier_type as string,
    value: r.identifier_value as string,
    applicationId: applicationId === NO_APPLICATION_ID ? undefined : applicationId,
  };
}

function toRecord(r: Record<string, unknown>): EtkRecord {
  return {
    id: r.id as bigint,
    issuedCertificateId: r.issued_certificate_id as bigint,
    holder: holderOf(r),
    etkDer: r.etk_der as Buffer,
    notBefore: r.not_before as Date,
    notAfter: r.not_after as Date,
    status: r.status as EtkState,
  };
}

function toPublished(r: Record<string, unknown>): PublishedEtk {
  return { id: r.id as bigint, holder: holderOf(r), etkDer: r.etk_der as Buffer, notBefore: r.not_before as Date, notAfter: r.not_after as Date };
}

/** `type:value`: what a directory-change notification names (cache keys are per type and value). */
export function directoryKey(type: string, value: string): string {
  return `${type}:${value}`;
}

export const etkRepository = {
  // ---- registration challenges -------------------------------------------------------------------------------

  async createChallenge(
    q: Queryable,
    challenge: { issuedCertificateId: bigint; serial: Buffer; publicKeySpki: Buffer; createdAt: Date; expiresAt: Date },
  ): Promise<bigint> {
    const [row] = await q.query<{ id: bigint }>(
      `INSERT INTO etk_challenges (issued_certificate_id, serial, public_key_spki, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [challenge.issuedCertificateId, challenge.serial, challenge.publicKeySpki, challenge.createdAt, challenge.expiresAt],
    );
    return row!.id;
  },

  /**
   * Marks the certificate's unused, unexpired challenge with this serial as used and returns the key it announced.
   * Undefined when there is none (unknown serial, already used, expired): one statement, so two concurrent
   * completions cannot both consume it.
   */
  async consumeChallenge(q: Queryable, issuedCertificateId: bigint, serial: Buffer, at: Date): Promise<{ publicKeySpki: Buffer } | undefined> {
    const [row] = await q.query<{ public_key_spki: Buffer }>(
      `UPDATE etk_challenges SET used_at = $3
       WHERE issued_certificate_id = $1 AND serial = $2 AND used_at IS NULL AND expires_at > $3
       RETURNING public_key_spki`,
      [issuedCertificateId, serial, at],
    );
    return row ? { publicKeySpki: row.public_key_spki } : undefined;
  },

  /** Housekeeping: forgets challenges that expired before `before`. */
  async deleteExpiredChallenges(q: Queryable, before: Date): Promise<number> {
    const rows = await q.query('DELETE FROM etk_challenges WHERE expires_at < $1 RETURNING id', [before]);
    return rows.length;
  },

  // ---- registration and activation ---------------------------------------------------------------------------

  /** Serialises registrations and activations of one holder until the end of the transaction. */
  async lockHolder(q: Queryable, holder: EtkHolder): Promise<void> {
    await q.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [
      HOLDER_LOCK_CLASS,
      `${holder.type}|${holder.value}|${holder.applicationId ?? NO_APPLICATION_ID}`,
    ]);
  },

  /** The ACTIVE ETK of exactly this holder (application id included), whatever its validity. */
  async findActiveForHolder(q: Queryable, holder: EtkHolder): Promise<EtkRecord | undefined> {
    const [row] = await q.query(
      `SELECT ${RECORD_COLUMNS} FROM etks
       WHERE identifier_type = $1 AND identifier_value = $2 AND application_id = $3 AND status = 'ACTIVE'`,
      [holder.type, holder.value, holder.applicationId ?? NO_APPLICATION_ID],
    );
    return row ? toRecord(row) : undefined;
  },

  /** Every ETK registered for a certificate, in registration order (the admin's certificate detail). */
  async listForCertificate(q: Queryable, issuedCertificateId: bigint): Promise<EtkRecord[]> {
    const rows = await q.query(`SELECT ${RECORD_COLUMNS} FROM etks WHERE issued_certificate_id = $1 ORDER BY id`, [issuedCertificateId]);
    return rows.map(toRecord);
  },

  async findWaitingForCertificate(q: Queryable, issuedCertificateId: bigint): Promise<EtkRecord | undefined> {
    const [row] = await q.query(`SELECT ${RECORD_COLUMNS} FROM etks WHERE issued_certificate_id = $1 AND status = 'WAIT_FOR_ACTIVATION'`, [
      issuedCertificateId,
    ]);
    return row ? toRecord(row) : undefined;
  },

  async insert(q: Queryable, etk: NewEtk): Promise<bigint> {
    const [row] = await q.query<{ id: bigint }>(
      `INSERT INTO etks (issued_certificate_id, identifier_type, identifier_value, application_id, encryption_serial_hex, public_key_spki,
                         etk_der, not_before, not_after, status, registered_at, activated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
      [
        etk.issuedCertificateId,
        etk.holder.type,
        etk.holder.value,
        etk.holder.applicationId ?? NO_APPLICATION_ID,
        etk.encryptionSerialHex,
        etk.publicKeySpki,
        etk.etkDer,
        etk.notBefore,
        etk.notAfter,
        etk.status,
        etk.registeredAt,
        etk.status === 'ACTIVE' ? etk.registeredAt : null,
      ],
    );
    return row!.id;
  },

  /** Ends an ACTIVE or waiting ETK because another one takes its place. */
  async supersede(q: Queryable, etkId: bigint, at: Date): Promise<void> {
    await q.query(`UPDATE etks SET status = 'SUPERSEDED', ended_at = $2 WHERE id = $1 AND status IN ('ACTIVE', 'WAIT_FOR_ACTIVATION')`, [etkId, at]);
  },

  /** WAIT_FOR_ACTIVATION → ACTIVE. False when the row was no longer waiting. */
  async activate(q: Queryable, etkId: bigint, at: Date): Promise<boolean> {
    const rows = await q.query(`UPDATE etks SET status = 'ACTIVE', activated_at = $2 WHERE id = $1 AND status = 'WAIT_FOR_ACTIVATION' RETURNING id`, [
      etkId,
      at,
    ]);
    return rows.length === 1;
  },

  /** Tells every process (at commit) that what GetEtk answers for this type and value changed. */
  async notifyDirectoryChanged(q: Queryable, type: string, value: string): Promise<void> {
    await q.query('SELECT pg_notify($1, $2)', [ETK_DIRECTORY_CHANNEL, directoryKey(type, value)]);
  },

  // ---- the CertRA contract ------------------------------------------------------------------------------------

  /**
   * Called by CertRA revoke inside its transaction: every ETK of the certificate leaves the depot (published, waiting
   * or superseded ones all become REVOKED), its pending challenges die, and every process drops its cached entries
   * when the transaction commits. Returns the number of ETKs revoked.
   */
  async revokeForCertificate(q: Queryable, issuedCertificateId: bigint, at: Date): Promise<number> {
    const rows = await q.query<{ identifier_type: string; identifier_value: string }>(
      `UPDATE etks SET status = 'REVOKED', ended_at = $2 WHERE issued_certificate_id = $1 AND status <> 'REVOKED'
       RETURNING identifier_type, identifier_value`,
      [issuedCertificateId, at],
    );
    await q.query('UPDATE etk_challenges SET used_at = $2 WHERE issued_certificate_id = $1 AND used_at IS NULL', [issuedCertificateId, at]);
    const changed = new Set(rows.map((r) => directoryKey(r.identifier_type, r.identifier_value)));
    for (const key of changed) await q.query('SELECT pg_notify($1, $2)', [ETK_DIRECTORY_CHANNEL, key]);
    return rows.length;
  },

  /**
   * The ETKStatus CertRA reports for a certificate: its published ETK (VALID_ACTIVE, or EXPIRED past its validity)
   * wins over a replacement waiting for activation; then the newest ETK decides (a superseded ETK is no longer
   * published: REVOKED); without any ETK, an open challenge means IN_REQUEST.
   */
  async statusForCertificate(q: Queryable, issuedCertificateId: bigint, now: Date): Promise<EtkStatus> {
    const rows = await q.query<{ status: EtkState; not_after: Date }>('SELECT status, not_after FROM etks WHERE issued_certificate_id = $1 ORDER BY id DESC', [
      issuedCertificateId,
    ]);
    const expiredOr = (row: { not_after: Date }, status: EtkStatus): EtkStatus => (row.not_after.getTime() <= now.getTime() ? 'EXPIRED' : status);
    const active = rows.find((r) => r.status === 'ACTIVE');
    if (active) return expiredOr(active, 'VALID_ACTIVE');
    const waiting = rows.find((r) => r.status === 'WAIT_FOR_ACTIVATION');
    if (waiting) return expiredOr(waiting, 'WAIT_FOR_ACTIVATION');
    const newest = rows[0];
    if (newest) return newest.status === 'REVOKED' ? 'REVOKED' : expiredOr(newest, 'REVOKED');
    const [open] = await q.query('SELECT 1 FROM etk_challenges WHERE issued_certificate_id = $1 AND used_at IS NULL AND expires_at > $2 LIMIT 1', [
      issuedCertificateId,
      now,
    ]);
    return open ? 'IN_REQUEST' : 'NOT_REQUESTED';
  },

  // ---- the directory (GetEtk) ---------------------------------------------------------------------------------

  /**
   * Published ETKs under this type and value, every application id, whose authentication certificate is not
   * revoked (belt and braces: revocation also ends the ETK row). Validity is the caller's business (it caches).
   */
  async findPublished(q: Queryable, type: string, value: string): Promise<PublishedEtk[]> {
    const rows = await q.query(
      `SELECT e.id, e.identifier_type, e.identifier_value, e.application_id, e.etk_der, e.not_before, e.not_after
       FROM etks e JOIN issued_certificates c ON c.id = e.issued_certificate_id
       WHERE e.identifier_type = $1 AND e.identifier_value = $2 AND e.status = 'ACTIVE' AND c.revoked_at IS NULL
       ORDER BY e.application_id, e.id`,
      [type, value],
    );
    return rows.map(toPublished);
  },

  /** Published ETKs of the holders an alias (e.g. a professional's NIHII) stands for. */
  async findPublishedByAlias(q: Queryable, aliasType: string, aliasValue: string): Promise<PublishedEtk[]> {
    const rows = await q.query(
      `SELECT e.id, e.identifier_type, e.identifier_value, e.application_id, e.etk_der, e.not_before, e.not_after
       FROM etk_identifier_aliases a
       JOIN etks e ON e.identifier_type = a.holder_type AND e.identifier_value = a.holder_value AND e.status = 'ACTIVE'
       JOIN issued_certificates c ON c.id = e.issued_certificate_id
       WHERE a.alias_type = $1 AND a.alias_value = $2 AND c.revoked_at IS NULL
       ORDER BY e.identifier_type, e.identifier_value, e.application_id, e.id`,
      [aliasType, aliasValue],
    );
    return rows.map(toPublished);
  },

  /** Records that `alias` also designates the holder (type, value); idempotent. */
  async recordIdentifierAlias(q: Queryable, alias: Identifier, holder: Identifier): Promise<void> {
    await q.query(
      `INSERT INTO etk_identifier_aliases (alias_type, alias_value, holder_type, holder_value) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [alias.type, alias.value, holder.type, holder.value],
    );
    await q.query('SELECT pg_notify($1, $2)', [ETK_DIRECTORY_CHANNEL, directoryKey(alias.type, alias.value)]);
  },
};
