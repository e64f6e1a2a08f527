import { createHash, type KeyObject } from 'node:crypto';
import {
  DerError,
  TAG,
  bitStringOctets,
  childrenOf,
  decodeBoolean,
  decodeOid,
  decodeSmallUnsigned,
  decodeTime,
  expectTag,
  namedBits,
  readSingleTlv,
  tlvBytes,
  tlvValue,
  type Tlv,
} from '../asn1/der.js';
import { decodeName, nameToString, type NameAttribute } from './name.js';
import { OID } from './oids.js';
import { publicKeyFromSpki } from './public-key.js';

/**
 * The one X.509 certificate reader, shared by path validation (trust/), the CA (hierarchy, CRLs, ETKs, lints) and the
 * services. Two layers over one DER walk:
 *
 * - `decodeCertificate`: the certificate as encoded. Refuses only what is not a Certificate structurally (bad DER,
 *   missing or misplaced fields) and keeps everything the CA's lints judge (version, both signature algorithms, the
 *   time encodings, unique identifiers, every extension with its criticality encoding, duplicates included).
 * - `parseCertificate`: the checked, typed view: decodeCertificate, then RFC 5280 consistency (the signed algorithm
 *   equals the outer one, readable times, DER criticality, no duplicate extension, a key node:crypto can use) and the
 *   extensions decoded (basicConstraints, keyUsage, extendedKeyUsage, key identifiers).
 *
 * Names, serials and the TBS are kept as the exact bytes of the certificate (views into an own copy of it), so that
 * names chain and signatures verify byte for byte. That is why it walks the DER with the strict reader of asn1/
 * rather than a generic decoder (@peculiar/asn1-schema keeps no byte spans and accepts BER); the lints still decode
 * extension values with @peculiar/asn1-x509, an independent decoder of what our encoder wrote.
 */

/** RFC 5280 §4.2.1.3 names, in bit order; `nonRepudiation` is X.509's `contentCommitment`. */
export const KEY_USAGE_NAMES = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsageName = (typeof KEY_USAGE_NAMES)[number];

/** A time of the validity as encoded. */
export interface EncodedTime {
  readonly tag: number;
  readonly text: string;
  /** Undefined when the text is not the strict RFC 5280 form (YYMMDDHHMMSSZ / YYYYMMDDHHMMSSZ) or not a calendar date. */
  readonly date: Date | undefined;
}

export interface CertificateExtension {
  readonly oid: string;
  /** True only for a DER TRUE (0xFF). */
  readonly critical: boolean;
  /** How `critical` is encoded: absent (DEFAULT FALSE), TRUE, FALSE (DER forbids encoding the default) or not DER. */
  readonly criticalEncoding: 'absent' | 'TRUE' | 'FALSE' | 'invalid';
  /** extnValue contents (the DER of the extension's own value). */
  readonly value: Buffer;
}

/** A certificate as encoded (`decodeCertificate`). */
export interface DecodedCertificate {
  readonly der: Buffer;
  /** Exact bytes of tbsCertificate: what the signature covers. */
  readonly tbsDer: Buffer;
  /** The version INTEGER (2 = v3), -1 when it is not one octet; undefined when the field is absent (v1). */
  readonly version: number | undefined;
  /** INTEGER content octets of the serial number, exactly as encoded. */
  readonly serialNumber: Buffer;
  /** tbsCertificate.signature and Certificate.signatureAlgorithm (AlgorithmIdentifier DER). */
  readonly tbsSignatureAlgorithmDer: Buffer;
  readonly signatureAlgorithmDer: Buffer;
  /** signatureValue octets. */
  readonly signature: Buffer;
  /** Exact DER of the issuer and subject Names, and their attributes in encoded order. */
  readonly issuerDer: Buffer;
  readonly issuer: readonly NameAttribute[];
  readonly subjectDer: Buffer;
  readonly subject: readonly NameAttribute[];
  readonly validity: { readonly notBefore: EncodedTime; readonly notAfter: EncodedTime };
  /** DER SubjectPublicKeyInfo. */
  readonly spkiDer: Buffer;
  readonly hasIssuerUniqueId: boolean;
  readonly hasSubjectUniqueId: boolean;
  /** In encoded order; undefined when the [3] extensions field is absent. */
  readonly extensions: readonly CertificateExtension[] | undefined;
}

export type CertificateSignatureHash = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export interface CertificateSignatureAlgorithm {
  readonly keyType: 'rsa' | 'ec';
  readonly hash: CertificateSignatureHash;
}

/**
 * The checked, typed view (`parseCertificate`). Instances are frozen and may be cached and shared between requests:
 * treat the Buffers as read-only too.
 */
export interface ParsedCertificate extends DecodedCertificate {
  /** Lower-case hex SHA-256 of the DER: a cache key and a stable identity. */
  readonly fingerprintSha256: string;
  /** Lower-case hex of the serial number's content octets (a leading 00 kept). */
  readonly serialNumberHex: string;
  /** RFC 4514 strings (`nameToString`), last RDN first, e.g. `CN=Alice,SERIALNUMBER=85073003328,C=BE`. */
  readonly subjectDn: string;
  readonly issuerDn: string;
  /** The subject's serialNumber attribute (2.5.4.5), the SSIN in Belgian eID certificates; undefined if absent or not a string. */
  readonly subjectSerialNumber: string | undefined;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: KeyObject;
  /** 'rsa', 'ec', or whatever node:crypto reports for other key types. */
  readonly publicKeyType: string;
  readonly rsaModulusBits: number | undefined;
  /** Named curve of an EC key as node:crypto names it: 'prime256v1' (P-256), 'secp384r1' (P-384)… */
  readonly ecCurve: string | undefined;
  readonly signatureAlgorithmOid: string;
  /** Undefined when the algorithm is not one of CERTIFICATE_SIGNATURE_ALGORITHMS with the parameters it requires. */
  readonly signatureAlgorithm: CertificateSignatureAlgorithm | undefined;
  /** Undefined when the extension is absent. */
  readonly basicConstraints: { readonly ca: boolean; readonly pathLength: number | undefined } | undefined;
  readonly keyUsage: ReadonlySet<KeyUsageName> | undefined;
  /** Purpose OIDs of extendedKeyUsage. */
  readonly extendedKeyUsage: readonly string[] | undefined;
  /** The subjectKeyIdentifier extension's value (no fallback: see the CA's `keyIdentifierOf` for that). */
  readonly subjectKeyIdentifier: Buffer | undefined;
  /** The keyIdentifier of authorityKeyIdentifier. */
  readonly authorityKeyIdentifier: Buffer | undefined;
  /** Critical extensions outside HANDLED_EXTENSIONS; path validation refuses them (RFC 5280 §4.2). */
  readonly unhandledCriticalExtensions: readonly string[];
  /** Subject and issuer Names are the same bytes. */
  readonly selfIssued: boolean;
}

/** Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }, as views into `certDer`. */
export interface CertificateParts {
  readonly tbs: Buffer;
  readonly signatureAlgorithm: Buffer;
  readonly signature: Buffer;
}

export function splitCertificate(certDer: Buffer): CertificateParts {
  const root = expectTag(readSingleTlv(certDer), TAG.SEQUENCE, 'Certificate');
  const [tbs, algorithm, signature, ...rest] = childrenOf(certDer, root);
  if (!tbs || !algorithm || !signature || rest.length) throw new DerError('Certificate must have three elements');
  return {
    tbs: tlvBytes(certDer, expectTag(tbs, TAG.SEQUENCE, 'tbsCertificate')),
    signatureAlgorithm: tlvBytes(certDer, expectTag(algorithm, TAG.SEQUENCE, 'signatureAlgorithm')),
    signature: bitStringOctets(certDer, signature),
  };
}

/** Structural decoding (see the module comment). Throws DerError when `der` is not a Certificate. */
export function decodeCertificate(der: Buffer): DecodedCertificate {
  const own = Buffer.from(der); // views below must not alias the caller's buffer
  const parts = splitCertificate(own);
  const tbsDer = parts.tbs;
  const fields = childrenOf(tbsDer, readSingleTlv(tbsDer));
  let i = 0;
  const next = (): Tlv | undefined => fields[i];

  let version: number | undefined;
  if (next()?.tag === 0xa0) {
    const [inner, ...rest] = childrenOf(tbsDer, fields[i++]!);
    if (!inner || rest.length) throw new DerError('malformed version');
    const bytes = tlvValue(tbsDer, expectTag(inner, TAG.INTEGER, 'version'));
    version = bytes.length === 1 ? bytes[0]! : -1;
  }
  const take = (tag: number, what: string): Tlv => {
    const tlv = fields[i++];
    if (!tlv) throw new DerError(`tbsCertificate: missing ${what}`);
    return expectTag(tlv, tag, what);
  };
  const serialNumber = tlvValue(tbsDer, take(TAG.INTEGER, 'serialNumber'));
  const tbsSignatureAlgorithmDer = tlvBytes(tbsDer, take(TAG.SEQUENCE, 'signature'));
  const issuerTlv = take(TAG.SEQUENCE, 'issuer');
  const validityTlv = take(TAG.SEQUENCE, 'validity');
  const subjectTlv = take(TAG.SEQUENCE, 'subject');
  const spkiDer = tlvBytes(tbsDer, take(TAG.SEQUENCE, 'subjectPublicKeyInfo'));
  // [1] / [2] IMPLICIT UniqueIdentifier: a BIT STRING, so primitive in DER (a constructed one is not decoded).
  const hasIssuerUniqueId = next()?.tag === 0x81;
  if (hasIssuerUniqueId) i++;
  const hasSubjectUniqueId = next()?.tag === 0x82;
  if (hasSubjectUniqueId) i++;
  let extensions: CertificateExtension[] | undefined;
  if (next()?.tag === 0xa3) {
    const [list, ...rest] = childrenOf(tbsDer, fields[i++]!);
    if (!list || rest.length) throw new DerError('malformed extensions');
    extensions = childrenOf(tbsDer, expectTag(list, TAG.SEQUENCE, 'Extensions')).map((extension) => decodeExtension(tbsDer, extension));
  }
  if (i !== fields.length) throw new DerError('unexpected fields at the end of tbsCertificate');

  const [notBefore, notAfter, ...more] = childrenOf(tbsDer, validityTlv);
  if (!notBefore || !notAfter || more.length) throw new DerError('validity must have two times');
  return {
    der: own,
    tbsDer,
    version,
    serialNumber,
    tbsSignatureAlgorithmDer,
    signatureAlgorithmDer: parts.signatureAlgorithm,
    signature: parts.signature,
    issuerDer: tlvBytes(tbsDer, issuerTlv),
    issuer: Object.freeze(decodeName(tbsDer, issuerTlv)),
    subjectDer: tlvBytes(tbsDer, subjectTlv),
    subject: Object.freeze(decodeName(tbsDer, subjectTlv)),
    validity: Object.freeze({ notBefore: encodedTime(tbsDer, notBefore), notAfter: encodedTime(tbsDer, notAfter) }),
    spkiDer,
    hasIssuerUniqueId,
    hasSubjectUniqueId,
    extensions: extensions && Object.freeze(extensions),
  };
}

function decodeExtension(buf: Buffer, tlv: Tlv): CertificateExtension {
  const parts = childrenOf(buf, expectTag(tlv, TAG.SEQUENCE, 'Extension'));
  const oid = decodeOid(tlvValue(buf, expectTag(parts[0], TAG.OID, 'extnID')));
  let criticalEncoding: CertificateExtension['criticalEncoding'] = 'absent';
  let valueTlv = parts[1];
  if (parts.length === 3) {
    const flag = tlvValue(buf, expectTag(parts[1], TAG.BOOLEAN, 'critical'));
    criticalEncoding = flag.length !== 1 ? 'invalid' : flag[0] === 0xff ? 'TRUE' : flag[0] === 0x00 ? 'FALSE' : 'invalid';
    valueTlv = parts[2];
  } else if (parts.length !== 2) {
    throw new DerError('Extension must have two or three elements');
  }
  return Object.freeze({
    oid,
    critical: criticalEncoding === 'TRUE',
    criticalEncoding,
    value: tlvValue(buf, expectTag(valueTlv, TAG.OCTET_STRING, 'extnValue')),
  });
}

function encodedTime(buf: Buffer, tlv: Tlv): EncodedTime {
  let date: Date | undefined;
  try {
    date = decodeTime(buf, tlv);
  } catch {
    date = undefined;
  }
  return Object.freeze({ tag: tlv.tag, text: tlvValue(buf, tlv).toString('latin1'), date });
}

/** The extension with this OID (the first one, should a decoded certificate carry duplicates). */
export function extensionOf(cert: DecodedCertificate, oid: string): CertificateExtension | undefined {
  return cert.extensions?.find((extension) => extension.oid === oid);
}

/** Certificate signature algorithms path validation can verify (RSA PKCS#1 v1.5 and ECDSA; SHA-1 for older CAs). */
const CERTIFICATE_SIGNATURE_ALGORITHMS: ReadonlyMap<string, CertificateSignatureAlgorithm> = new Map([
  [OID.sha1WithRSAEncryption, { keyType: 'rsa', hash: 'sha1' }],
  [OID.sha256WithRSAEncryption, { keyType: 'rsa', hash: 'sha256' }],
  [OID.sha384WithRSAEncryption, { keyType: 'rsa', hash: 'sha384' }],
  [OID.sha512WithRSAEncryption, { keyType: 'rsa', hash: 'sha512' }],
  [OID.ecdsaWithSHA256, { keyType: 'ec', hash: 'sha256' }],
  [OID.ecdsaWithSHA384, { keyType: 'ec', hash: 'sha384' }],
  [OID.ecdsaWithSHA512, { keyType: 'ec', hash: 'sha512' }],
]);

/**
 * Extensions whose criticality we can honour: the ones we enforce (basicConstraints, keyUsage), identifiers, and the
 * ones whose checking belongs to the caller (SAN, EKU). Policies are accepted as with RFC 5280's initial-any-policy
 * and no explicit-policy requirement. Name constraints, policy constraints and anything unknown are not.
 */
const HANDLED_EXTENSIONS: ReadonlySet<string> = new Set([
  OID.subjectKeyIdentifier,
  OID.keyUsage,
  OID.subjectAltName,
  OID.basicConstraints,
  OID.certificatePolicies,
  OID.authorityKeyIdentifier,
  OID.extKeyUsage,
]);

/** The checked, typed view (see the module comment). Throws DerError when `der` is not a valid certificate. */
export function parseCertificate(der: Buffer): ParsedCertificate {
  const decoded = decodeCertificate(der);
  const buf = decoded.der;
  // RFC 5280 §4.1.1.2: the signed algorithm must equal the outer one, or an attacker could swap the unsigned copy.
  if (!decoded.tbsSignatureAlgorithmDer.equals(decoded.signatureAlgorithmDer)) {
    throw new DerError('signatureAlgorithm differs from tbsCertificate.signature');
  }
  const { oid: signatureAlgorithmOid, algorithm: signatureAlgorithm } = readSignatureAlgorithm(decoded.signatureAlgorithmDer);
  const notBefore = strictTime(decoded.validity.notBefore);
  const notAfter = strictTime(decoded.validity.notAfter);

  let publicKey: KeyObject;
  try {
    publicKey = publicKeyFromSpki(decoded.spkiDer);
  } catch (error) {
    throw new DerError(`unreadable subjectPublicKeyInfo: ${(error as Error).message}`);
  }
  const details = publicKey.asymmetricKeyDetails ?? {};
  const serialAttribute = decoded.subject.find((a) => a.oid === OID_SUBJECT_SERIAL_NUMBER);

  return Object.freeze({
    ...decoded,
    fingerprintSha256: createHash('sha256').update(buf).digest('hex'),
    serialNumberHex: decoded.serialNumber.toString('hex'),
    subjectDn: nameToString(decoded.subject),
    issuerDn: nameToString(decoded.issuer),
    subjectSerialNumber: serialAttribute?.isString ? serialAttribute.value : undefined,
    notBefore,
    notAfter,
    publicKey,
    publicKeyType: publicKey.asymmetricKeyType ?? 'unknown',
    rsaModulusBits: publicKey.asymmetricKeyType === 'rsa' ? details.modulusLength : undefined,
    ecCurve: publicKey.asymmetricKeyType === 'ec' ? details.namedCurve : undefined,
    signatureAlgorithmOid,
    signatureAlgorithm,
    ...readExtensions(decoded.extensions ?? []),
    selfIssued: decoded.subjectDer.equals(decoded.issuerDer),
  });
}

const OID_SUBJECT_SERIAL_NUMBER = '2.5.4.5';

function strictTime(time: EncodedTime): Date {
  if (!time.date) throw new DerError(`invalid time ${time.text}`);
  return time.date;
}

function readSignatureAlgorithm(algorithmDer: Buffer): { oid: string; algorithm: CertificateSignatureAlgorithm | undefined } {
  const [oidTlv, params, ...extra] = childrenOf(algorithmDer, readSingleTlv(algorithmDer));
  const oid = decodeOid(tlvValue(algorithmDer, expectTag(oidTlv, TAG.OID, 'algorithm')));
  const algorithm = CERTIFICATE_SIGNATURE_ALGORITHMS.get(oid);
  if (!algorithm || extra.length > 0) return { oid, algorithm: undefined };
  // RSA PKCS#1 v1.5 carries NULL parameters (or none); ECDSA carries none (RFC 4055, RFC 5758).
  const paramsOk = params === undefined || (algorithm.keyType === 'rsa' && params.tag === TAG.NULL && params.end === params.valueStart);
  return { oid, algorithm: paramsOk ? algorithm : undefined };
}

type ExtensionFields = Pick<
  ParsedCertificate,
  'basicConstraints' | 'keyUsage' | 'extendedKeyUsage' | 'subjectKeyIdentifier' | 'authorityKeyIdentifier' | 'unhandledCriticalExtensions'
>;

function readExtensions(extensions: readonly CertificateExtension[]): ExtensionFields {
  const out: { -readonly [K in keyof ExtensionFields]: ExtensionFields[K] } = {
    basicConstraints: undefined,
    keyUsage: undefined,
    extendedKeyUsage: undefined,
    subjectKeyIdentifier: undefined,
    authorityKeyIdentifier: undefined,
    unhandledCriticalExtensions: [],
  };
  const unhandled: string[] = [];
  const seen = new Set<string>();
  for (const { oid, critical, criticalEncoding, value } of extensions) {
    if (criticalEncoding === 'invalid') throw new DerError('BOOLEAN must be 0x00 or 0xFF in DER');
    // RFC 5280 §4.2: a certificate must not include more than one instance of an extension.
    if (seen.has(oid)) throw new DerError(`duplicate extension ${oid}`);
    seen.add(oid);
    const inner = readSingleTlv(value);
    switch (oid) {
      case OID.basicConstraints: {
        const items = childrenOf(value, expectTag(inner, TAG.SEQUENCE, 'BasicConstraints'));
        let ca = false;
        let pathLength: number | undefined;
        let i = 0;
        if (items[i]?.tag === TAG.BOOLEAN) ca = decodeBoolean(value, items[i++]!);
        if (items[i]?.tag === TAG.INTEGER) pathLength = decodeSmallUnsigned(value, items[i++]!);
        if (i !== items.length) throw new DerError('malformed BasicConstraints');
        out.basicConstraints = Object.freeze({ ca, pathLength });
        break;
      }
      case OID.keyUsage: {
        const hasBit = namedBits(value, inner);
        out.keyUsage = new Set(KEY_USAGE_NAMES.filter((_, bit) => hasBit(bit)));
        break;
      }
      case OID.extKeyUsage: {
        const purposes = childrenOf(value, expectTag(inner, TAG.SEQUENCE, 'ExtKeyUsageSyntax'));
        out.extendedKeyUsage = Object.freeze(purposes.map((purpose) => decodeOid(tlvValue(value, expectTag(purpose, TAG.OID, 'KeyPurposeId')))));
        break;
      }
      case OID.subjectKeyIdentifier:
        out.subjectKeyIdentifier = tlvValue(value, expectTag(inner, TAG.OCTET_STRING, 'SubjectKeyIdentifier'));
        break;
      case OID.authorityKeyIdentifier: {
        const items = childrenOf(value, expectTag(inner, TAG.SEQUENCE, 'AuthorityKeyIdentifier'));
        const keyId = items.find((item) => item.tag === 0x80); // [0] IMPLICIT KeyIdentifier
        if (keyId) out.authorityKeyIdentifier = tlvValue(value, keyId);
        break;
      }
      default:
        if (critical && !HANDLED_EXTENSIONS.has(oid)) unhandled.push(oid);
    }
  }
  out.unhandledCriticalExtensions = Object.freeze(unhandled);
  return out;
}

/** DER certificates from PEM text (one or more CERTIFICATE blocks) or a DER buffer. */
export function certificatesFrom(input: Buffer | string): Buffer[] {
  if (typeof input !== 'string') return [input];
  const blocks = [...input.matchAll(/-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/g)];
  if (blocks.length === 0) throw new DerError('no PEM CERTIFICATE block found');
  return blocks.map((block) => Buffer.from(block[1]!.replace(/\s+/g, ''), 'base64'));
}
