import type { IssuedCertificateRow } from '../../storage/certificate-registry.js';
import type { CertRaRequestRow } from '../../storage/certra-requests.js';
import { certificateStatus, isLiveReplacement, lifecycleState } from './lifecycle.js';
import { defaultCertRaPolicy } from './policy.js';

const policy = defaultCertRaPolicy('acceptance');
const T0 = new Date('2027-01-10T12:00:00Z');
const NOT_AFTER = new Date('2028-01-10T12:00:00Z');

function request(overrides: Partial<CertRaRequestRow> = {}): CertRaRequestRow {
  return {
    id: 1n,
    publicKeyIdentifier: 'AB'.repeat(20),
    channel: 'eid',
    dn: 'CN=SSIN\\=85073003328,OU=eHealth-platform Belgium,OU=JAN TEST,OU=SSIN\\=85073003328,O=Federal Government,C=BE',
    dnKey: 'k',
    entityType: 'NaturalPerson',
    identifierType: 'SSIN',
    identifierValue: '85073003328',
    applicationId: null,
    actorFirstNames: ['Jan'],
    actorName: 'Test',
    requesterSsin: '85073003328',
    contactData: { emailPrivate: 'a@b.be', phonePrivate: '+32 2 000 00 00' },
    baseServiceUsage: [],
    csrDer: Buffer.alloc(0),
    status: 'ISSUED',
    automaticallyValidated: true,
    replacesRequestId: null,
    issuedCertificateId: 7n,
    requestedAt: T0,
    validationReference: null,
    validationExpiresAt: null,
    decidedAt: T0,
    decidedBy: 'automatic',
    decisionNote: null,
    ...overrides,
  };
}

function certificate(overrides: Partial<IssuedCertificateRow> = {}): IssuedCertificateRow {
  return {
    id: 7n,
    issuerKeyId: 'CA',
    serialHex: '1f',
    subjectKeyId: 'AB'.repeat(20),
    subjectDn: 'x',
    profile: 'ehealth-natural-person',
    notBefore: T0,
    notAfter: NOT_AFTER,
    certificateDer: Buffer.from([0x30, 0]),
    issuedAt: T0,
    revokedAt: null,
    revocationReason: null,
    ...overrides,
  };
}

describe('CertRA certificate lifecycle states', () => {
  it('derives the CertificateStatusType from the request and its registry row', () => {
    const pending = request({ status: 'PENDING', issuedCertificateId: null, decidedAt: null });
    expect(certificateStatus(pending, undefined, T0)).toBe('IN_PROGRESS');
    expect(certificateStatus(request({ status: 'REFUSED', issuedCertificateId: null }), undefined, T0)).toBe('REFUSED');
    expect(certificateStatus(request(), certificate(), T0)).toBe('VALID_ACTIVE');
    expect(certificateStatus(request(), certificate({ revokedAt: T0 }), T0)).toBe('REVOKED');
    expect(certificateStatus(request(), certificate(), NOT_AFTER)).toBe('EXPIRED');
    // A foreigner's request lapses when the identity was not validated in time.
    const foreigner = request({
      status: 'PENDING',
      channel: 'foreigner',
      issuedCertificateId: null,
      decidedAt: null,
      validationExpiresAt: new Date(T0.getTime() + 1000),
    });
    expect(certificateStatus(foreigner, undefined, T0)).toBe('IN_PROGRESS');
    expect(certificateStatus(foreigner, undefined, new Date(T0.getTime() + 1000))).toBe('REFUSED');
  });

  it('is revocable while valid and replaceable only inside the replacement period, once', () => {
    const inside = new Date('2027-10-10T12:00:00Z');
    const before = new Date('2027-10-10T11:59:59Z');
    expect(lifecycleState(policy, request(), certificate(), false, before)).toMatchObject({ revocable: true, replaceable: false });
    expect(lifecycleState(policy, request(), certificate(), false, inside)).toEqual({
      status: 'VALID_ACTIVE',
      revocable: true,
      replaceable: true,
      replacementPeriodStart: inside,
    });
    expect(lifecycleState(policy, request(), certificate(), true, inside).replaceable).toBe(false);
    expect(lifecycleState(policy, request(), certificate({ revokedAt: T0 }), false, inside)).toMatchObject({ revocable: false, replaceable: false });
    expect(lifecycleState(policy, request({ status: 'PENDING', issuedCertificateId: null }), undefined, false, inside).replacementPeriodStart).toBeUndefined();
  });

  it('counts a replacement while it waits or while its certificate is not revoked', () => {
    expect(isLiveReplacement(request({ status: 'PENDING', issuedCertificateId: null }), undefined, T0)).toBe(true);
    expect(isLiveReplacement(request({ status: 'REFUSED', issuedCertificateId: null }), undefined, T0)).toBe(false);
    expect(isLiveReplacement(request(), certificate(), T0)).toBe(true);
    expect(isLiveReplacement(request(), certificate({ revokedAt: T0 }), T0)).toBe(false);
  });
});
