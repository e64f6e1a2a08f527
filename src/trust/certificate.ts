import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import {
  DerError,
  TAG,
  bitStringOctets,
  childrenOf,
  decodeBoolean,
  decodeDirectoryString,
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
import { formatDn, normaliseAttributeType } from '../identifiers/dn.js';

export { DerError as CertificateParseError };

export const KEY_USAGE_BITS = [
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
export type KeyUsageName = (typeof KEY_USAGE_BITS)[number];

export interface NameAttribute {
  readonly oid: string;
  readonly value: string;
}

export type CertificateSignatureHash = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export interface CertificateSignatureAlgorithm {
  readonly keyType: 'rsa' | 'ec';
  readonly hash: CertificateSignatureHash;
}

/**
 * A parsed certificate. Instances are cached and shared between requests: treat every field as read-only
 * (including the Buffers).
 */
export interface CertificateInfo {
  readonly der: Buffer;
  /** Lower-case hex SHA-256 of the DER: the cache key and a stable identity. */
  readonly fingerprintSha256: string;
  /** Upper-case hex of the serial number's content octets. */
  readonly serialNumber: string;
  readonly subject: readonly NameAttribute[];
  readonly issuer: readonly NameAttribute[];
  /** RFC 4514, last RDN first, e.g. `CN=Alice,SERIALNUMBER=85073003328,C=BE`. */
  readonly subjectDn: string;
  readonly issuerDn: string;
  /** The subject's serialNumber attribute (2.5.4.5): the SSIN in Belgian eID certificates. */
  readonly subjectSerialNumber: string | undefined;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: KeyObject;
  /** 'rsa', 'ec', or whatever node:crypto reports for other key types (refused by path validation). */
  readonly publicKeyType: string;
  readonly rsaModulusBits: number | undefined;
  /** Named curve of an EC key: 'prime256v1' (P-256), 'secp384r1' (P-384)... */
  readonly ecCurve: string | undefined;
  readonly basicConstraints: { readonly ca: boolean; readonly pathLength: number | undefined } | undefined;
  /** Undefined when the certificate has no keyUsage extension. */
  readonly keyUsage: ReadonlySet<KeyUsageName> | undefined;
  readonly subjectKeyIdentifier: Buffer | undefined;
  readonly authorityKeyIdentifier: Buffer | undefined;
  /** Critical extensions this module does not process; path validation refuses them (RFC 5280 §4.2). */
  readonly unhandledCriticalExtensions: readonly string[];
  /** Undefined when the signature algorithm is not one we accept. */
  readonly signatureAlgorithm: CertificateSignatureAlgorithm | undefined;
  readonly signatureAlgorithmOid: string;
  /** Exact bytes of tbsCertificate, subject and issuer Name: signatures and name chaining are checked on these. */
  readonly tbs: Buffer;
  readonly subjectRaw: Buffer;
  readonly issuerRaw: Buffer;
  readonly signature: Buffer;
  readonly selfIssued: boolean;
}

const OID_EXT = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  certificatePolicies: '2.5.29.32',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
} as const;

/**
 * Critical extensions that are safe to accept without further processing here: the ones we enforce (basicConstraints,
 * keyUsage), identifiers, and the ones whose checking belongs to the caller (SAN, EKU). Policies are accepted as
 * with RFC 5280's initial-any-policy and no explicit-policy requirement. Name constraints, policy constraints and
 * anything unknown are refused when critical.
 */
const HANDLED_EXTENSIONS: ReadonlySet<string> = new Set(Object.values(OID_EXT));

const SIGNATURE_ALGORITHMS: ReadonlyMap<string, CertificateSignatureAlgorithm> = new Map([
  ['1.2.840.113549.1.1.5', { keyType: 'rsa', hash: 'sha1' }],
  ['1.2.840.113549.1.1.11', { keyType: 'rsa', hash: 'sha256' }],
  ['1.2.840.113549.1.1.12', { keyType: 'rsa', hash: 'sha384' }],
  ['1.2.840.113549.1.1.13', { keyType: 'rsa', hash: 'sha512' }],
  ['1.2.840.10045.4.3.2', { keyType: 'ec', hash: 'sha256' }],
  ['1.2.840.10045.4.3.3', { keyType: 'ec', hash: 'sha384' }],
  ['1.2.840.10045.4.3.4', { keyType: 'ec', hash: 'sha512' }],
]);

export const OID_SUBJECT_SERIAL_NUMBER = '2.5.4.5';

/** Parses a DER certificate strictly. Throws DerError (exported as CertificateParseError) when it is not one. */
export function parseCertificate(der: Buffer): CertificateInfo {
  const buf = Buffer.from(der); // own copy: cached instances must not alias caller buffers
  const root = expectTag(readSingleTlv(buf), TAG.SEQUENCE, 'Certificate');
  const [tbsTlv, outerAlgTlv, signatureTlv, ...extra] = childrenOf(buf, root);
  if (extra.length > 0) throw new DerError('Certificate has more than three elements');
  expectTag(tbsTlv, TAG.SEQUENCE, 'tbsCertificate');
  expectTag(outerAlgTlv, TAG.SEQUENCE, 'signatureAlgorithm');
  const signature = bitStringOctets(buf, expectTag(signatureTlv, TAG.BIT_STRING, 'signatureValue'));

  const fields = childrenOf(buf, tbsTlv!);
  let index = 0;
  if (fields[0]?.tag === 0xa0) index++; // [0] EXPLICIT version; v1 certificates omit it
  const serialTlv = expectTag(fields[index++], TAG.INTEGER, 'serialNumber');
  const innerAlgTlv = expectTag(fields[index++], TAG.SEQUENCE, 'signature');
  const issuerTlv = expectTag(fields[index++], TAG.SEQUENCE, 'issuer');
  const validityTlv = expectTag(fields[index++], TAG.SEQUENCE, 'validity');
  const subjectTlv = expectTag(fields[index++], TAG.SEQUENCE, 'subject');
  const spkiTlv = expectTag(fields[index++], TAG.SEQUENCE, 'subjectPublicKeyInfo');
  let extensionsTlv: Tlv | undefined;
  for (const rest of fields.slice(index)) {
    if (rest.tag === 0xa3) extensionsTlv = rest;
    else if (rest.tag !== 0x81 && rest.tag !== 0x82) throw new DerError(`unexpected tbsCertificate field 0x${rest.tag.toString(16)}`);
  }
  // RFC 5280 §4.1.1.2: the signed algorithm must equal the outer one, or an attacker could swap the unsigned copy.
  if (!tlvBytes(buf, innerAlgTlv).equals(tlvBytes(buf, outerAlgTlv!))) {
    throw new DerError('signatureAlgorithm differs from tbsCertificate.signature');
  }
  const { oid: signatureAlgorithmOid, algorithm: signatureAlgorithm } = readSignatureAlgorithm(buf, outerAlgTlv!);

  const [notBeforeTlv, notAfterTlv, ...moreTimes] = childrenOf(buf, validityTlv);
  if (!notBeforeTlv || !notAfterTlv || moreTimes.length > 0) throw new DerError('validity must hold two times');
  const subject = readName(buf, subjectTlv);
  const issuer = readName(buf, issuerTlv);

  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({ key: tlvBytes(buf, spkiTlv), format: 'der', type: 'spki' });
  } catch (error) {
    throw new DerError(`unreadable subjectPublicKeyInfo: ${(error as Error).message}`);
  }
  const details = publicKey.asymmetricKeyDetails ?? {};

  const extensions = extensionsTlv ? readExtensions(buf, extensionsTlv) : emptyExtensions();
  const subjectRaw = tlvBytes(buf, subjectTlv);
  const issuerRaw = tlvBytes(buf, issuerTlv);
  const serialNumber = tlvValue(buf, serialTlv).toString('hex').toUpperCase();

  return Object.freeze({
    der: buf,
    fingerprintSha256: createHash('sha256').update(buf).digest('hex'),
    serialNumber,
    subject: Object.freeze(subject.attributes),
    issuer: Object.freeze(issuer.attributes),
    subjectDn: subject.dn,
    issuerDn: issuer.dn,
    subjectSerialNumber: subject.attributes.find((a) => a.oid === OID_SUBJECT_SERIAL_NUMBER)?.value,
    notBefore: decodeTime(buf, notBeforeTlv),
    notAfter: decodeTime(buf, notAfterTlv),
    publicKey,
    publicKeyType: publicKey.asymmetricKeyType ?? 'unknown',
    rsaModulusBits: publicKey.asymmetricKeyType === 'rsa' ? details.modulusLength : undefined,
    ecCurve: publicKey.asymmetricKeyType === 'ec' ? details.namedCurve : undefined,
    ...extensions,
    signatureAlgorithm,
    signatureAlgorithmOid,
    tbs: tlvBytes(buf, tbsTlv!),
    subjectRaw,
    issuerRaw,
    signature,
    selfIssued: subjectRaw.equals(issuerRaw),
  });
}

function readSignatureAlgorithm(buf: Buffer, tlv: Tlv): { oid: string; algorithm: CertificateSignatureAlgorithm | undefined } {
  const [oidTlv, params, ...extra] = childrenOf(buf, tlv);
  const oid = decodeOid(tlvValue(buf, expectTag(oidTlv, TAG.OID, 'algorithm')));
  const algorithm = SIGNATURE_ALGORITHMS.get(oid);
  if (!algorithm || extra.length > 0) return { oid, algorithm: undefined };
  // RSA PKCS#1 v1.5 carries NULL parameters (or none); ECDSA carries none (RFC 4055, RFC 5758).
  const paramsOk = params === undefined || (algorithm.keyType === 'rsa' && params.tag === TAG.NULL && params.end === params.valueStart);
  return { oid, algorithm: paramsOk ? algorithm : undefined };
}

function readName(buf: Buffer, nameTlv: Tlv): { attributes: NameAttribute[]; dn: string } {
  const rdns: Array<Array<NameAttribute & { hex: boolean; ber: Buffer | undefined }>> = [];
  for (const rdn of childrenOf(buf, nameTlv)) {
    const atvs = childrenOf(buf, expectTag(rdn, TAG.SET, 'RelativeDistinguishedName'));
    if (atvs.length === 0) throw new DerError('empty RelativeDistinguishedName');
    rdns.push(
      atvs.map((atv) => {
        const [typeTlv, valueTlv, ...extra] = childrenOf(buf, expectTag(atv, TAG.SEQUENCE, 'AttributeTypeAndValue'));
        if (!valueTlv || extra.length > 0) throw new DerError('AttributeTypeAndValue must hold two elements');
        const oid = decodeOid(tlvValue(buf, expectTag(typeTlv, TAG.OID, 'AttributeType')));
        try {
          return { oid, value: decodeDirectoryString(buf, valueTlv), hex: false, ber: undefined };
        } catch {
          const ber = tlvBytes(buf, valueTlv);
          return { oid, value: `#${ber.toString('hex')}`, hex: true, ber }; // RFC 4514 §2.4 form
        }
      }),
    );
  }
  // RFC 4514: last RDN first, multi-valued RDNs joined with '+'.
  const dn = formatDn(
    [...rdns].reverse().flatMap((rdn, index) =>
      rdn.map((a) => ({ type: normaliseAttributeType(a.oid), value: a.value, rdn: index, ...(a.hex ? { ber: a.ber } : {}) })),
    ),
  );
  return { attributes: rdns.flat().map(({ oid, value }) => Object.freeze({ oid, value })), dn };
}

interface ExtensionFields {
  basicConstraints: CertificateInfo['basicConstraints'];
  keyUsage: CertificateInfo['keyUsage'];
  subjectKeyIdentifier: Buffer | undefined;
  authorityKeyIdentifier: Buffer | undefined;
  unhandledCriticalExtensions: readonly string[];
}

function emptyExtensions(): ExtensionFields {
  return {
    basicConstraints: undefined,
    keyUsage: undefined,
    subjectKeyIdentifier: undefined,
    authorityKeyIdentifier: undefined,
    unhandledCriticalExtensions: [],
  };
}

function readExtensions(buf: Buffer, wrapper: Tlv): ExtensionFields {
  const out = emptyExtensions();
  const unhandled: string[] = [];
  const seen = new Set<string>();
  const [sequence, ...extra] = childrenOf(buf, wrapper);
  if (extra.length > 0) throw new DerError('extensions wrapper holds more than one element');
  for (const extension of childrenOf(buf, expectTag(sequence, TAG.SEQUENCE, 'Extensions'))) {
    const parts = childrenOf(buf, expectTag(extension, TAG.SEQUENCE, 'Extension'));
    const oid = decodeOid(tlvValue(buf, expectTag(parts[0], TAG.OID, 'extnID')));
    let critical = false;
    let valueIndex = 1;
    if (parts[1]?.tag === TAG.BOOLEAN) {
      critical = decodeBoolean(buf, parts[1]);
      valueIndex = 2;
    }
    const valueTlv = expectTag(parts[valueIndex], TAG.OCTET_STRING, 'extnValue');
    if (parts.length !== valueIndex + 1) throw new DerError('Extension has extra elements');
    // RFC 5280 §4.2: a certificate must not include more than one instance of an extension.
    if (seen.has(oid)) throw new DerError(`duplicate extension ${oid}`);
    seen.add(oid);
    const value = tlvValue(buf, valueTlv);
    const inner = readSingleTlv(value);
    switch (oid) {
      case OID_EXT.basicConstraints: {
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
      case OID_EXT.keyUsage: {
        const hasBit = namedBits(value, inner);
        out.keyUsage = new Set(KEY_USAGE_BITS.filter((_, bit) => hasBit(bit)));
        break;
      }
      case OID_EXT.subjectKeyIdentifier:
        out.subjectKeyIdentifier = Buffer.from(tlvValue(value, expectTag(inner, TAG.OCTET_STRING, 'SubjectKeyIdentifier')));
        break;
      case OID_EXT.authorityKeyIdentifier: {
        const items = childrenOf(value, expectTag(inner, TAG.SEQUENCE, 'AuthorityKeyIdentifier'));
        const keyId = items.find((item) => item.tag === 0x80); // [0] IMPLICIT KeyIdentifier
        if (keyId) out.authorityKeyIdentifier = Buffer.from(tlvValue(value, keyId));
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
