import fc from 'fast-check';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, Name, Time, Version } from '@peculiar/asn1-x509';
import { generateKeyPairSync } from 'node:crypto';
import { signatureAlgorithmFor, toAlgorithmIdentifier } from './algorithms.js';
import {
  authorityInfoAccessExtension,
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  crlDistributionPointsExtension,
  extendedKeyUsageExtension,
  keyUsageExtension,
  subjectKeyIdentifierExtension,
} from './extensions.js';
import { encodeName, encodeNameDer, type DnAttribute } from './name.js';
import { SAMPLE_PERSON_SUBJECT } from '../issuance/testing.js';
import { splitCertificate, type KeyUsageName } from '../../x509/certificate.js';
import { OID } from '../../x509/oids.js';
import { assembleCertificate } from './certificate.js';
import { DerError, decodeTime, encodeGeneralizedTime, encodeTime, readSingleTlv } from '../../asn1/der.js';
import { encodeExtensionDer, encodeTbsCertificate, encodeTbsCertificateFromParts, parseSubjectPublicKeyInfo } from './tbs-certificate.js';

const rsaSpki = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'der' });
const ecSpki = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey.export({ type: 'spki', format: 'der' });

const positiveSerial = fc.uint8Array({ minLength: 1, maxLength: 20 }).filter((b) => b[0]! > 0 && b[0]! < 0x80);
// Whole seconds between 1950 and 9999: the RFC 5280 window of UTCTime and GeneralizedTime.
const certificateDate = fc.integer({ min: Date.UTC(1950, 0, 1) / 1000, max: Date.UTC(9999, 11, 31, 23, 59, 59) / 1000 }).map((s) => new Date(s * 1000));
const dnValue = fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' });
const dnAttribute: fc.Arbitrary<DnAttribute> = fc.oneof(
  fc.constantFrom<DnAttribute>({ type: 'C', value: 'BE' }, { type: 'SERIALNUMBER', value: '85073003328' }),
  fc.record({ type: fc.constantFrom('O', 'OU', 'CN', 'GIVENNAME', 'SN', 'L', 'ST'), value: dnValue }) as fc.Arbitrary<DnAttribute>,
);
const usages = fc.subarray<KeyUsageName>(
  ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyCertSign', 'cRLSign', 'decipherOnly'],
  { minLength: 1 },
);

describe('TBSCertificate encoding', () => {
  it('the fast path is byte-identical to asn1-x509 TBSCertificate serialisation (property)', () => {
    fc.assert(
      fc.property(
        positiveSerial,
        certificateDate,
        certificateDate,
        fc.array(dnAttribute, { minLength: 1, maxLength: 7 }),
        fc.array(dnAttribute, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        usages,
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        (serial, notBefore, notAfter, subject, issuer, useEc, keyUsage, keyId) => {
          const algorithm = signatureAlgorithmFor(useEc ? 'EC-P384' : 'RSA');
          const spki = useEc ? ecSpki : rsaSpki;
          const extensions = [
            basicConstraintsExtension(false, undefined, true),
            keyUsageExtension(keyUsage),
            extendedKeyUsageExtension([OID.kpClientAuth]),
            subjectKeyIdentifierExtension(keyId),
            authorityKeyIdentifierExtension(keyId),
            crlDistributionPointsExtension(['http://crl.example.test/a.crl']),
            authorityInfoAccessExtension({ caIssuers: ['http://crl.example.test/a.cer'] }),
          ];
          const reference = encodeTbsCertificate({
            version: Version.v3,
            serialNumber: serial,
            signature: toAlgorithmIdentifier(algorithm),
            issuer: encodeName(issuer),
            notBefore: new Time(notBefore),
            notAfter: new Time(notAfter),
            subject: encodeName(subject),
            subjectPublicKeyInfo: parseSubjectPublicKeyInfo(spki),
            extensions,
          });
          const fast = encodeTbsCertificateFromParts({
            serialNumber: serial,
            signatureAlgorithmDer: algorithm.der,
            issuerDer: encodeNameDer(issuer),
            notBefore,
            notAfter,
            subjectDer: encodeNameDer(subject),
            spkiDer: spki,
            extensionDers: extensions.map(encodeExtensionDer),
          });
          expect(fast.toString('hex')).toBe(reference.toString('hex'));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('writes UTCTime from 1950 through 2049 and GeneralizedTime otherwise, as decodeTime reads them', () => {
    expect(encodeTime(new Date('2049-12-31T23:59:59.999Z')).toString('latin1')).toBe('\x17\x0d491231235959Z');
    expect(encodeTime(new Date('2050-01-01T00:00:00Z')).toString('latin1')).toBe('\x18\x0f20500101000000Z');
    expect(encodeTime(new Date('1950-01-01T00:00:00Z')).toString('latin1')).toBe('\x17\x0d500101000000Z');
    expect(encodeTime(new Date('1949-12-31T23:59:59Z')).toString('latin1')).toBe('\x18\x0f19491231235959Z');
    expect(encodeGeneralizedTime(new Date('2026-03-01T10:00:00Z')).toString('latin1')).toBe('\x18\x0f20260301100000Z');
    for (const iso of ['1950-01-01T00:00:00Z', '2024-02-29T12:34:56Z', '2049-12-31T23:59:59Z', '2050-01-01T00:00:00Z', '9999-12-31T23:59:59Z']) {
      const der = encodeTime(new Date(iso));
      expect(decodeTime(der, readSingleTlv(der)).toISOString()).toBe(new Date(iso).toISOString());
    }
    expect(() => encodeTime(new Date(Number.NaN))).toThrow(DerError);
    expect(() => encodeTime(new Date('+010000-01-01T00:00:00Z'))).toThrow(/out of range/);
  });

  it('writes a Name as the same DER bytes as asn1-x509, for every attribute type, UTF-8 and long values', () => {
    const asn1x509 = (name: DnAttribute[]) => Buffer.from(AsnConvert.serialize(new Name(encodeName(name))));
    fc.assert(fc.property(fc.array(dnAttribute, { minLength: 1, maxLength: 8 }), (name) => encodeNameDer(name).equals(asn1x509(name))));
    // Every attribute type; contents of 200 and 70,000 bytes (long-form lengths of one and three bytes).
    const fixed: DnAttribute[][] = [
      [...SAMPLE_PERSON_SUBJECT, { type: 'ORGANIZATIONIDENTIFIER', value: 'NTRBE-0809394427' }],
      [{ type: 'OU', value: 'x'.repeat(200) }],
      [{ type: 'CN', value: 'é'.repeat(35_000) }],
    ];
    for (const name of fixed) expect(encodeNameDer(name).equals(asn1x509(name))).toBe(true);
    expect(() => encodeNameDer([{ type: 'C', value: 'BÉ' }])).toThrow(/not a PrintableString/);
    expect(() => encodeNameDer([{ type: 'SERIALNUMBER', value: 'a_b' }])).toThrow(/not a PrintableString/);
  });

  it('assembles a certificate that asn1-x509 parses, and splits it back into the same TBS bytes', () => {
    const algorithm = signatureAlgorithmFor('RSA');
    const tbs = encodeTbsCertificateFromParts({
      serialNumber: Buffer.from('0102030405060708', 'hex'),
      signatureAlgorithmDer: algorithm.der,
      issuerDer: encodeNameDer([{ type: 'CN', value: 'issuer' }]),
      notBefore: new Date('2025-01-01T00:00:00Z'),
      notAfter: new Date('2026-01-01T00:00:00Z'),
      subjectDer: encodeNameDer([{ type: 'CN', value: 'subject' }]),
      spkiDer: rsaSpki,
      extensionDers: [encodeExtensionDer(keyUsageExtension(['digitalSignature']))],
    });
    const der = assembleCertificate(tbs, algorithm, Buffer.alloc(256, 7));
    const parsed = AsnConvert.parse(der, Certificate);
    expect(parsed.tbsCertificate.version).toBe(Version.v3);
    expect(parsed.signatureAlgorithm.algorithm).toBe(OID.sha256WithRSAEncryption);
    expect(AsnConvert.serialize(parsed.tbsCertificate.subject)).toEqual(AsnConvert.serialize(new Name(encodeName([{ type: 'CN', value: 'subject' }]))));
    expect(splitCertificate(der).tbs.equals(tbs)).toBe(true);
    expect(splitCertificate(der).signature.equals(Buffer.alloc(256, 7))).toBe(true);
  });
});
