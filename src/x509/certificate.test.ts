import { X509Certificate, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { createHierarchy, issueCertificate, testKeys, TEST_SSIN, x509, type TestHierarchy } from '../../test/support/dsig-test-pki.js';
import { TAG, encodeBitString, encodeOctetString, encodeOid, encodeSequence, encodeTlv } from '../asn1/der.js';
import { decodeCertificate, extensionOf, parseCertificate } from './certificate.js';
import { OID } from './oids.js';

let rsa: TestHierarchy;

beforeAll(async () => {
  rsa = await createHierarchy('rsa-2048');
});

describe('parseCertificate', () => {
  test('agrees with node:crypto on the basic fields', () => {
    const info = parseCertificate(rsa.leaf.der);
    const node = new X509Certificate(rsa.leaf.der);
    expect(info.serialNumberHex).toBe(node.serialNumber.toLowerCase());
    expect(info.fingerprintSha256).toBe(node.fingerprint256.replaceAll(':', '').toLowerCase());
    expect(info.notBefore.getTime()).toBe(new Date(node.validFrom).getTime());
    expect(info.notAfter.getTime()).toBe(new Date(node.validTo).getTime());
    expect(info.subjectSerialNumber).toBe(TEST_SSIN);
    expect(info.subjectDn).toBe(`C=BE,SERIALNUMBER=${TEST_SSIN},GIVENNAME=Alice,SN=Test,CN=Alice Test (Signature)`);
    expect(info.keyUsage).toEqual(new Set(['digitalSignature', 'nonRepudiation']));
    expect(info.basicConstraints).toEqual({ ca: false, pathLength: undefined });
    expect(info.rsaModulusBits).toBe(2048);
    const intermediate = parseCertificate(rsa.intermediate.der);
    expect(intermediate.basicConstraints).toEqual({ ca: true, pathLength: 0 });
    expect(info.authorityKeyIdentifier).toEqual(intermediate.subjectKeyIdentifier);
  });

  test('DN text: RFC 4514 with the escaping of Java X500Principal.getName("RFC2253")', async () => {
    const atv = (type: string, value: ConstructorParameters<typeof AttributeValue>[0]) => new AttributeTypeAndValue({ type, value: new AttributeValue(value) });
    const rdn = (...atvs: AttributeTypeAndValue[]) => new RelativeDistinguishedName(atvs);
    const subject = new Name([
      rdn(atv('2.5.4.6', { printableString: 'BE' })),
      rdn(atv('2.5.4.10', { utf8String: ' lead,trail ' })),
      rdn(atv('2.5.4.11', { utf8String: '#hash mid#dle' })),
      rdn(atv('2.5.4.3', { utf8String: 'a+b"c\\d<e>f;g=h' }), atv('2.5.4.5', { printableString: '85073003328' })),
      rdn(atv('2.5.4.7', { utf8String: 'Zoë 東京 😀' })),
      rdn(atv('2.5.4.8', { utf8String: ' ' })),
      rdn(atv('2.5.4.97', { utf8String: 'VATBE-0123456789' })),
      rdn(atv('2.5.4.12', { utf8String: '  two  ' })),
    ]);
    const cert = await issueCertificate({ subject: new x509.Name(AsnConvert.serialize(subject)) as never, keys: await testKeys('rsa-2048', 3) });
    // Java 17 getName(RFC2253) writes the keyword attributes of this certificate exactly so (and the others as OID=#hex).
    expect(parseCertificate(cert.der).subjectDn).toBe(
      'TITLE=\\ \\ two\\ \\ ,ORGANIZATIONIDENTIFIER=VATBE-0123456789,ST=\\ ,L=Zoë 東京 😀,' +
        'CN=a\\+b\\"c\\\\d\\<e\\>f\\;g\\=h+SERIALNUMBER=85073003328,OU=\\#hash mid\\#dle,O=\\ lead\\,trail\\ ,C=BE',
    );
  });

  test('a name value that is not a valid string of its type is written as #hex, never decoded lossily', async () => {
    const issued = await issueCertificate({ subject: 'CN=Bäd, 2.5.4.5=85073003328, C=BE', keys: await testKeys('rsa-2048', 3) });
    // Corrupt the subject values in place (parsing does not check the signature): serialNumber '8' (0x38) → 0xB8,
    // which node's 'ascii' decoding reads as '8'; the UTF8String CN 'Bäd' → an invalid UTF-8 sequence.
    const der = Buffer.from(issued.der);
    const subjectAt = der.lastIndexOf(Buffer.from('85073003328'));
    der[subjectAt] = 0xb8;
    der[der.lastIndexOf(Buffer.from('Bäd')) + 2] = 0x28;
    const info = parseCertificate(der);
    expect(info.subjectDn).toBe('C=BE,SERIALNUMBER=#130bb835303733303033333238,CN=#0c0442c32864');
    expect(info.subjectSerialNumber).not.toBe('85073003328');
  });

  test('refuses trailing bytes and an outer algorithm that differs from the signed one', () => {
    expect(() => parseCertificate(Buffer.concat([rsa.leaf.der, Buffer.from([0])]))).toThrow(/trailing/);
    const swapped = Buffer.from(rsa.leaf.der);
    const sha256WithRsa = Buffer.from('06092a864886f70d01010b', 'hex');
    const outer = swapped.lastIndexOf(sha256WithRsa);
    expect(outer).toBeGreaterThan(swapped.indexOf(sha256WithRsa));
    swapped[outer + sha256WithRsa.length - 1] = 0x0c; // sha384WithRSAEncryption, outside the TBS only
    expect(() => parseCertificate(swapped)).toThrow(/differs/);
  });
});

/** A certificate written field by field, so that each test can break exactly one rule. */
describe('decodeCertificate keeps the encoding, parseCertificate judges it', () => {
  let key: { privateKey: KeyObject; spkiDer: Buffer };
  beforeAll(() => {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    key = { privateKey: pair.privateKey, spkiDer: pair.publicKey.export({ type: 'spki', format: 'der' }) };
  });

  const SHA256_RSA = encodeSequence(encodeOid(OID.sha256WithRSAEncryption), Buffer.from([TAG.NULL, 0]));
  const name = (cn: string) => encodeSequence(encodeTlv(TAG.SET, encodeSequence(encodeOid('2.5.4.3'), encodeTlv(TAG.UTF8_STRING, Buffer.from(cn)))));
  const utc = (text: string) => encodeTlv(TAG.UTC_TIME, Buffer.from(text, 'latin1'));
  const extension = (oid: string, value: Buffer, critical?: Buffer) =>
    encodeSequence(encodeOid(oid), ...(critical ? [encodeTlv(TAG.BOOLEAN, critical)] : []), encodeOctetString(value));
  const KEY_USAGE = extension(OID.keyUsage, encodeTlv(TAG.BIT_STRING, Buffer.from([0x07, 0x80])), Buffer.from([0xff])); // digitalSignature

  interface Parts {
    version?: Buffer | null;
    notBefore?: Buffer;
    uniqueIds?: Buffer[];
    extensions?: Buffer[] | null;
    trailer?: Buffer[];
  }
  function certificate(parts: Parts = {}): Buffer {
    const tbs = encodeSequence(
      ...(parts.version === null ? [] : [encodeTlv(0xa0, parts.version ?? encodeTlv(TAG.INTEGER, Buffer.from([2])))]),
      encodeTlv(TAG.INTEGER, Buffer.from('0102030405060708', 'hex')),
      SHA256_RSA,
      name('Issuer'),
      encodeSequence(parts.notBefore ?? utc('250101000000Z'), utc('350101000000Z')),
      name('Subject'),
      key.spkiDer,
      ...(parts.uniqueIds ?? []),
      ...(parts.extensions === null ? [] : [encodeTlv(0xa3, encodeSequence(...(parts.extensions ?? [KEY_USAGE])))]),
      ...(parts.trailer ?? []),
    );
    return encodeSequence(tbs, SHA256_RSA, encodeBitString(sign('sha256', tbs, key.privateKey)));
  }

  test('a plain v3 certificate: both layers agree', () => {
    const der = certificate();
    const decoded = decodeCertificate(der);
    expect(decoded.version).toBe(2);
    expect(decoded.serialNumber.toString('hex')).toBe('0102030405060708');
    expect(decoded.tbsSignatureAlgorithmDer).toEqual(SHA256_RSA);
    expect(decoded.validity.notBefore).toEqual({ tag: TAG.UTC_TIME, text: '250101000000Z', date: new Date('2025-01-01T00:00:00Z') });
    expect(decoded.extensions).toEqual([
      { oid: OID.keyUsage, critical: true, criticalEncoding: 'TRUE', value: encodeTlv(TAG.BIT_STRING, Buffer.from([0x07, 0x80])) },
    ]);
    const parsed = parseCertificate(der);
    expect(parsed.keyUsage).toEqual(new Set(['digitalSignature']));
    expect(parsed.subjectDn).toBe('CN=Subject');
    expect(parsed.issuerDn).toBe('CN=Issuer');
    expect(parsed.selfIssued).toBe(false);
    expect(parsed.signatureAlgorithm).toEqual({ keyType: 'rsa', hash: 'sha256' });
    expect(extensionOf(parsed, OID.keyUsage)?.critical).toBe(true);
    expect(extensionOf(parsed, OID.basicConstraints)).toBeUndefined();
  });

  test('v1: no version, no extensions', () => {
    const parsed = parseCertificate(certificate({ version: null, extensions: null }));
    expect(parsed.version).toBeUndefined();
    expect(parsed.extensions).toBeUndefined();
    expect(parsed.keyUsage).toBeUndefined();
    expect(parsed.basicConstraints).toBeUndefined();
  });

  test('critical FALSE written out (DER forbids it) is recorded; parsing accepts it as FALSE', () => {
    const der = certificate({ extensions: [extension(OID.basicConstraints, encodeSequence(), Buffer.from([0x00]))] });
    expect(decodeCertificate(der).extensions![0]).toMatchObject({ critical: false, criticalEncoding: 'FALSE' });
    expect(parseCertificate(der).basicConstraints).toEqual({ ca: false, pathLength: undefined });
  });

  test('a BER criticality (0x01) is recorded; parsing refuses it', () => {
    const der = certificate({ extensions: [extension(OID.keyUsage, encodeTlv(TAG.BIT_STRING, Buffer.from([0x07, 0x80])), Buffer.from([0x01]))] });
    expect(decodeCertificate(der).extensions![0]).toMatchObject({ critical: false, criticalEncoding: 'invalid' });
    expect(() => parseCertificate(der)).toThrow(/0x00 or 0xFF/);
  });

  test('a duplicate extension is listed twice; parsing refuses it', () => {
    const der = certificate({ extensions: [KEY_USAGE, KEY_USAGE] });
    expect(decodeCertificate(der).extensions).toHaveLength(2);
    expect(() => parseCertificate(der)).toThrow(/duplicate extension 2\.5\.29\.15/);
  });

  test('a time not in the RFC 5280 form is kept as text; parsing refuses it', () => {
    const der = certificate({ notBefore: utc('2501010000Z') });
    expect(decodeCertificate(der).validity.notBefore).toEqual({ tag: TAG.UTC_TIME, text: '2501010000Z', date: undefined });
    expect(() => parseCertificate(der)).toThrow(/invalid time/);
  });

  test('unique identifiers are recorded; fields out of order or unknown are not a certificate', () => {
    const subjectUniqueId = encodeTlv(0x82, Buffer.from([0, 1, 2]));
    expect(decodeCertificate(certificate({ uniqueIds: [subjectUniqueId] }))).toMatchObject({ hasIssuerUniqueId: false, hasSubjectUniqueId: true });
    expect(() => decodeCertificate(certificate({ extensions: null, trailer: [encodeTlv(0xa3, encodeSequence(KEY_USAGE)), subjectUniqueId] }))).toThrow(
      /unexpected fields/,
    );
    expect(() => decodeCertificate(certificate({ trailer: [encodeTlv(0xa4, Buffer.alloc(0))] }))).toThrow(/unexpected fields/);
  });

  test('extensions are decoded: basicConstraints, extendedKeyUsage, key identifiers; unknown critical ones are listed', () => {
    const der = certificate({
      extensions: [
        extension(
          OID.basicConstraints,
          encodeSequence(encodeTlv(TAG.BOOLEAN, Buffer.from([0xff])), encodeTlv(TAG.INTEGER, Buffer.from([1]))),
          Buffer.from([0xff]),
        ),
        extension(OID.extKeyUsage, encodeSequence(encodeOid(OID.kpClientAuth), encodeOid(OID.kpEmailProtection))),
        extension(OID.subjectKeyIdentifier, encodeOctetString(Buffer.from('aabb', 'hex'))),
        extension(OID.authorityKeyIdentifier, encodeSequence(encodeTlv(0x80, Buffer.from('ccdd', 'hex')))),
        extension('1.2.3.4', encodeTlv(TAG.NULL), Buffer.from([0xff])),
        extension('1.2.3.5', encodeTlv(TAG.NULL)),
      ],
    });
    const parsed = parseCertificate(der);
    expect(parsed.basicConstraints).toEqual({ ca: true, pathLength: 1 });
    expect(parsed.extendedKeyUsage).toEqual([OID.kpClientAuth, OID.kpEmailProtection]);
    expect(parsed.subjectKeyIdentifier?.toString('hex')).toBe('aabb');
    expect(parsed.authorityKeyIdentifier?.toString('hex')).toBe('ccdd');
    expect(parsed.unhandledCriticalExtensions).toEqual(['1.2.3.4']);
    expect(() => parseCertificate(certificate({ extensions: [extension(OID.extKeyUsage, encodeSequence(encodeTlv(TAG.INTEGER, Buffer.from([1]))))] }))).toThrow(
      /KeyPurposeId/,
    );
  });

  test('the views are an own copy: changing the input afterwards changes nothing', () => {
    const der = certificate();
    const parsed = parseCertificate(der);
    der.fill(0);
    expect(parsed.subjectDn).toBe('CN=Subject');
    expect(parsed.subjectDer.equals(name('Subject'))).toBe(true);
  });
});
