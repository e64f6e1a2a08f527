import type { Queryable } from './database.js';

/** What the operations gauges show, read in one statement when /metrics is scraped. */
export interface PlatformCounts {
  /** CertRA requests waiting for an officer. */
  readonly pendingRequests: number;
  readonly issuedCertificates: number;
  readonly revokedCertificates: number;
  /** When each CA last issued its CRL (its nextUpdate follows from the CRL validity). */
  readonly crlsIssued: ReadonlyArray<{ readonly issuerKeyId: string; readonly lastIssuedAt: Date }>;
}

export const platformCounts = {
  async read(q: Queryable): Promise<PlatformCounts> {
    const [row] = await q.query<{ pending: string | number; issued: string | number; revoked: string | number; crls: unknown }>(
      `SELECT (SELECT count(*) FROM certra_requests WHERE status = 'PENDING') AS pending,
              (SELECT count(*) FROM issued_certificates WHERE certificate_der IS NOT NULL) AS issued,
              (SELECT count(*) FROM issued_certificates WHERE certificate_der IS NOT NULL AND revoked_at IS NOT NULL) AS revoked,
              (SELECT coalesce(json_agg(json_build_object('issuerKeyId', issuer_key_id, 'lastIssuedAt', last_issued_at)), '[]'::json)
                 FROM crl_state WHERE last_issued_at IS NOT NULL) AS crls`,
    );
    const crls = (typeof row!.crls === 'string' ? JSON.parse(row!.crls) : row!.crls) as Array<{ issuerKeyId: string; lastIssuedAt: string }>;
    return {
      pendingRequests: Number(row!.pending),
      issuedCertificates: Number(row!.issued),
      revokedCertificates: Number(row!.revoked),
      crlsIssued: crls.map((crl) => ({ issuerKeyId: crl.issuerKeyId, lastIssuedAt: new Date(crl.lastIssuedAt) })),
    };
  },
};
