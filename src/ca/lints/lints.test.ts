import { createHash, randomBytes } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  Name,
  RelativeDistinguishedName,
  Time,
  Version,
  type Extension,
} from '@peculiar/asn1-x509';
import { issuerCertificateFacts, type IssuerCertificateFacts } from '../issuance/issuer.js';
import {
  createTestHierarchy,
  SAMPLE_PERSON_SUBJECT,
  sampleCitizenSubject,
  sampleOrganisationSubject,
  sharedTestKey,
  spkiOf,
  type TestCa,
} from '../issuance/testing.js';
import {
  adminTlsServer,
  eidCitizenSignature,
  ehealthIssuingCa,
  ehealthNaturalPerson,
  ocspResponder,
  organisationAuthentication,
  organisationSignature,
} from '../profiles/builtin.js';
import type { CertificateProfile } from '../profiles/types.js';
import { addMonths } from '../../domain/clock.js';
import { OID } from '../../x509/oids.js';
import {
  EXTENDED_KEY_USAGE_OIDS,
  authorityInfoAccessExtension,
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  certificatePoliciesExtension,
  crlDistributionPointsExtension,
  encodeBitString,
  encodeExtensionDer,
  encodeName,
  encodeNameDer,
  encodeOctetString,
  encodeOid,
  encodeSequence,
  encodeTbsCertificate,
  encodeTbsCertificateFromParts,
  encodeTlv,
  extendedKeyUsageExtension,
  keyUsageExtension,
  ocspNoCheckExtension,
  parseSubjectPublicKeyInfo,
  rawExtension,
  signatureAlgorithmFor,
  splitSpki,
  subjectAltNameExtension,
  subjectKeyIdentifierExtension,
  toAlgorithmIdentifier,
  type DnSequence,
  type SignatureAlgorithm,
  type TbsCertificateFields,
} from '../x509/index.js';
import { decodeLintCertificate, lintCertificateFor } from './lint-certificate.js';
import { DEFAULT_LINTS, runLints } from './registry.js';
import type { Lint, LintContext } from './types.js';

/**
 * Every lint is shown to pass on a well-formed certificate and to fire on one deliberately broken certificate,
 * built field by field with the x509 builders.
 */

const NOW = new Date('2025-03-10T09:30:00Z');
const RSA = signatureAlgorithmFor('RSA');
const PERSON_SUBJECT = SAMPLE_PERSON_SUBJECT;
const ORG_SUBJECT = sampleOrganisationSubject();
const CITIZEN_SUBJECT = sampleCitizenSubject('Signature');

let issuing: TestCa;
let issuer: IssuerCertificateFacts;
const leafSpki = spkiOf(sharedTestKey('RSA-2048', 1));

beforeAll(async () => {
  ({ issuing } = await createTestHierarchy({ now: NOW }));
  issuer = issuerCertificateFacts(issuing.certificateDer);
});

function contextFor(profile: CertificateProfile, overrides: Partial<LintContext> = {}): LintContext {
  return {
    profile,
    issuer: { ...issuer, keyAlgorithm: 'RSA' },
    selfSigned: false,
    validityMonths: profile.validity.months.acceptance,
    backdateSeconds: profile.validity.backdateSeconds,
    ...overrides,
  };
}

/** A correct TBS for `profile`, as issuance would build it. */
function baseFields(profile: CertificateProfile, subject: DnSequence, spkiDer: Buffer = leafSpki): TbsCertificateFields {
  const bc = profile.basicConstraints;
  const extensions: Extension[] = [
    basicConstraintsExtension(bc.ca, bc.pathLenConstraint, bc.critical),
    keyUsageExtension(profile.keyUsage),
    ...(profile.extendedKeyUsage.length ? [extendedKeyUsageExtension(profile.extendedKeyUsage.map((n) => EXTENDED_KEY_USAGE_OIDS[n]))] : []),
    subjectKeyIdentifierExtension(createHash('sha1').update(splitSpki(spkiDer).subjectPublicKey).digest()),
    authorityKeyIdentifierExtension(issuer.subjectKeyIdentifier),
    crlDistributionPointsExtension(['http://pki.example.test/crl/issuing.crl']),
    authorityInfoAccessExtension({ caIssuers: ['http://pki.example.test/certs/issuing.cer'] }),
  ];
  return {
    version: Version.v3,
    serialNumber: Buffer.from('3a1f0c9d8e7b6a5948372615a4b3c2d1', 'hex'),
    signature: toAlgorithmIdentifier(RSA),
    issuer: AsnConvert.parse(issuer.subjectDer, Name),
    notBefore: new Time(NOW),
    notAfter: new Time(addMonths(NOW, profile.validity.months.acceptance)),
    subject: encodeName(subject),
    subjectPublicKeyInfo: parseSubjectPublicKeyInfo(spkiDer),
    extensions,
  };
}

/** The lint certificate of a TBS, decoded; `outer` overrides the outer signature algorithm. */
async function certificateOf(tbsDer: Buffer, outer: SignatureAlgorithm = RSA) {
  return decodeLintCertificate(lintCertificateFor(tbsDer, outer));
}

const replaceExtension = (fields: TbsCertificateFields, oid: string, replacement?: Extension): TbsCertificateFields => ({
  ...fields,
  extensions: fields.extensions!.flatMap((e) => (e.extnID === oid ? (replacement ? [replacement] : []) : [e])),
});

function singleRdn(type: string, value: AttributeValue): RelativeDistinguishedName {
  return new RelativeDistinguishedName([new AttributeTypeAndValue({ type, value })]);
}

const lintNamed = (name: string): Lint => {
  const lint = DEFAULT_LINTS.find((l) => l.name === name);
  if (!lint) throw new Error(`no lint ${name}`);
  return lint;
};

interface FiringCase {
  readonly lint: string;
  readonly why: string;
  readonly profile: CertificateProfile;
  readonly subject?: DnSequence;
  /** Builds the broken certificate from the correct fields. */
  readonly build: (fields: TbsCertificateFields) => Promise<ReturnType<typeof decodeLintCertificate>>;
  readonly context?: (profile: CertificateProfile) => Partial<LintContext>;
}

const encode = (fields: TbsCertificateFields) => certificateOf(encodeTbsCertificate(fields));

const CASES: readonly FiringCase[] = [
  { lint: 'e_version_v3', why: 'v1 (version omitted)', profile: ehealthNaturalPerson, build: (f) => encode({ ...f, version: undefined }) },
  {
    lint: 'e_serial_number_positive',
    why: 'negative serial',
    profile: ehealthNaturalPerson,
    build: (f) => encode({ ...f, serialNumber: Buffer.from('f31f0c9d8e7b6a5948372615a4b3c2d1', 'hex') }),
  },
  {
    lint: 'e_serial_number_minimal_encoding',
    why: 'redundant leading zero octet',
    profile: ehealthNaturalPerson,
    build: (f) => encode({ ...f, serialNumber: Buffer.from('003a1f0c9d8e7b6a5948372615a4b3c2d1', 'hex') }),
  },
  {
    lint: 'e_serial_number_min_64_bits',
    why: '3-octet serial',
    profile: ehealthNaturalPerson,
    build: (f) => encode({ ...f, serialNumber: Buffer.from([1, 2, 3]) }),
  },
  {
    lint: 'e_serial_number_max_20_octets',
    why: '21-octet serial',
    profile: ehealthNaturalPerson,
    build: (f) => encode({ ...f, serialNumber: Buffer.alloc(21, 0x11) }),
  },
  {
    lint: 'e_signature_algorithm_inner_outer_match',
    why: 'outer sha384WithRSA, inner sha256WithRSA',
    profile: ehealthNaturalPerson,
    build: async (f) => {
      const sha384: SignatureAlgorithm = {
        ...RSA,
        name: 'sha384WithRSAEncryption',
        oid: OID.sha384WithRSAEncryption,
        der: encodeSequence(encodeOid(OID.sha384WithRSAEncryption), Buffer.from([5, 0])),
      };
      return certificateOf(encodeTbsCertificate(f), sha384);
    },
  },
  {
    lint: 'e_signature_algorithm_matches_issuer_key',
    why: 'sha256WithRSA without NULL parameters',
    profile: ehealthNaturalPerson,
    build: async (f) => {
      const noNull: SignatureAlgorithm = { ...RSA, der: encodeSequence(encodeOid(OID.sha256WithRSAEncryption)) };
      return certificateOf(encodeTbsCertificate({ ...f, signature: new AlgorithmIdentifier({ algorithm: OID.sha256WithRSAEncryption }) }), noNull);
    },
  },
  {
    lint: 'e_unique_identifiers_absent',
    why: 'subjectUniqueID present',
    profile: ehealthNaturalPerson,
    build: (f) => encode({ ...f, subjectUniqueID: Buffer.from([1, 2, 3]) }),
  },
  { lint: 'e_extensions_present', why: 'no extensions field', profile: ehealthNaturalPerson, build: (f) => encode({ ...f, extensions: undefined }) },
  {
    lint: 'e_extensions_unique',
    why: 'subjectKeyIdentifier twice',
    profile: ehealthNaturalPerson,
    build: (f) => encode({ ...f, extensions: [...f.extensions!, f.extensions!.find((e) => e.extnID === OID.subjectKeyIdentifier)!] }),
  },
  {
    lint: 'e_critical_extensions_known',
    why: 'critical private extension',
    profile: ehealthNaturalPerson,
    build: (f) => encode({ ...f, extensions: [...f.extensions!, rawExtension('1.3.6.1.4.1.99999.1', true, Buffer.from([5, 0]))] }),
  },
  {
    lint: 'e_extension_critical_false_omitted',
    why: 'critical BOOLEAN FALSE encoded',
    profile: ehealthNaturalPerson,
    build: async (f) => {
      const ders = f.extensions!.map((e) => encodeExtensionDer(e));
      const skiIndex = f.extensions!.findIndex((e) => e.extnID === OID.subjectKeyIdentifier);
      const skiValue = Buffer.from(f.extensions![skiIndex]!.extnValue.buffer);
      ders[skiIndex] = encodeSequence(encodeOid(OID.subjectKeyIdentifier), Buffer.from([0x01, 0x01, 0x00]), encodeOctetString(skiValue));
      return certificateOf(
        encodeTbsCertificateFromParts({
          serialNumber: Buffer.from(f.serialNumber),
          signatureAlgorithmDer: RSA.der,
          issuerDer: issuer.subjectDer,
          notBefore: f.notBefore.getTime(),
          notAfter: f.notAfter.getTime(),
          subjectDer: Buffer.from(AsnConvert.serialize(f.subject)),
          spkiDer: leafSpki,
          extensionDers: ders,
        }),
      );
    },
  },
  {
    lint: 'e_validity_time_encoding',
    why: 'GeneralizedTime for a 2025 date',
    profile: ehealthNaturalPerson,
    build: (f) => encode({ ...f, notBefore: new Time({ generalTime: NOW }) }),
  },
  {
    lint: 'e_validity_not_before_before_not_after',
    why: 'notBefore after notAfter',
    profile: ehealthNaturalPerson,
    build: (f) => encode({ ...f, notBefore: f.notAfter, notAfter: f.notBefore }),
  },
  {
    lint: 'e_validity_within_issuer',
    why: 'notAfter beyond the issuing CA',
    profile: ehealthNaturalPerson,
    build: (f) => encode({ ...f, notAfter: new Time(addMonths(NOW, 200)) }),
    context: () => ({ validityMonths: 200 }),
  },
  {
    lint: 'e_validity_matches_profile_months',
    why: '13 months on a 12-month profile',
    profile: ehealthNaturalPerson,
    build: (f) => encode({ ...f, notAfter: new Time(addMonths(NOW, 13)) }),
  },
  {
    lint: 'e_issuer_dn_matches_issuer_subject',
    why: 'same issuer name, O as PrintableString instead of UTF8String',
    profile: ehealthNaturalPerson,
    build: (f) =>
      encode({
        ...f,
        issuer: new Name([
          singleRdn('2.5.4.6', new AttributeValue({ printableString: 'BE' })),
          singleRdn('2.5.4.10', new AttributeValue({ printableString: 'Federal Government' })),
          singleRdn('2.5.4.11', new AttributeValue({ utf8String: 'eHealth-platform Belgium' })),
          singleRdn('2.5.4.3', new AttributeValue({ utf8String: 'Test eH CA' })),
        ]),
      }),
  },
  { lint: 'e_subject_not_empty', why: 'empty subject', profile: ehealthNaturalPerson, build: (f) => encode({ ...f, subject: new Name([]) }) },
  {
    lint: 'e_subject_rdn_single_valued',
    why: 'OU+CN in one RDN',
    profile: ehealthNaturalPerson,
    build: (f) => {
      const rdns = [...f.subject];
      const merged = new RelativeDistinguishedName([...rdns[4]!, ...rdns[5]!]);
      return encode({ ...f, subject: new Name([...rdns.slice(0, 4), merged]) });
    },
  },
  {
    lint: 'e_subject_no_empty_values',
    why: 'OU of spaces',
    profile: ehealthNaturalPerson,
    build: (f) => encode({ ...f, subject: new Name([...f.subject, singleRdn('2.5.4.11', new AttributeValue({ utf8String: '  ' }))]) }),
  },
  {
    lint: 'e_subject_string_encodings',
    why: 'countryName as UTF8String',
    profile: ehealthNaturalPerson,
    build: (f) => encode({ ...f, subject: new Name([singleRdn('2.5.4.6', new AttributeValue({ utf8String: 'BE' })), ...[...f.subject].slice(1)]) }),
  },
  {
    lint: 'e_subject_country_code',
    why: 'lower-case country',
    profile: ehealthNaturalPerson,
    build: (f) => encode({ ...f, subject: new Name([singleRdn('2.5.4.6', new AttributeValue({ printableString: 'be' })), ...[...f.subject].slice(1)]) }),
  },
  {
    lint: 'e_subject_dn_form',
    why: 'OU=TYPE=id differs from the CN',
    profile: ehealthNaturalPerson,
    build: (f) =>
      encode({
        ...f,
        subject: encodeName(PERSON_SUBJECT.map((a) => (a.value === 'SSIN=85073003328' && a.type === 'OU' ? { ...a, value: 'SSIN=85073003427' } : a))),
      }),
  },
  {
    lint: 'e_subject_serial_number_ssin',
    why: 'SSIN with a wrong check digit',
    profile: eidCitizenSignature,
    subject: CITIZEN_SUBJECT,
    build: (f) => encode({ ...f, subject: encodeName(CITIZEN_SUBJECT.map((a) => (a.type === 'SERIALNUMBER' ? { ...a, value: '85073003329' } : a))) }),
  },
  {
    lint: 'e_public_key_allowed',
    why: 'RSA-1024 subject key',
    profile: ehealthNaturalPerson,
    build: (f) => encode({ ...f, subjectPublicKeyInfo: parseSubjectPublicKeyInfo(spkiOf(sharedTestKey('RSA-1024'))) }),
  },
  {
    lint: 'e_rsa_spki_parameters_null',
    why: 'rsaEncryption without NULL parameters',
    profile: ehealthNaturalPerson,
    build: (f) => {
      const spki = encodeSequence(encodeSequence(encodeOid(OID.rsaEncryption)), encodeBitString(splitSpki(leafSpki).subjectPublicKey));
      return encode({ ...f, subjectPublicKeyInfo: parseSubjectPublicKeyInfo(spki) });
    },
  },
  {
    lint: 'e_key_usage_present_critical',
    why: 'keyUsage not critical',
    profile: ehealthNaturalPerson,
    build: (f) => encode(replaceExtension(f, OID.keyUsage, keyUsageExtension(ehealthNaturalPerson.keyUsage, false))),
  },
  {
    lint: 'e_key_usage_matches_profile',
    why: 'digitalSignature only on a profile that also wants key transport',
    profile: ehealthNaturalPerson,
    build: (f) => encode(replaceExtension(f, OID.keyUsage, keyUsageExtension(['digitalSignature']))),
  },
  {
    lint: 'e_key_usage_fits_key_algorithm',
    why: 'EC key with keyEncipherment',
    profile: organisationAuthentication,
    subject: ORG_SUBJECT,
    build: (f) =>
      encode({
        ...replaceExtension(f, OID.keyUsage, keyUsageExtension(['digitalSignature', 'keyEncipherment'])),
        subjectPublicKeyInfo: parseSubjectPublicKeyInfo(spkiOf(sharedTestKey('P-256'))),
      }),
  },
  {
    lint: 'e_ext_key_usage_matches_profile',
    why: 'serverAuth instead of clientAuth',
    profile: ehealthNaturalPerson,
    build: (f) => encode(replaceExtension(f, OID.extKeyUsage, extendedKeyUsageExtension([OID.kpServerAuth]))),
  },
  {
    lint: 'e_basic_constraints_ca',
    why: 'CA without pathLen 0',
    profile: ehealthIssuingCa,
    subject: [
      { type: 'C', value: 'BE' },
      { type: 'CN', value: 'Sub CA' },
    ],
    build: (f) => encode(replaceExtension(f, OID.basicConstraints, basicConstraintsExtension(true, undefined, true))),
    context: () => ({ validityMonths: 120 }),
  },
  {
    lint: 'e_basic_constraints_leaf',
    why: 'cA TRUE on a leaf',
    profile: ehealthNaturalPerson,
    build: (f) => encode(replaceExtension(f, OID.basicConstraints, basicConstraintsExtension(true, undefined, true))),
  },
  {
    lint: 'e_subject_key_identifier',
    why: 'SKI of another key',
    profile: ehealthNaturalPerson,
    build: (f) => encode(replaceExtension(f, OID.subjectKeyIdentifier, subjectKeyIdentifierExtension(randomBytes(20)))),
  },
  {
    lint: 'e_authority_key_identifier',
    why: 'AKI is not the issuer SKI',
    profile: ehealthNaturalPerson,
    build: (f) => encode(replaceExtension(f, OID.authorityKeyIdentifier, authorityKeyIdentifierExtension(randomBytes(20)))),
  },
  {
    lint: 'e_authority_key_identifier_not_critical',
    why: 'AKI critical',
    profile: ehealthNaturalPerson,
    build: (f) => encode(replaceExtension(f, OID.authorityKeyIdentifier, authorityKeyIdentifierExtension(issuer.subjectKeyIdentifier, true))),
  },
  {
    lint: 'e_crl_distribution_point',
    why: 'https CRL URL',
    profile: ehealthNaturalPerson,
    build: (f) => encode(replaceExtension(f, OID.cRLDistributionPoints, crlDistributionPointsExtension(['https://pki.example.test/issuing.crl']))),
  },
  {
    lint: 'e_aia_ca_issuers',
    why: 'no authorityInfoAccess',
    profile: ehealthNaturalPerson,
    build: (f) => encode(replaceExtension(f, OID.authorityInfoAccess)),
  },
  {
    lint: 'e_certificate_policies_match_profile',
    why: 'a policy on a profile without policies',
    profile: ehealthNaturalPerson,
    build: (f) => encode({ ...f, extensions: [...f.extensions!, certificatePoliciesExtension([{ oid: '2.16.56.1.1.1.2' }])] }),
  },
  {
    lint: 'e_ocsp_nocheck_matches_profile',
    why: 'id-pkix-ocsp-nocheck on a certificate that is no OCSP responder',
    profile: ehealthNaturalPerson,
    build: (f) => encode({ ...f, extensions: [...f.extensions!, ocspNoCheckExtension()] }),
  },
  {
    lint: 'e_subject_alt_name_matches_profile',
    why: 'a subjectAltName on a profile that names no TLS server',
    profile: ehealthNaturalPerson,
    build: (f) => encode({ ...f, extensions: [...f.extensions!, subjectAltNameExtension({ dns: ['example.test'], ip: [] })] }),
  },
];

const subjectFor = (c: FiringCase): DnSequence => c.subject ?? PERSON_SUBJECT;

describe('lints', () => {
  it('has at least 25 lints with distinct names, a description and a source', () => {
    expect(DEFAULT_LINTS.length).toBeGreaterThanOrEqual(25);
    expect(new Set(DEFAULT_LINTS.map((l) => l.name)).size).toBe(DEFAULT_LINTS.length);
    for (const lint of DEFAULT_LINTS) {
      expect(lint.name).toMatch(/^e_[a-z0-9_]+$/);
      expect(lint.description.length).toBeGreaterThan(10);
      expect(lint.source.length).toBeGreaterThan(3);
    }
  });

  it('every lint has a firing case below', () => {
    expect(CASES.map((c) => c.lint).sort()).toEqual(DEFAULT_LINTS.map((l) => l.name).sort());
  });

  it('an OCSP URL in the AIA must be http, like caIssuers', async () => {
    const aia = (ocsp: string) => authorityInfoAccessExtension({ caIssuers: ['http://pki.example.test/certs/issuing.cer'], ocsp: [ocsp] });
    const fields = baseFields(ehealthNaturalPerson, PERSON_SUBJECT);
    const plain = await encode(replaceExtension(fields, OID.authorityInfoAccess, aia('http://pki.example.test/ocsp')));
    expect(lintNamed('e_aia_ca_issuers').check(plain, contextFor(ehealthNaturalPerson)).status).toBe('pass');
    const tls = await encode(replaceExtension(fields, OID.authorityInfoAccess, aia('https://pki.example.test/ocsp')));
    expect(lintNamed('e_aia_ca_issuers').check(tls, contextFor(ehealthNaturalPerson))).toEqual({
      status: 'fail',
      detail: 'OCSP URLs must be http: https://pki.example.test/ocsp',
    });
  });

  it('a correct short-lived OCSP responder certificate passes every lint, and a missing nocheck fires', async () => {
    const subject: DnSequence = [
      { type: 'C', value: 'BE' },
      { type: 'CN', value: 'eHealth Dev Issuing CA OCSP Responder' },
    ];
    const base = baseFields(ocspResponder, subject);
    const fields: TbsCertificateFields = {
      ...base,
      notAfter: new Time(new Date(NOW.getTime() + 7 * 86_400_000)),
      extensions: [...base.extensions!.filter((e) => e.extnID !== OID.cRLDistributionPoints && e.extnID !== OID.authorityInfoAccess), ocspNoCheckExtension()],
    };
    const context = contextFor(ocspResponder, { validityDays: 7 });
    expect(runLints(await encode(fields), context).filter((o) => o.status === 'fail')).toEqual([]);
    const withoutNoCheck = await encode(replaceExtension(fields, OID.ocspNoCheck));
    expect(lintNamed('e_ocsp_nocheck_matches_profile').check(withoutNoCheck, context).status).toBe('fail');
    const eightDays = await encode({ ...fields, notAfter: new Time(new Date(NOW.getTime() + 8 * 86_400_000)) });
    expect(lintNamed('e_validity_matches_profile_months').check(eightDays, context).status).toBe('fail');
  });

  it.each([
    ['ehealth-natural-person', ehealthNaturalPerson, PERSON_SUBJECT],
    ['organisation-authentication', organisationAuthentication, ORG_SUBJECT],
    ['organisation-signature', organisationSignature, ORG_SUBJECT],
    ['eid-citizen-signature', eidCitizenSignature, CITIZEN_SUBJECT],
  ] as const)('a correct %s certificate passes every lint', async (_name, profile, subject) => {
    const cert = await encode(baseFields(profile, subject));
    const failures = runLints(cert, contextFor(profile)).filter((o) => o.status === 'fail');
    expect(failures).toEqual([]);
  });

  describe.each(CASES.map((c) => [c.lint, c] as const))('%s', (_name, c) => {
    it(`passes on the correct certificate`, async () => {
      const cert = await encode(baseFields(c.profile, subjectFor(c)));
      const context = contextFor(c.profile, c.context?.(c.profile));
      expect(lintNamed(c.lint).check(cert, context).status).not.toBe('fail');
    });

    it(`fires on: ${c.why}`, async () => {
      const cert = await c.build(baseFields(c.profile, subjectFor(c)));
      const context = contextFor(c.profile, c.context?.(c.profile));
      const result = lintNamed(c.lint).check(cert, context);
      expect(result.status).toBe('fail');
      expect(result.status === 'fail' && result.detail.length).toBeGreaterThan(0);
    });
  });

  it('a TLS server certificate (admin-tls-server) passes with its names, and fires without them or with a bad host name', async () => {
    const subject: DnSequence = [
      { type: 'C', value: 'BE' },
      { type: 'O', value: 'eHealth certificate platform' },
      { type: 'CN', value: 'localhost' },
    ];
    const base = baseFields(adminTlsServer, subject);
    const withNames = (dns: string[]) => encode({ ...base, extensions: [...base.extensions!, subjectAltNameExtension({ dns, ip: ['127.0.0.1'] })] });
    const context = contextFor(adminTlsServer);
    expect(runLints(await withNames(['localhost']), context).filter((o) => o.status === 'fail')).toEqual([]);
    expect(lintNamed('e_subject_alt_name_matches_profile').check(await encode(base), context)).toEqual({
      status: 'fail',
      detail: 'subjectAltName is missing (the profile names TLS servers)',
    });
    expect(lintNamed('e_subject_alt_name_matches_profile').check(await withNames(['Admin_Host']), context)).toEqual({
      status: 'fail',
      detail: 'dNSName Admin_Host is not a lower-case host name',
    });
  });

  it('e_key_usage_matches_profile also fires on a non-minimal keyUsage BIT STRING', async () => {
    // digitalSignature|keyEncipherment|dataEncipherment followed by a trailing zero octet
    const nonMinimal = encodeTlv(0x03, Buffer.from([0x00, 0xb0, 0x00]));
    const cert = await encode(replaceExtension(baseFields(ehealthNaturalPerson, PERSON_SUBJECT), OID.keyUsage, rawExtension(OID.keyUsage, true, nonMinimal)));
    const result = lintNamed('e_key_usage_matches_profile').check(cert, contextFor(ehealthNaturalPerson));
    expect(result).toEqual({ status: 'fail', detail: expect.stringMatching(/minimally encoded/) });
  });

  it('e_ext_key_usage_matches_profile fires when a profile without EKU gets one', async () => {
    const fields = baseFields(organisationSignature, ORG_SUBJECT);
    const cert = await encode({ ...fields, extensions: [...fields.extensions!, extendedKeyUsageExtension([OID.kpClientAuth])] });
    expect(lintNamed('e_ext_key_usage_matches_profile').check(cert, contextFor(organisationSignature)).status).toBe('fail');
  });

  it('e_validity_matches_profile_months accepts a shorter notAfter only when it is the issuer notAfter', async () => {
    const fields = baseFields(ehealthNaturalPerson, PERSON_SUBJECT);
    const issuerEnd = addMonths(NOW, 6);
    const shortIssuer = contextFor(ehealthNaturalPerson, { issuer: { ...issuer, notAfter: issuerEnd, keyAlgorithm: 'RSA' } });
    const clamped = await encode({ ...fields, notAfter: new Time(issuerEnd) });
    expect(lintNamed('e_validity_matches_profile_months').check(clamped, shortIssuer).status).toBe('pass');
    const short = await encode({ ...fields, notAfter: new Time(addMonths(NOW, 5)) });
    expect(lintNamed('e_validity_matches_profile_months').check(short, shortIssuer).status).toBe('fail');
  });

  it('runLints reports a lint that throws as a failure', async () => {
    const cert = await encode(baseFields(ehealthNaturalPerson, PERSON_SUBJECT));
    const throwing: Lint = {
      name: 'e_throws',
      description: 'always throws',
      source: 'test',
      check: () => {
        throw new Error('boom');
      },
    };
    expect(runLints(cert, contextFor(ehealthNaturalPerson), [throwing])).toEqual([{ name: 'e_throws', status: 'fail', detail: 'lint raised boom' }]);
  });

  it('decodes the subject encoding the builder produced (PrintableString C, UTF8String others)', async () => {
    const cert = await encode(baseFields(ehealthNaturalPerson, PERSON_SUBJECT));
    expect(cert.subjectDer.equals(encodeNameDer(PERSON_SUBJECT))).toBe(true);
    expect(cert.subject.map((a) => [a.type, a.tag])).toEqual([
      ['C', 0x13],
      ['O', 0x0c],
      ['OU', 0x0c],
      ['OU', 0x0c],
      ['OU', 0x0c],
      ['CN', 0x0c],
    ]);
  });
});
