import type { Queryable } from './database.js';
import { normaliseSerialHex } from './certificate-registry.js';

/**
 * The officers' certificate search (admin API, console): issued certificates with the CertRA request that led to them,
 * when there is one (service certificates, the OCSP responder's or the KGSS's, have none).
 */

export type CertificateSearchStatus = 'valid' | 'revoked' | 'expired';

export interface CertificateSearchFilter {
  /** The holder's SSIN (a natural person's certificate) or the requester's. */
  readonly ssin?: string | undefined;
  /** An organisation identifier (any type: CBE, NIHII-HOSPITAL, …), as in the DN. */
  readonly organisationId?: string | undefined;
  readonly serialHex?: string | undefined;
  /** Part of the subject DN, case-insensitive. */
  readonly dnContains?: string | undefined;
  readonly status?: CertificateSearchStatus | undefined;
  /** Valid certificates whose notAfter falls before this instant. */
  readonly expiresBefore?: Date | undefined;
  readonly now: Date;
  readonly limit: number;
}

export interface CertificateSearchRow {
  readonly id: bigint;
  readonly issuerKeyId: string;
  readonly serialHex: string;
  readonly subjectDn: string;
  readonly profile: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly issuedAt: Date | null;
  readonly revokedAt: Date | null;
  readonly revocationReason: string | null;
  readonly publicKeyIdentifier: string | null;
  readonly identifierType: string | null;
  readonly identifierValue: string | null;
  readonly requesterSsin: string | null;
}

const COLUMNS = `c.id, c.issuer_key_id, c.serial_hex, c.subject_dn, c.profile, c.not_before, c.not_after, c.issued_at, c.revoked_at,
  c.revocation_reason, r.public_key_identifier, r.identifier_type, r.identifier_value, r.requester_ssin`;

function toRow(r: Record<string, unknown>): CertificateSearchRow {
  return {
    id: r.id as bigint,
    issuerKeyId: r.issuer_key_id as string,
    serialHex: r.serial_hex as string,
    subjectDn: r.subject_dn as string,
    profile: r.profile as string,
    notBefore: r.not_before as Date,
    notAfter: r.not_after as Date,
    issuedAt: (r.issued_at as Date | null) ?? null,
    revokedAt: (r.revoked_at as Date | null) ?? null,
    revocationReason: (r.revocation_reason as string | null) ?? null,
    publicKeyIdentifier: (r.public_key_identifier as string | null) ?? null,
    identifierType: (r.identifier_type as string | null) ?? null,
    identifierValue: (r.identifier_value as string | null) ?? null,
    requesterSsin: (r.requester_ssin as string | null) ?? null,
  };
}

/** LIKE pattern of a literal fragment: %, _ and \ mean themselves. */
function containing(fragment: string): string {
  return `%${fragment.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export const certificateSearch = {
  /** Recorded certificates matching every given filter, newest first. */
  async search(q: Queryable, filter: CertificateSearchFilter): Promise<CertificateSearchRow[]> {
    const where = ['c.certificate_der IS NOT NULL'];
    const params: unknown[] = [];
    const add = (clause: string, ...values: unknown[]) => {
      let text = clause;
      for (const value of values) {
        params.push(value);
        text = text.replace('?', `$${params.length}`);
      }
      where.push(text);
    };
    if (filter.ssin !== undefined) add(`((r.identifier_type = 'SSIN' AND r.identifier_value = ?) OR r.requester_ssin = ?)`, filter.ssin, filter.ssin);
    if (filter.organisationId !== undefined) add(`(r.identifier_type <> 'SSIN' AND r.identifier_value = ?)`, filter.organisationId);
    if (filter.serialHex !== undefined) add('c.serial_hex = ?', normaliseSerialHex(filter.serialHex));
    if (filter.dnContains !== undefined) add(`lower(c.subject_dn) LIKE ? ESCAPE '\\'`, containing(filter.dnContains));
    if (filter.status === 'revoked') where.push('c.revoked_at IS NOT NULL');
    if (filter.status === 'valid') add('(c.revoked_at IS NULL AND c.not_after > ?)', filter.now);
    if (filter.status === 'expired') add('(c.revoked_at IS NULL AND c.not_after <= ?)', filter.now);
    if (filter.expiresBefore !== undefined) add('(c.revoked_at IS NULL AND c.not_after > ? AND c.not_after <= ?)', filter.now, filter.expiresBefore);
    params.push(filter.limit);
    const rows = await q.query(
      `SELECT ${COLUMNS} FROM issued_certificates c LEFT JOIN certra_requests r ON r.issued_certificate_id = c.id
       WHERE ${where.join(' AND ')} ORDER BY c.id DESC LIMIT $${params.length}`,
      params,
    );
    return rows.map(toRow);
  },

  /** One certificate by serial (any issuer of ours), with its request. */
  async bySerial(q: Queryable, serialHex: string): Promise<CertificateSearchRow | undefined> {
    const [row] = await q.query(
      `SELECT ${COLUMNS} FROM issued_certificates c LEFT JOIN certra_requests r ON r.issued_certificate_id = c.id
       WHERE c.serial_hex = $1 AND c.certificate_der IS NOT NULL ORDER BY c.id LIMIT 1`,
      [normaliseSerialHex(serialHex)],
    );
    return row ? toRow(row) : undefined;
  },
};
