import { AsnConvert } from '@peculiar/asn1-schema';
import {
  type AlgorithmIdentifier,
  type Extension,
  Extensions,
  type Name,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Time,
  Validity,
  type Version,
} from '@peculiar/asn1-x509';
import { TAG, encodeSequence, encodeTime, encodeTlv } from './der.js';

/**
 * Every field of a TBSCertificate, at the level of ASN.1 values. Deliberately permissive (any version, any serial
 * octets, any time encoding) so tests can build broken certificates; issuance fills it correctly and lints check it.
 */
export interface TbsCertificateFields {
  /** Omitted (v1) when undefined. */
  readonly version: Version | undefined;
  /** INTEGER content octets, two's complement, encoded as given. */
  readonly serialNumber: Uint8Array;
  readonly signature: AlgorithmIdentifier;
  readonly issuer: Name;
  readonly notBefore: Time;
  readonly notAfter: Time;
  readonly subject: Name;
  readonly subjectPublicKeyInfo: SubjectPublicKeyInfo;
  readonly extensions: readonly Extension[] | undefined;
  readonly issuerUniqueID?: Uint8Array;
  readonly subjectUniqueID?: Uint8Array;
}

/** A copy of exactly these bytes (a Buffer's .buffer is often the shared pool). */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy.buffer;
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds. */
export function certificateTime(date: Date): Time {
  return new Time(date);
}

export function parseSubjectPublicKeyInfo(spkiDer: Uint8Array): SubjectPublicKeyInfo {
  return AsnConvert.parse(spkiDer, SubjectPublicKeyInfo);
}

export function encodeTbsCertificate(fields: TbsCertificateFields): Buffer {
  const tbs = new TBSCertificate({
    serialNumber: toArrayBuffer(fields.serialNumber),
    signature: fields.signature,
    issuer: fields.issuer,
    validity: Object.assign(new Validity(), { notBefore: fields.notBefore, notAfter: fields.notAfter }),
    subject: fields.subject,
    subjectPublicKeyInfo: fields.subjectPublicKeyInfo,
  });
  if (fields.version !== undefined) tbs.version = fields.version;
  if (fields.extensions !== undefined) tbs.extensions = new Extensions([...fields.extensions]);
  if (fields.issuerUniqueID) tbs.issuerUniqueID = toArrayBuffer(fields.issuerUniqueID);
  if (fields.subjectUniqueID) tbs.subjectUniqueID = toArrayBuffer(fields.subjectUniqueID);
  return Buffer.from(AsnConvert.serialize(tbs));
}

// ---------------------------------------------------------------------------------------------------------------
// Hot path. asn1-schema re-serialises every node of the TBSCertificate on each call (≈0.3-0.5 ms); issuance instead
// concatenates parts that asn1-x509 encoded once (issuer name, profile/issuer extensions) with the few per-certificate
// fields. tbs-certificate.test.ts checks the output is byte-identical to encodeTbsCertificate() for the same fields.

/** Pre-encoded parts of a v3 TBSCertificate. */
export interface TbsCertificateParts {
  /** Positive serial as INTEGER content octets (no redundant leading zero). */
  readonly serialNumber: Uint8Array;
  /** DER AlgorithmIdentifier. */
  readonly signatureAlgorithmDer: Uint8Array;
  readonly issuerDer: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly subjectDer: Uint8Array;
  readonly spkiDer: Uint8Array;
  /** DER of each Extension (SEQUENCE { extnID, critical?, extnValue }). */
  readonly extensionDers: readonly Uint8Array[];
}

const V3_VERSION = Buffer.from([0xa0, 0x03, 0x02, 0x01, 0x02]);
export function encodeExtensionDer(extension: Extension): Buffer {
  return Buffer.from(AsnConvert.serialize(extension));
}

export function encodeTbsCertificateFromParts(parts: TbsCertificateParts): Buffer {
  return encodeSequence(
    V3_VERSION,
    encodeTlv(TAG.INTEGER, parts.serialNumber),
    parts.signatureAlgorithmDer,
    parts.issuerDer,
    encodeSequence(encodeTime(parts.notBefore), encodeTime(parts.notAfter)),
    parts.subjectDer,
    parts.spkiDer,
    encodeTlv(0xa3, encodeSequence(...parts.extensionDers)),
  );
}
