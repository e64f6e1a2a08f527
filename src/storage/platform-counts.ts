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

  /** Certificates issued and revoked per UTC day since `since` (days with neither are left out). */
  async perDay(q: Queryable, since: Date): Promise<Array<{ day: string; issued: number; revoked: number }>> {
    const rows = await q.query<{ day: string; issued: string | number; revoked: string | number }>(
      `SELECT day, sum(issued) AS issued, sum(revoked) AS revoked FROM (
         SELECT to_char(issued_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, 1 AS issued, 0 AS revoked
           FROM issued_certificates WHERE certificate_der IS NOT NULL AND issued_at >= $1
         UNION ALL
         SELECT to_char(revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), 0, 1
           FROM issued_certificates WHERE certificate_der IS NOT NULL AND revoked_at >= $1) AS events
       GROUP BY day ORDER BY day`,
      [since],
    );
    return rows.map((r) => ({ day: r.day, issued: Number(r.issued), revoked: Number(r.revoked) }));
  },

  /** Valid (unrevoked) certificates whose notAfter falls in [from, to). */
  async expiringBetween(q: Queryable, from: Date, to: Date): Promise<number> {
    const [row] = await q.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM issued_certificates WHERE certificate_der IS NOT NULL AND revoked_at IS NULL AND not_after >= $1 AND not_after < $2`,
      [from, to],
    );
    return Number(row!.n);
  },
};
