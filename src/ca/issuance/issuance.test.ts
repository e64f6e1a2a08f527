import { execFileSync } from 'node:child_process';
import { createHash, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AuthorityKeyIdentifier, Certificate, SubjectKeyIdentifier } from '@peculiar/asn1-x509';
import { certtoolVerify, opensslVerify } from '../../../test/support/pki-tools.js';
import { createKeyObjectSigner, type KeySigner } from '../keys/key-signer.js';
import { extensionOf, splitCertificate } from '../../x509/certificate.js';
import { OID } from '../../x509/oids.js';
import { decodeLintCertificate } from '../lints/lint-certificate.js';
import { DEFAULT_LINTS } from '../lints/registry.js';
import { PASS, fail, type Lint } from '../lints/types.js';
import {
  citizenCa,
  ehealthNaturalPerson,
  ehealthOrganisation,
  eidCitizenAuthentication,
  eidCitizenSignature,
  etkRaSigner,
  ETK_RA_SUBJECT,
  organisationAuthentication,
  organisationEncryption,
  organisationSignature,
} from '../profiles/builtin.js';
import { applyProfileOverrides, builtInProfiles } from '../profiles/load-profiles.js';
import type { CertificateProfile } from '../profiles/types.js';
import { addMonths } from '../../domain/clock.js';
import { buildCsr, publicKeyObject, splitSpki, toPem, verifySignature, signatureAlgorithmFor, type DnSequence } from '../x509/index.js';
import { CaError, type CaErrorCode } from './errors.js';
import { issue, prepareFromCsr, prepareFromTemplate, publicKeyIdentifier, type PrepareFromCsrInput, type PreparedCertificate } from './index.js';
import { createTestHierarchy, generateTestKey, SAMPLE_PERSON_SUBJECT, sampleOrganisationSubject, sharedTestKey, spkiOf, type TestCa } from './testing.js';

/**
 * Certificates verified with OpenSSL and GnuTLS must be valid now (certtool has no "verify at" option),
 * so these tests issue at the current time; arithmetic-only tests use fixed dates.
 */
const NOW = new Date(Math.floor(Date.now() / 1000) * 1000);
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

const PERSON_DN = 'CN=SSIN\\=85073003328,OU=eHealth-platform Belgium,OU=JAN TEST,OU=SSIN\\=85073003328,O=Federal Government,C=BE';
const PERSON_SUBJECT = SAMPLE_PERSON_SUBJECT;
const ORG_DN =
  'CN=NIHII-HOSPITAL\\=71089815\\, MYAPP,OU=eHealth-platform Belgium,OU=TEST HOSPITAL,OU=NIHII-HOSPITAL\\=71089815,OU=MYAPP,O=Federal Government,C=BE';
const ORG_SUBJECT = sampleOrganisationSubject('MYAPP');

let root: TestCa;
let issuing: TestCa;
let ecRoot: TestCa;
let ecIssuing: TestCa;

beforeAll(async () => {
  ({ root, issuing } = await createTestHierarchy({ now: NOW }));
  ({ root: ecRoot, issuing: ecIssuing } = await createTestHierarchy({
    now: NOW,
    rootKey: sharedTestKey('P-384', 100),
    issuingKey: sharedTestKey('P-384', 101),
  }));
});

const leafKey = (slot = 1): KeyObject => sharedTestKey('RSA-2048', slot);

/** The signer, counting its sign() calls. */
function countingSigner(signer: KeySigner): { signer: KeySigner; calls: () => number } {
  let calls = 0;
  return {
    signer: {
      ...signer,
      sign: (data, hash) => {
        calls += 1;
        return signer.sign(data, hash);
      },
    },
    calls: () => calls,
  };
}

function csrInput(overrides: Partial<PrepareFromCsrInput> = {}): PrepareFromCsrInput {
  return {
    csrDer: buildCsr(PERSON_SUBJECT, leafKey()),
    expectedSubjectDn: PERSON_DN,
    profile: ehealthNaturalPerson,
    environment: 'acceptance',
    now: NOW,
    issuer: issuing.issuer,
    ...overrides,
  };
}

async function expectCaError(promise: Promise<unknown>, code: CaErrorCode): Promise<CaError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CaError);
  expect((error as CaError).code).toBe(code);
  return error as CaError;
}

function opensslText(der: Buffer, ...args: string[]): string {
  return execFileSync('openssl', ['x509', '-inform', 'DER', '-noout', ...args], { input: der, encoding: 'utf8' });
}

describe('issuance happy paths (verified with openssl -x509_strict and certtool)', () => {
  it('the test root and issuing CA verify', async () => {
    await opensslVerify(root.certificateDer, root.certificateDer);
    await opensslVerify(issuing.certificateDer, root.certificateDer);
    await certtoolVerify(issuing.certificateDer, root.certificateDer);
    await opensslVerify(ecIssuing.certificateDer, ecRoot.certificateDer);
    expect(opensslText(issuing.certificateDer, '-text')).toMatch(/CA:TRUE, pathlen:0/);
  });

  it('eHealth natural person from a CSR: sslclient / clientAuth', async () => {
    const prepared = await prepareFromCsr(csrInput({ environment: 'production' }));
    const cert = await issue(prepared);
    await opensslVerify(cert.der, root.certificateDer, { untrusted: [issuing.certificateDer], purpose: 'sslclient' });
    await certtoolVerify([cert.der, issuing.certificateDer], root.certificateDer, { purposeOid: CLIENT_AUTH });
    const text = opensslText(cert.der, '-text');
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Key Encipherment, Data Encipherment/);
    expect(text).toMatch(/Extended Key Usage:\s+TLS Web Client Authentication/);
    expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/URI:http:\/\/pki\.example\.test\/crl\/issuing\.crl/);
    expect(text).toMatch(/CA Issuers - URI:http:\/\/pki\.example\.test\/certs\/issuing\.cer/);
    expect(cert.subjectDn).toBe(PERSON_DN);
  });

  it('eHealth organisation with an application id, matched against a .NET-style display DN', async () => {
    const cert = await issue(
      await prepareFromCsr(
        csrInput({
          csrDer: buildCsr(ORG_SUBJECT, leafKey(2)),
          expectedSubjectDn:
            'CN="NIHII-HOSPITAL=71089815, MYAPP", OU=eHealth-platform Belgium, OU=TEST HOSPITAL, OU="NIHII-HOSPITAL=71089815", OU=MYAPP, O=Federal Government, C=BE',
          profile: ehealthOrganisation,
        }),
      ),
    );
    await opensslVerify(cert.der, root.certificateDer, { untrusted: [issuing.certificateDer], purpose: 'sslclient' });
    await certtoolVerify([cert.der, issuing.certificateDer], root.certificateDer, { purposeOid: CLIENT_AUTH });
    expect(cert.subjectDn).toBe(ORG_DN);
  });

  it.each([
    ['organisation-authentication, P-256 key under a P-384 CA', organisationAuthentication, 'P-256', 'sslclient'],
    ['organisation-authentication, P-384 key', organisationAuthentication, 'P-384', 'sslclient'],
    ['organisation-signature, RSA key', organisationSignature, 'RSA-2048', undefined],
    ['organisation-signature, P-256 key', organisationSignature, 'P-256', undefined],
  ] as const)('%s', async (_name, profile, keyKind, purpose) => {
    const key = sharedTestKey(keyKind, 3);
    const cert = await issue(
      await prepareFromCsr(
        csrInput({ csrDer: buildCsr(ORG_SUBJECT, key), expectedSubjectDn: ORG_DN, profile, issuer: ecIssuing.issuer, environment: 'production' }),
      ),
    );
    await opensslVerify(cert.der, ecRoot.certificateDer, { untrusted: [ecIssuing.certificateDer], ...(purpose ? { purpose } : {}) });
    await certtoolVerify([cert.der, ecIssuing.certificateDer], ecRoot.certificateDer, purpose ? { purposeOid: CLIENT_AUTH } : {});
    expect(opensslText(cert.der, '-text')).toMatch(/Signature Algorithm: ecdsa-with-SHA384/);
    if (profile === organisationSignature) expect(opensslText(cert.der, '-text')).toMatch(/Key Usage: critical\s+Digital Signature, Non Repudiation/);
  });

  it('organisation-encryption: key transport only', async () => {
    const cert = await issue(
      await prepareFromCsr(csrInput({ csrDer: buildCsr(ORG_SUBJECT, leafKey(4)), expectedSubjectDn: ORG_DN, profile: organisationEncryption })),
    );
    await opensslVerify(cert.der, root.certificateDer, { untrusted: [issuing.certificateDer] });
    await certtoolVerify([cert.der, issuing.certificateDer], root.certificateDer);
    const text = opensslText(cert.der, '-text');
    expect(text).toMatch(/Key Usage: critical\s+Key Encipherment, Data Encipherment/);
    expect(text).not.toMatch(/Extended Key Usage/);
    // no clientAuth: OpenSSL refuses it as a TLS client certificate
    await expect(opensslVerify(cert.der, root.certificateDer, { untrusted: [issuing.certificateDer], purpose: 'sslclient' })).rejects.toThrow(
      /unsuitable certificate purpose/,
    );
  });

  it('ETK-RA signer from a template', async () => {
    const cert = await issue(
      await prepareFromTemplate({
        profile: etkRaSigner,
        environment: 'production',
        now: NOW,
        subject: ETK_RA_SUBJECT,
        subjectPublicKeySpki: spkiOf(leafKey(5)),
        issuer: issuing.issuer,
      }),
    );
    await opensslVerify(cert.der, root.certificateDer, { untrusted: [issuing.certificateDer] });
    await certtoolVerify([cert.der, issuing.certificateDer], root.certificateDer);
    expect(opensslText(cert.der, '-subject', '-nameopt', 'RFC2253')).toMatch(/subject=CN=ETK-RA,OU=eHealth-platform Belgium,O=Federal Government,C=BE/);
    expect(opensslText(cert.der, '-text')).toMatch(/Key Usage: critical\s+Digital Signature\n/);
  });

  it('test citizen CA and eID-like Signature / Authentication certificates', async () => {
    const citizen = await createTestHierarchy({
      now: NOW,
      issuingProfile: citizenCa,
      issuingSubject: [
        { type: 'C', value: 'BE' },
        { type: 'CN', value: 'Test Citizen CA' },
        { type: 'SERIALNUMBER', value: '202501' },
      ],
    });
    const person = (suffix: 'Signature' | 'Authentication'): DnSequence => [
      { type: 'C', value: 'BE' },
      { type: 'CN', value: `Jan Peeters (${suffix})` },
      { type: 'SN', value: 'Peeters' },
      { type: 'GIVENNAME', value: 'Jan Marie' },
      { type: 'SERIALNUMBER', value: '85073003328' },
    ];
    const signature = await issue(
      await prepareFromTemplate({
        profile: eidCitizenSignature,
        environment: 'production',
        now: NOW,
        subject: person('Signature'),
        subjectPublicKeySpki: spkiOf(leafKey(6)),
        issuer: citizen.issuing.issuer,
      }),
    );
    const authentication = await issue(
      await prepareFromTemplate({
        profile: eidCitizenAuthentication,
        environment: 'production',
        now: NOW,
        subject: person('Authentication'),
        subjectPublicKeySpki: spkiOf(sharedTestKey('P-256', 7)),
        issuer: citizen.issuing.issuer,
      }),
    );
    await opensslVerify([signature.der, authentication.der], citizen.root.certificateDer, { untrusted: [citizen.issuing.certificateDer] });
    await opensslVerify(authentication.der, citizen.root.certificateDer, { untrusted: [citizen.issuing.certificateDer], purpose: 'sslclient' });
    await certtoolVerify([signature.der, citizen.issuing.certificateDer], citizen.root.certificateDer);
    await certtoolVerify([authentication.der, citizen.issuing.certificateDer], citizen.root.certificateDer, { purposeOid: CLIENT_AUTH });
    expect(opensslText(signature.der, '-text')).toMatch(/Key Usage: critical\s+Non Repudiation\n/);
    expect(opensslText(authentication.der, '-subject', '-nameopt', 'RFC2253')).toMatch(
      /serialNumber=85073003328,GN=Jan Marie,SN=Peeters,CN=Jan Peeters \(Authentication\),C=BE/,
    );
    expect(signature.notAfter.getTime()).toBe(addMonths(NOW, 120).getTime());
  });

  it('certificate policies from a profile override', async () => {
    const profile = applyProfileOverrides(builtInProfiles(), {
      profiles: { 'ehealth-natural-person': { certificatePolicies: [{ oid: '2.16.56.1.1.1.7', cpsUri: 'http://repo.example.test/cps' }] } },
    }).get('ehealth-natural-person')!;
    const cert = await issue(await prepareFromCsr(csrInput({ profile })));
    await opensslVerify(cert.der, root.certificateDer, { untrusted: [issuing.certificateDer], purpose: 'sslclient' });
    await certtoolVerify([cert.der, issuing.certificateDer], root.certificateDer);
    expect(opensslText(cert.der, '-text')).toMatch(/Policy: 2\.16\.56\.1\.1\.1\.7\s+CPS: http:\/\/repo\.example\.test\/cps/);
  });
});

describe('identifiers and serials', () => {
  it('SubjectKeyIdentifier = SHA-1 of the subjectPublicKey bits = publicKeyIdentifier(); AKI = issuer SKI', async () => {
    const key = leafKey();
    const prepared = await prepareFromCsr(csrInput());
    const cert = await issue(prepared);
    const expected = createHash('sha1')
      .update(splitSpki(spkiOf(key)).subjectPublicKey)
      .digest('hex');
    expect(publicKeyIdentifier(spkiOf(key)).toString('hex')).toBe(expected);
    expect(prepared.subjectKeyIdentifierHex).toBe(expected);
    const decoded = decodeLintCertificate(cert.der);
    const ski = AsnConvert.parse(extensionOf(decoded, OID.subjectKeyIdentifier)!.value, SubjectKeyIdentifier);
    expect(Buffer.from(ski.buffer).toString('hex')).toBe(expected);
    expect(opensslText(cert.der, '-ext', 'subjectKeyIdentifier').replace(/[\s:]/g, '').toLowerCase()).toContain(expected);
    const issuerSki = AsnConvert.parse(extensionOf(decodeLintCertificate(issuing.certificateDer), OID.subjectKeyIdentifier)!.value, SubjectKeyIdentifier);
    const aki = AsnConvert.parse(extensionOf(decoded, OID.authorityKeyIdentifier)!.value, AuthorityKeyIdentifier);
    expect(Buffer.from(aki.keyIdentifier!.buffer).equals(Buffer.from(issuerSki.buffer))).toBe(true);
  });

  it('serials: 16 octets, positive, non-zero first octet, distinct, as printed by openssl', async () => {
    const serials = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const prepared = await prepareFromCsr(csrInput());
      expect(prepared.serialHex).toMatch(/^[0-7][0-9a-f]{31}$/);
      expect(prepared.serialHex.startsWith('00')).toBe(false);
      serials.add(prepared.serialHex);
      if (i === 0) {
        const cert = await issue(prepared);
        expect(opensslText(cert.der, '-serial').trim().toLowerCase()).toBe(`serial=${prepared.serialHex}`);
      }
    }
    expect(serials.size).toBe(20);
  });
});

describe('lint before sign', () => {
  it('signs exactly the linted TBS bytes; the lint certificate carries a placeholder that verifies under no key', async () => {
    const prepared = await prepareFromCsr(csrInput());
    const cert = await issue(prepared);
    const linted = splitCertificate(prepared.lintCertificateDer);
    const final = splitCertificate(cert.der);
    expect(final.tbs.equals(linted.tbs)).toBe(true);
    expect(final.signature.equals(linted.signature)).toBe(false);
    const issuerKey = publicKeyObject(issuing.signer.publicKeySpki);
    expect(verifySignature(final.tbs, final.signature, signatureAlgorithmFor('RSA'), issuerKey)).toBe(true);
    expect(verifySignature(linted.tbs, linted.signature, signatureAlgorithmFor('RSA'), issuerKey)).toBe(false);
    expect(prepared.lintOutcomes.filter((o) => o.status === 'fail')).toEqual([]);
    expect(prepared.lintOutcomes.length).toBe(DEFAULT_LINTS.length);
  });

  it('refuses issuance when a lint fails, naming the lint, and never calls the real signer', async () => {
    const watched = countingSigner(issuing.signer);
    const failing: Lint = { name: 'e_test_always_fails', description: 'injected', source: 'test', check: () => fail('injected failure') };
    const error = await expectCaError(
      prepareFromCsr(csrInput({ issuer: { ...issuing.issuer, signer: watched.signer }, lints: [...DEFAULT_LINTS, failing] })),
      'LINT_FAILED',
    );
    expect(error.lintName).toBe('e_test_always_fails');
    expect(error.message).toMatch(/e_test_always_fails.*injected failure/);
    expect(watched.calls()).toBe(0);
  });

  it('a passing injected lint lets issuance through', async () => {
    const passing: Lint = { name: 'e_test_passes', description: 'injected', source: 'test', check: () => PASS };
    const prepared = await prepareFromCsr(csrInput({ lints: [passing] }));
    expect(prepared.lintOutcomes).toEqual([{ name: 'e_test_passes', status: 'pass' }]);
  });

  it('a real lint refuses a bad issuer URL (https CRL)', async () => {
    const error = await expectCaError(prepareFromCsr(csrInput({ issuer: { ...issuing.issuer, crlUrl: 'https://pki.example.test/x.crl' } })), 'LINT_FAILED');
    expect(error.lintName).toBe('e_crl_distribution_point');
  });

  it('detects a signer that alters the TBS it was given', async () => {
    const tampering: KeySigner = {
      ...issuing.signer,
      sign: async (data, hash) => {
        (data as Buffer)[20] ^= 0x01;
        return issuing.signer.sign(data, hash);
      },
    };
    const prepared = await prepareFromCsr(csrInput({ issuer: { ...issuing.issuer, signer: tampering } }));
    await expectCaError(issue(prepared), 'TBS_MISMATCH');
  });

  it('detects a signature that does not verify with the issuer key', async () => {
    const other = createKeyObjectSigner(sharedTestKey('RSA-2048', 50), 'wrong key');
    const wrongSignature: KeySigner = { ...issuing.signer, sign: (data, hash) => other.sign(data, hash) };
    const prepared = await prepareFromCsr(csrInput({ issuer: { ...issuing.issuer, signer: wrongSignature } }));
    const error = await expectCaError(issue(prepared), 'SIGNING_FAILED');
    expect(error.message).toContain(issuing.signer.description);
  });

  it('wraps a failing signer', async () => {
    const broken: KeySigner = { ...issuing.signer, sign: async () => Promise.reject(new Error('token removed')) };
    const prepared = await prepareFromCsr(csrInput({ issuer: { ...issuing.issuer, signer: broken } }));
    const error = await expectCaError(issue(prepared), 'SIGNING_FAILED');
    expect((error.cause as Error).message).toBe('token removed');
  });

  it('a prepared certificate is issued once only; forged ones are refused', async () => {
    const prepared = await prepareFromCsr(csrInput());
    await issue(prepared);
    await expectCaError(issue(prepared), 'ALREADY_ISSUED');
    await expectCaError(issue({ ...prepared } as PreparedCertificate), 'INVALID_INPUT');
  });

  it('exposes the SHA-256 of the TBSCertificate before signing: the bytes the signer gets and the issued certificate carries', async () => {
    const signed: Buffer[] = [];
    const prepared = await prepareFromCsr(
      csrInput({
        issuer: {
          ...issuing.issuer,
          signer: {
            ...issuing.signer,
            sign: (data, hash) => {
              signed.push(Buffer.from(data));
              return issuing.signer.sign(data, hash);
            },
          },
        },
      }),
    );
    expect(prepared.tbsSha256Hex).toBe(createHash('sha256').update(splitCertificate(prepared.lintCertificateDer).tbs).digest('hex'));
    const issued = await issue(prepared);
    expect(signed).toHaveLength(1);
    expect(createHash('sha256').update(signed[0]!).digest('hex')).toBe(prepared.tbsSha256Hex);
    expect(issued.tbsSha256Hex).toBe(prepared.tbsSha256Hex);
    expect(createHash('sha256').update(splitCertificate(issued.der).tbs).digest('hex')).toBe(prepared.tbsSha256Hex);
  });

  it('concurrent issue() calls on one prepared certificate sign once', async () => {
    const watched = countingSigner(issuing.signer);
    const prepared = await prepareFromCsr(csrInput({ issuer: { ...issuing.issuer, signer: watched.signer } }));
    const results = await Promise.allSettled([issue(prepared), issue(prepared)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(watched.calls()).toBe(1);
  });
});

describe('CSR and key checks', () => {
  it.each([
    ['RSA-1024', 'RSA-1024', ehealthNaturalPerson, 'WEAK_KEY', /1024 bits/],
    ['RSA with e=3', 'RSA-2048-e3', ehealthNaturalPerson, 'WEAK_KEY', /exponent 3/],
    ['P-521', 'P-521', organisationAuthentication, 'WEAK_KEY', /P-521/],
    ['an EC key on an RSA-only profile', 'P-256', ehealthNaturalPerson, 'UNSUPPORTED_KEY', /EC keys are not accepted/],
  ] as const)('refuses %s', async (_name, kind, profile, code, message) => {
    const subject = profile === ehealthNaturalPerson ? PERSON_SUBJECT : ORG_SUBJECT;
    const error = await expectCaError(
      prepareFromCsr(
        csrInput({ csrDer: buildCsr(subject, sharedTestKey(kind)), profile, expectedSubjectDn: profile === ehealthNaturalPerson ? PERSON_DN : ORG_DN }),
      ),
      code,
    );
    expect(error.message).toMatch(message);
  });

  it('refuses a CSR whose signature has one bit flipped', async () => {
    const der = Buffer.from(buildCsr(PERSON_SUBJECT, leafKey()));
    der[der.length - 10]! ^= 0x04;
    await expectCaError(prepareFromCsr(csrInput({ csrDer: der })), 'BAD_CSR_SIGNATURE');
  });

  it('refuses bytes that are not a CSR', async () => {
    await expectCaError(prepareFromCsr(csrInput({ csrDer: Buffer.from('3003020100', 'hex') })), 'BAD_CSR');
    await expectCaError(prepareFromCsr(csrInput({ csrDer: Buffer.from('not der') })), 'BAD_CSR');
  });

  it('refuses a CSR signed with SHA-1', async () => {
    const dir = execFileSync('mktemp', ['-d'], { encoding: 'utf8' }).trim();
    try {
      execFileSync('sh', ['-c', `cat > ${dir}/k.pem`], { input: leafKey().export({ type: 'pkcs8', format: 'pem' }) });
      const der = execFileSync('openssl', ['req', '-new', '-key', `${dir}/k.pem`, '-subj', '/C=BE/CN=x', '-sha1', '-outform', 'DER']);
      await expectCaError(prepareFromCsr(csrInput({ csrDer: der })), 'UNSUPPORTED_SIGNATURE_ALGORITHM');
    } finally {
      execFileSync('rm', ['-rf', dir]);
    }
  });

  it('matches the contract DN semantically (order, escaping, spacing) but refuses another DN', async () => {
    const reordered = 'C=BE, O=Federal Government, OU=SSIN\\=85073003328, OU=JAN TEST, OU=eHealth-platform Belgium, CN=SSIN\\=85073003328';
    await expect(prepareFromCsr(csrInput({ expectedSubjectDn: reordered }))).resolves.toBeDefined();
    const error = await expectCaError(prepareFromCsr(csrInput({ expectedSubjectDn: PERSON_DN.replace(/85073003328/g, '85073003427') })), 'DN_MISMATCH');
    expect(error.message).toContain('SSIN\\=85073003328');
    await expectCaError(prepareFromCsr(csrInput({ expectedSubjectDn: PERSON_DN.replace('JAN TEST', 'JAN TEST2') })), 'DN_MISMATCH');
    await expectCaError(prepareFromCsr(csrInput({ expectedSubjectDn: PERSON_DN.replace('JAN TEST', 'jan test') })), 'DN_MISMATCH');
    await expectCaError(prepareFromCsr(csrInput({ expectedSubjectDn: `${PERSON_DN},L=Brussels` })), 'DN_MISMATCH');
  });

  it('refuses an unparsable expected DN as invalid input', async () => {
    await expectCaError(prepareFromCsr(csrInput({ expectedSubjectDn: 'CN=a,,=b' })), 'INVALID_INPUT');
  });

  it('refuses a subject that matches the contract but not the profile', async () => {
    const subject = PERSON_SUBJECT.filter((a) => a.value !== 'eHealth-platform Belgium');
    const dn = 'CN=SSIN\\=85073003328,OU=JAN TEST,OU=SSIN\\=85073003328,O=Federal Government,C=BE';
    const error = await expectCaError(prepareFromCsr(csrInput({ csrDer: buildCsr(subject, leafKey()), expectedSubjectDn: dn })), 'SUBJECT_NOT_ALLOWED');
    expect(error.message).toMatch(/eHealth-platform Belgium is missing/);
  });

  it('messages carry no key material', async () => {
    const key = sharedTestKey('RSA-1024');
    const error = await expectCaError(prepareFromCsr(csrInput({ csrDer: buildCsr(PERSON_SUBJECT, key) })), 'WEAK_KEY');
    const spkiBase64 = spkiOf(key).toString('base64');
    expect(error.message).not.toContain(spkiBase64.slice(40, 80));
    expect(error.message).not.toMatch(/BEGIN|[A-Za-z0-9+/]{40}/);
  });
});

describe('validity', () => {
  const fixedNow = new Date('2025-03-10T09:30:00Z');
  let fixedIssuing: TestCa;
  beforeAll(async () => {
    ({ issuing: fixedIssuing } = await createTestHierarchy({ now: new Date('2025-01-01T00:00:00Z') }));
  });

  it.each([
    ['acceptance', 12, '2026-03-10T09:30:00.000Z'],
    ['production', 36, '2028-03-10T09:30:00.000Z'],
  ] as const)('%s: %i months', async (environment, _months, notAfter) => {
    const prepared = await prepareFromCsr(csrInput({ now: fixedNow, environment, issuer: fixedIssuing.issuer }));
    expect(prepared.notBefore.toISOString()).toBe('2025-03-10T09:30:00.000Z');
    expect(prepared.notAfter.toISOString()).toBe(notAfter);
    const cert = await issue(prepared);
    expect(opensslText(cert.der, '-enddate').trim()).toBe(`notAfter=${environment === 'acceptance' ? 'Mar 10 09:30:00 2026 GMT' : 'Mar 10 09:30:00 2028 GMT'}`);
  });

  it('months come from the profile (JSON override) or the call', async () => {
    const profile = applyProfileOverrides(builtInProfiles(), { profiles: { 'ehealth-natural-person': { validity: { months: { acceptance: 15 } } } } }).get(
      'ehealth-natural-person',
    )!;
    expect((await prepareFromCsr(csrInput({ now: fixedNow, profile, issuer: fixedIssuing.issuer }))).notAfter.toISOString()).toBe('2026-06-10T09:30:00.000Z');
    expect((await prepareFromCsr(csrInput({ now: fixedNow, validityMonths: 3, issuer: fixedIssuing.issuer }))).notAfter.toISOString()).toBe(
      '2025-06-10T09:30:00.000Z',
    );
    await expectCaError(prepareFromCsr(csrInput({ now: fixedNow, validityMonths: 0, issuer: fixedIssuing.issuer })), 'INVALID_INPUT');
  });

  it('drops milliseconds and backdates notBefore by the profile backdate', async () => {
    const profile: CertificateProfile = { ...ehealthNaturalPerson, validity: { ...ehealthNaturalPerson.validity, backdateSeconds: 300 } };
    const prepared = await prepareFromCsr(csrInput({ now: new Date('2025-03-10T09:30:00.750Z'), profile, issuer: fixedIssuing.issuer }));
    expect(prepared.notBefore.toISOString()).toBe('2025-03-10T09:25:00.000Z');
    expect(prepared.notAfter.toISOString()).toBe('2026-03-10T09:30:00.000Z');
  });

  it('clamps notAfter to the issuer notAfter, and notBefore to the issuer notBefore', async () => {
    const shortLived = await createTestHierarchy({ now: new Date('2025-01-01T00:00:00Z'), issuingValidityMonths: 12 });
    const issuerEnd = new Date('2026-01-01T00:00:00Z');
    const prepared = await prepareFromCsr(csrInput({ now: fixedNow, environment: 'production', issuer: shortLived.issuing.issuer }));
    expect(prepared.notAfter.toISOString()).toBe(issuerEnd.toISOString());
    await issue(prepared);

    const profile: CertificateProfile = { ...ehealthNaturalPerson, validity: { ...ehealthNaturalPerson.validity, backdateSeconds: 3600 } };
    const early = await prepareFromCsr(csrInput({ now: new Date('2025-01-01T00:10:00Z'), profile, issuer: shortLived.issuing.issuer }));
    expect(early.notBefore.toISOString()).toBe('2025-01-01T00:00:00.000Z');
  });

  it('refuses to issue from an expired or not yet valid issuer', async () => {
    const shortLived = await createTestHierarchy({ now: new Date('2025-01-01T00:00:00Z'), issuingValidityMonths: 1 });
    await expectCaError(prepareFromCsr(csrInput({ now: new Date('2025-02-01T00:00:00Z'), issuer: shortLived.issuing.issuer })), 'ISSUER_EXPIRED');
    await expectCaError(prepareFromCsr(csrInput({ now: new Date('2025-03-01T00:00:00Z'), issuer: shortLived.issuing.issuer })), 'ISSUER_EXPIRED');
    await expectCaError(prepareFromCsr(csrInput({ now: new Date('2024-12-31T23:59:59Z'), issuer: shortLived.issuing.issuer })), 'ISSUER_NOT_YET_VALID');
  });
});

describe('issuer checks', () => {
  it('refuses a signer that does not hold the issuer key', async () => {
    const other = createKeyObjectSigner(sharedTestKey('RSA-2048', 60), 'other key');
    await expectCaError(prepareFromCsr(csrInput({ issuer: { ...issuing.issuer, signer: other } })), 'ISSUER_KEY_MISMATCH');
  });

  it('refuses a leaf certificate as issuer', async () => {
    const leaf = await issue(await prepareFromCsr(csrInput()));
    const leafSigner = createKeyObjectSigner(leafKey(), 'leaf');
    await expectCaError(
      prepareFromCsr(csrInput({ issuer: { certificateDer: leaf.der, signer: leafSigner, crlUrl: 'http://x/c.crl', caIssuersUrl: 'http://x/c.cer' } })),
      'ISSUER_INVALID',
    );
  });

  it('needs the issuer URLs the profile asks for', async () => {
    await expectCaError(prepareFromCsr(csrInput({ issuer: { certificateDer: issuing.certificateDer, signer: issuing.signer } })), 'INVALID_INPUT');
  });

  it('a self-signed template must certify its own signer key', async () => {
    const signer = createKeyObjectSigner(generateTestKey('P-256'), 'root');
    await expectCaError(
      prepareFromTemplate({
        profile: (await import('../profiles/builtin.js')).rootCa,
        environment: 'production',
        now: NOW,
        subject: [
          { type: 'C', value: 'BE' },
          { type: 'CN', value: 'Root' },
        ],
        subjectPublicKeySpki: spkiOf(leafKey()),
        issuer: { selfSigned: true, signer },
      }),
      'ISSUER_KEY_MISMATCH',
    );
  });

  it('parses issuer certificates with asn1-x509 too (sanity of the CA certificates)', () => {
    const parsed = AsnConvert.parse(issuing.certificateDer, Certificate);
    expect(parsed.tbsCertificate.extensions?.map((e) => e.extnID)).toEqual([
      OID.basicConstraints,
      OID.keyUsage,
      OID.subjectKeyIdentifier,
      OID.authorityKeyIdentifier,
      OID.cRLDistributionPoints,
      OID.authorityInfoAccess,
    ]);
    expect(toPem(issuing.certificateDer)).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
  });
});
