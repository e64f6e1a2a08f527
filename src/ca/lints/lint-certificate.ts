import { splitCertificate } from '../x509/certificate.js';
import { DerError, TAG, childrenOf, decodeOid, expectTag, readSingleTlv, tlvBytes, tlvValue, type Tlv } from '../x509/der.js';
import { decodeNameAt, type EncodedNameAttribute } from '../x509/name.js';
import { describePublicKey, type PublicKeyDescription } from '../x509/public-key.js';

export interface LintExtension {
  readonly oid: string;
  readonly critical: boolean;
  /** DER forbids encoding a DEFAULT value: `critical FALSE` must be omitted. */
  readonly criticalEncodedFalse: boolean;
  /** extnValue contents (the DER of the extension's own value). */
  readonly value: Buffer;
}

export interface LintTime {
  readonly tag: number;
  readonly text: string;
  /** Undefined when the text is not the strict RFC 5280 form (YYMMDDHHMMSSZ / YYYYMMDDHHMMSSZ). */
  readonly date: Date | undefined;
}

/** A certificate decoded once for all lints, keeping the raw encodings lints need to judge. */
export interface LintCertificate {
  readonly der: Buffer;
  readonly tbsDer: Buffer;
  /** The raw version INTEGER (2 = v3); undefined when the field is absent (v1). */
  readonly version: number | undefined;
  /** INTEGER content octets of the serial number. */
  readonly serial: Buffer;
  readonly innerSignatureAlgorithm: Buffer;
  readonly outerSignatureAlgorithm: Buffer;
  readonly issuerDer: Buffer;
  readonly issuer: readonly EncodedNameAttribute[];
  readonly subjectDer: Buffer;
  readonly subject: readonly EncodedNameAttribute[];
  readonly notBefore: LintTime;
  readonly notAfter: LintTime;
  readonly spkiDer: Buffer;
  /** Undefined when the SPKI cannot be decoded. */
  readonly publicKey: PublicKeyDescription | undefined;
  readonly hasIssuerUniqueId: boolean;
  readonly hasSubjectUniqueId: boolean;
  /** Undefined when the [3] extensions field is absent. */
  readonly extensions: readonly LintExtension[] | undefined;
}

export function extensionOf(cert: LintCertificate, oid: string): LintExtension | undefined {
  return cert.extensions?.find((e) => e.oid === oid);
}

/** Strict structural decoding; structural errors (bad DER, missing fields) throw DerError, everything else is left to lints. */
export function decodeLintCertificate(der: Buffer): LintCertificate {
  const parts = splitCertificate(der);
  const tbsDer = parts.tbs;
  const fields = childrenOf(tbsDer, expectTag(readSingleTlv(tbsDer), TAG.SEQUENCE, 'tbsCertificate'));
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
  const serial = tlvValue(tbsDer, take(TAG.INTEGER, 'serialNumber'));
  const inner = tlvBytes(tbsDer, take(TAG.SEQUENCE, 'signature'));
  const issuerTlv = take(TAG.SEQUENCE, 'issuer');
  const validityTlv = take(TAG.SEQUENCE, 'validity');
  const subjectTlv = take(TAG.SEQUENCE, 'subject');
  const spkiDer = tlvBytes(tbsDer, take(TAG.SEQUENCE, 'subjectPublicKeyInfo'));
  let hasIssuerUniqueId = false;
  let hasSubjectUniqueId = false;
  if (next()?.tag === 0x81 || next()?.tag === 0xa1) (hasIssuerUniqueId = true), i++;
  if (next()?.tag === 0x82 || next()?.tag === 0xa2) (hasSubjectUniqueId = true), i++;
  let extensions: LintExtension[] | undefined;
  if (next()?.tag === 0xa3) {
    const [list, ...rest] = childrenOf(tbsDer, fields[i++]!);
    if (!list || rest.length) throw new DerError('malformed extensions');
    extensions = childrenOf(tbsDer, expectTag(list, TAG.SEQUENCE, 'Extensions')).map((ext) => decodeExtension(tbsDer, ext));
  }
  if (i !== fields.length) throw new DerError('unexpected fields at the end of tbsCertificate');

  const [notBefore, notAfter, ...more] = childrenOf(tbsDer, validityTlv);
  if (!notBefore || !notAfter || more.length) throw new DerError('validity must have two times');
  let publicKey: PublicKeyDescription | undefined;
  try {
    publicKey = describePublicKey(spkiDer);
  } catch {
    publicKey = undefined;
  }
  return {
    der,
    tbsDer,
    version,
    serial,
    innerSignatureAlgorithm: inner,
    outerSignatureAlgorithm: parts.signatureAlgorithm,
    issuerDer: tlvBytes(tbsDer, issuerTlv),
    issuer: decodeNameAt(tbsDer, issuerTlv),
    subjectDer: tlvBytes(tbsDer, subjectTlv),
    subject: decodeNameAt(tbsDer, subjectTlv),
    notBefore: decodeTime(tbsDer, notBefore),
    notAfter: decodeTime(tbsDer, notAfter),
    spkiDer,
    publicKey,
    hasIssuerUniqueId,
    hasSubjectUniqueId,
    extensions,
  };
}

function decodeExtension(buf: Buffer, tlv: Tlv): LintExtension {
  const parts = childrenOf(buf, expectTag(tlv, TAG.SEQUENCE, 'Extension'));
  const oid = decodeOid(tlvValue(buf, expectTag(parts[0]!, TAG.OID, 'extnID')));
  let critical = false;
  let criticalEncodedFalse = false;
  let valueTlv = parts[1];
  if (parts.length === 3) {
    const flag = tlvValue(buf, expectTag(parts[1]!, TAG.BOOLEAN, 'critical'));
    critical = flag.length === 1 && flag[0] === 0xff;
    criticalEncodedFalse = !critical;
    valueTlv = parts[2];
  } else if (parts.length !== 2) {
    throw new DerError('Extension must have two or three elements');
  }
  return { oid, critical, criticalEncodedFalse, value: tlvValue(buf, expectTag(valueTlv!, TAG.OCTET_STRING, 'extnValue')) };
}

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

function decodeTime(buf: Buffer, tlv: Tlv): LintTime {
  const text = tlvValue(buf, tlv).toString('latin1');
  let match: RegExpExecArray | null = null;
  let year = 0;
  if (tlv.tag === TAG.UTC_TIME && (match = UTC_TIME.exec(text))) {
    const yy = Number(match[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy; // RFC 5280 §4.1.2.5.1
  } else if (tlv.tag === TAG.GENERALIZED_TIME && (match = GENERALIZED_TIME.exec(text))) {
    year = Number(match[1]);
  }
  if (!match) return { tag: tlv.tag, text, date: undefined };
  const [month, day, hour, minute, second] = match.slice(2).map(Number) as [number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute, second));
  const valid = date.getUTCMonth() === month - 1 && date.getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
  return { tag: tlv.tag, text, date: valid ? date : undefined };
}
