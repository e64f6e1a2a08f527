import type { CertRaEntityType, ContactData } from '../domain/certra.js';
import type { Identifier } from '../domain/identifier.js';
import { normaliseKeyId } from '../domain/key-id.js';
import { type AuditEntry, auditLog } from './certificate-registry.js';
import type { Queryable } from './database.js';
import { sqlState, violatedConstraint } from './database.js';

/** CertRA certificate requests (table certra_requests): the only SQL for them. */

export type CertRaRequestStatus = 'PENDING' | 'ISSUED' | 'REFUSED';
/** eid: generateCertificate signed with a Belgian eID; foreigner: submitCSRForForeigner, identity checked by an officer. */
export type CertRaChannel = 'eid' | 'foreigner';

export interface CertRaRequestRow {
  readonly id: bigint;
  /** Upper-case hex SHA-1 of the subjectPublicKey: the client's handle and the issued certificate's SKI. */
  readonly publicKeyIdentifier: string;
  readonly channel: CertRaChannel;
  readonly dn: string;
  readonly dnKey: string;
  readonly entityType: CertRaEntityType;
  readonly identifierType: string;
  readonly identifierValue: string;
  readonly applicationId: string | null;
  readonly actorFirstNames: readonly string[];
  readonly actorName: string;
  readonly requesterSsin: string;
  readonly contactData: ContactData;
  readonly baseServiceUsage: readonly string[];
  readonly csrDer: Buffer;
  readonly status: CertRaRequestStatus;
  readonly automaticallyValidated: boolean;
  readonly replacesRequestId: bigint | null;
  readonly issuedCertificateId: bigint | null;
  readonly requestedAt: Date;
  readonly validationReference: string | null;
  readonly validationExpiresAt: Date | null;
  readonly decidedAt: Date | null;
  readonly decidedBy: string | null;
  readonly decisionNote: string | null;
}

export type NewCertRaRequest = Omit<CertRaRequestRow, 'id' | 'status' | 'issuedCertificateId' | 'decidedAt' | 'decidedBy' | 'decisionNote'> & {
  /** The signed request element (exclusive canonical form), kept as evidence of the accepted contract. */
  readonly signedRequest: string | null;
};

/** A second request for a DN that already has one waiting for validation (caught by certra_requests_pending_dn_uq). */
export class PendingRequestExistsError extends Error {
  constructor(dn: string) {
    super(`a request for ${dn} is already waiting for validation`);
    this.name = 'PendingRequestExistsError';
  }
}

export class PublicKeyAlreadyRequestedError extends Error {
  constructor(publicKeyIdentifier: string) {
    super(`public key ${publicKeyIdentifier} was already submitted`);
    this.name = 'PublicKeyAlreadyRequestedError';
  }
}

const COLUMNS = `id, public_key_identifier, channel, dn, dn_key, entity_type, identifier_type, identifier_value, application_id,
  actor_first_names, actor_name, requester_ssin, contact_data, base_service_usage, csr_der, status, automatically_validated,
  replaces_request_id, issued_certificate_id, requested_at, validation_reference, validation_expires_at, decided_at, decided_by,
  decision_note`;

/** COLUMNS of the alias r, for reads that join another table. */
const REQUEST_COLUMNS = COLUMNS.split(',')
  .map((column) => `r.${column.trim()}`)
  .join(', ');

/** Namespace of the per-DN advisory locks (two-key form, apart from the migration lock's single bigint key). */
const DN_LOCK_CLASS = 7352;

function jsonValue<T>(value: unknown): T {
  // pg returns jsonb parsed; PGlite too, but a text column would come back as a string: accept both.
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

function toRow(r: Record<string, unknown>): CertRaRequestRow {
  return {
    id: r.id as bigint,
    publicKeyIdentifier: r.public_key_identifier as string,
    channel: r.channel as CertRaChannel,
    dn: r.dn as string,
    dnKey: r.dn_key as string,
    entityType: r.entity_type as CertRaEntityType,
    identifierType: r.identifier_type as string,
    identifierValue: r.identifier_value as string,
    applicationId: (r.application_id as string | null) ?? null,
    actorFirstNames: jsonValue<string[]>(r.actor_first_names),
    actorName: r.actor_name as string,
    requesterSsin: r.requester_ssin as string,
    contactData: jsonValue<ContactData>(r.contact_data),
    baseServiceUsage: jsonValue<string[]>(r.base_service_usage),
    csrDer: r.csr_der as Buffer,
    status: r.status as CertRaRequestStatus,
    automaticallyValidated: r.automatically_validated as boolean,
    replacesRequestId: (r.replaces_request_id as bigint | null) ?? null,
    issuedCertificateId: (r.issued_certificate_id as bigint | null) ?? null,
    requestedAt: r.requested_at as Date,
    validationReference: (r.validation_reference as string | null) ?? null,
    validationExpiresAt: (r.validation_expires_at as Date | null) ?? null,
    decidedAt: (r.decided_at as Date | null) ?? null,
    decidedBy: (r.decided_by as string | null) ?? null,
    decisionNote: (r.decision_note as string | null) ?? null,
  };
}

export const certRaRequests = {
  /**
   * Serialises every transaction that examines or changes the requests of one DN (held until commit), so that
   * concurrent generateCertificate calls for a DN see each other's outcome.
   */
  async lockDn(q: Queryable, dnKey: string): Promise<void> {
    await q.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [DN_LOCK_CLASS, dnKey]);
  },

  /** Records a new (PENDING) request and its audit record, in one statement. */
  async insert(q: Queryable, request: NewCertRaRequest, audit: AuditEntry): Promise<CertRaRequestRow> {
    try {
      const [row] = await auditLog.recordWith(
        q,
        `INSERT INTO certra_requests (public_key_identifier, channel, dn, dn_key, entity_type, identifier_type, identifier_value,
           application_id, actor_first_names, actor_name, requester_ssin, contact_data, base_service_usage, csr_der, signed_request,
           status, automatically_validated, replaces_request_id, requested_at, validation_reference, validation_expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'PENDING', $16, $17, $18, $19, $20)
         RETURNING ${COLUMNS}`,
        [
          normaliseKeyId(request.publicKeyIdentifier),
          request.channel,
          request.dn,
          request.dnKey,
          request.entityType,
          request.identifierType,
          request.identifierValue,
          request.applicationId,
          JSON.stringify(request.actorFirstNames),
          request.actorName,
          request.requesterSsin,
          JSON.stringify(request.contactData),
          JSON.stringify(request.baseServiceUsage),
          request.csrDer,
          request.signedRequest,
          request.automaticallyValidated,
          request.replacesRequestId,
          request.requestedAt,
          request.validationReference,
          request.validationExpiresAt,
        ],
        audit,
      );
      return toRow(row!);
    } catch (error) {
      if (sqlState(error) === '23505') {
        const constraint = violatedConstraint(error);
        if (constraint === 'certra_requests_pending_dn_uq') throw new PendingRequestExistsError(request.dn);
        if (constraint === 'certra_requests_pki_uq') throw new PublicKeyAlreadyRequestedError(request.publicKeyIdentifier);
      }
      throw error;
    }
  },

  async findById(q: Queryable, id: bigint, options: { forUpdate?: boolean } = {}): Promise<CertRaRequestRow | undefined> {
    const [row] = await q.query(`SELECT ${COLUMNS} FROM certra_requests WHERE id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
    return row ? toRow(row) : undefined;
  },

  async findByPublicKeyIdentifier(q: Queryable, publicKeyIdentifier: string, options: { forUpdate?: boolean } = {}): Promise<CertRaRequestRow | undefined> {
    const [row] = await q.query(`SELECT ${COLUMNS} FROM certra_requests WHERE public_key_identifier = $1${options.forUpdate ? ' FOR UPDATE' : ''}`, [
      normaliseKeyId(publicKeyIdentifier),
    ]);
    return row ? toRow(row) : undefined;
  },

  /** A request and the DER of its certificate (null until issued), in one read. */
  async findWithCertificateDer(q: Queryable, publicKeyIdentifier: string): Promise<{ request: CertRaRequestRow; certificateDer: Buffer | null } | undefined> {
    const [row] = await q.query(
      `SELECT ${REQUEST_COLUMNS}, c.certificate_der AS issued_certificate_der
       FROM certra_requests r LEFT JOIN issued_certificates c ON c.id = r.issued_certificate_id
       WHERE r.public_key_identifier = $1`,
      [normaliseKeyId(publicKeyIdentifier)],
    );
    return row ? { request: toRow(row), certificateDer: (row.issued_certificate_der as Buffer | null) ?? null } : undefined;
  },

  async findByIssuedCertificateId(q: Queryable, issuedCertificateId: bigint): Promise<CertRaRequestRow | undefined> {
    const [row] = await q.query(`SELECT ${COLUMNS} FROM certra_requests WHERE issued_certificate_id = $1`, [issuedCertificateId]);
    return row ? toRow(row) : undefined;
  },

  async findByValidationReference(q: Queryable, reference: string): Promise<CertRaRequestRow | undefined> {
    const [row] = await q.query(`SELECT ${COLUMNS} FROM certra_requests WHERE validation_reference = $1`, [reference]);
    return row ? toRow(row) : undefined;
  },

  /** Every request for a DN, oldest first. */
  async listByDnKey(q: Queryable, dnKey: string): Promise<CertRaRequestRow[]> {
    const rows = await q.query(`SELECT ${COLUMNS} FROM certra_requests WHERE dn_key = $1 ORDER BY id`, [dnKey]);
    return rows.map(toRow);
  },

  /** Requests whose certificate identifier is one of the given (type, value) pairs, oldest first. */
  async listByIdentifiers(q: Queryable, identifiers: readonly Identifier[]): Promise<CertRaRequestRow[]> {
    if (identifiers.length === 0) return [];
    const rows = await q.query(
      `SELECT ${COLUMNS} FROM certra_requests
       WHERE (identifier_type, identifier_value) IN (SELECT t, v FROM unnest($1::text[], $2::text[]) AS i (t, v))
       ORDER BY requested_at, id`,
      [identifiers.map((i) => i.type), identifiers.map((i) => i.value)],
    );
    return rows.map(toRow);
  },

  /** Requests that replace the given one (any status), oldest first. */
  async listReplacementsOf(q: Queryable, requestId: bigint): Promise<CertRaRequestRow[]> {
    const rows = await q.query(`SELECT ${COLUMNS} FROM certra_requests WHERE replaces_request_id = $1 ORDER BY id`, [requestId]);
    return rows.map(toRow);
  },

  async listPending(q: Queryable): Promise<CertRaRequestRow[]> {
    const rows = await q.query(`SELECT ${COLUMNS} FROM certra_requests WHERE status = 'PENDING' ORDER BY requested_at, id`);
    return rows.map(toRow);
  },

  async listRecent(q: Queryable, limit: number): Promise<CertRaRequestRow[]> {
    const rows = await q.query(`SELECT ${COLUMNS} FROM certra_requests ORDER BY id DESC LIMIT $1`, [limit]);
    return rows.map(toRow);
  },

  /** PENDING → ISSUED: the updated request; undefined when it was no longer pending. */
  /** PENDING → ISSUED with its audit record, in one statement; undefined (and no record) when it was no longer pending. */
  async markIssued(
    q: Queryable,
    id: bigint,
    decision: { issuedCertificateId: bigint; at: Date; by: string; note: string | null },
    audit: AuditEntry,
  ): Promise<CertRaRequestRow | undefined> {
    const [row] = await auditLog.recordWith(
      q,
      `UPDATE certra_requests SET status = 'ISSUED', issued_certificate_id = $2, decided_at = $3, decided_by = $4, decision_note = $5
       WHERE id = $1 AND status = 'PENDING' RETURNING ${COLUMNS}`,
      [id, decision.issuedCertificateId, decision.at, decision.by, decision.note],
      audit,
    );
    return row ? toRow(row) : undefined;
  },

  /** PENDING → REFUSED; false when the request was no longer pending. */
  async markRefused(q: Queryable, id: bigint, decision: { at: Date; by: string; note: string }): Promise<boolean> {
    const rows = await q.query(
      `UPDATE certra_requests SET status = 'REFUSED', decided_at = $2, decided_by = $3, decision_note = $4
       WHERE id = $1 AND status = 'PENDING' RETURNING id`,
      [id, decision.at, decision.by, decision.note],
    );
    return rows.length === 1;
  },
};
