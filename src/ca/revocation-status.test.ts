import { crlEntriesFromRows, parseRevocationReason, revocationStatusOf, type StoredRevocationRow } from './revocation-status.js';

describe('revocation status from stored rows', () => {
  const revokedAt = new Date('2026-03-01T10:00:00Z');

  it('no row or a never-issued row is unknown; a live row is good; a revoked row carries time and reason', () => {
    expect(revocationStatusOf(undefined)).toEqual({ status: 'unknown' });
    expect(revocationStatusOf({ serialNumber: '01', revokedAt: null, revocationReason: null, issued: false })).toEqual({ status: 'unknown' });
    expect(revocationStatusOf({ serialNumber: '01', revokedAt: null, revocationReason: null })).toEqual({ status: 'good' });
    expect(revocationStatusOf({ serialNumber: '01', revokedAt, revocationReason: 'keyCompromise' })).toEqual({
      status: 'revoked',
      revokedAt,
      reason: 'keyCompromise',
    });
    expect(revocationStatusOf({ serialNumber: '01', revokedAt: '2026-03-01T10:00:00.000Z', revocationReason: null })).toEqual({
      status: 'revoked',
      revokedAt,
      reason: undefined,
    });
  });

  it('maps the eHealth RevocationReasonType values, RFC 5280 names in any case, and numeric codes', () => {
    expect(parseRevocationReason('affiliationChanged')).toBe('affiliationChanged');
    expect(parseRevocationReason('SUPERSEDED')).toBe('superseded');
    expect(parseRevocationReason('cessationOfOperation')).toBe('cessationOfOperation');
    expect(parseRevocationReason(1)).toBe('keyCompromise');
    expect(parseRevocationReason('9')).toBe('privilegeWithdrawn');
    expect(parseRevocationReason(null)).toBeUndefined();
    expect(() => parseRevocationReason('lostCard')).toThrow(/unknown revocation reason lostCard/);
    expect(() => parseRevocationReason(7)).toThrow(/unknown revocation reason code 7/);
  });

  it('refuses an unreadable revocation time rather than guessing', () => {
    expect(() => revocationStatusOf({ serialNumber: '01', revokedAt: 'yesterday', revocationReason: null })).toThrow(/invalid revocation time/);
  });

  it('turns the revoked rows into CRL entries and skips the others', () => {
    const rows: StoredRevocationRow[] = [
      { serialNumber: '0a', revokedAt, revocationReason: 'superseded' },
      { serialNumber: '0b', revokedAt: null, revocationReason: null },
      { serialNumber: '0c', revokedAt, revocationReason: null },
      { serialNumber: '0d', revokedAt, revocationReason: 'keyCompromise', issued: false },
    ];
    expect(crlEntriesFromRows(rows)).toEqual([
      { serialNumber: '0a', revocationDate: revokedAt, reason: 'superseded' },
      { serialNumber: '0c', revocationDate: revokedAt },
    ]);
  });
});
