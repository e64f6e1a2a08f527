import { CRL_REASON_CODES, crlReasonFromCode, type CrlReason, type RevokedCertificateEntry } from './crl/crl-builder.js';

/**
 * Revocation status of one certificate, by serial number, for CRL generation and a later OCSP responder.
 * The rows come from storage; this module only maps them (no SQL here).
 */

export type RevocationStatus =
  | { readonly status: 'good' }
  | { readonly status: 'revoked'; readonly revokedAt: Date; readonly reason: CrlReason | undefined }
  /** Not a certificate this CA issued (OCSP "unknown"). */
  | { readonly status: 'unknown' };

/** The columns storage keeps per issued certificate that matter for revocation. */
export interface StoredRevocationRow {
  /** Hex of the serial number's INTEGER content octets. */
  readonly serialNumber: string;
  /** Null while not revoked. Drivers return Date or ISO text. */
  readonly revokedAt: Date | string | null;
  /** eHealth RevocationReasonType (keyCompromise, affiliationChanged, superseded, cessationOfOperation), any RFC 5280 name, or its code. */
  readonly revocationReason: string | number | null;
  /** When the certificate was actually issued: a prepared-but-never-signed row is not a certificate. Default true. */
  readonly issued?: boolean;
}

export class RevocationDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RevocationDataError';
  }
}

/** Maps a stored reason to the RFC 5280 CRLReason; undefined for null and for 'unspecified'-like values. */
export function parseRevocationReason(value: string | number | null | undefined): CrlReason | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value === 'number' || /^\d+$/.test(value)) {
    const reason = crlReasonFromCode(Number(value));
    if (reason === undefined) throw new RevocationDataError(`unknown revocation reason code ${value}`);
    return reason;
  }
  const match = (Object.keys(CRL_REASON_CODES) as CrlReason[]).find((name) => name.toLowerCase() === value.toLowerCase());
  if (match === undefined) throw new RevocationDataError(`unknown revocation reason ${value}`);
  return match;
}

function toDate(value: Date | string): Date {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new RevocationDataError(`invalid revocation time ${String(value)}`);
  return date;
}

/** Status of a serial from its row; pass undefined when storage has no row for it. */
export function revocationStatusOf(row: StoredRevocationRow | undefined): RevocationStatus {
  if (row === undefined || row.issued === false) return { status: 'unknown' };
  if (row.revokedAt === null) return { status: 'good' };
  return { status: 'revoked', revokedAt: toDate(row.revokedAt), reason: parseRevocationReason(row.revocationReason) };
}

/** The CRL entries for the revoked rows among `rows` (others are skipped). */
export function crlEntriesFromRows(rows: Iterable<StoredRevocationRow>): RevokedCertificateEntry[] {
  const entries: RevokedCertificateEntry[] = [];
  for (const row of rows) {
    const status = revocationStatusOf(row);
    if (status.status !== 'revoked') continue;
    entries.push({ serialNumber: row.serialNumber, revocationDate: status.revokedAt, ...(status.reason ? { reason: status.reason } : {}) });
  }
  return entries;
}
