import {
  DerError,
  publicKeyObject,
  signatureAlgorithmFromOid,
  verifySignature,
  OID,
  TAG,
  childrenOf,
  decodeOid,
  expectTag,
  publicKeyIdentifier,
  readSingleTlv,
  splitCertificate,
  tlvBytes,
  tlvValue,
  type Tlv,
} from '../x509/index.js';
import { decodeTime } from '../../asn1/der.js';

/**
 * The fields of an X.509 certificate the CRL, ETK and hierarchy code need, read straight from the DER so that names
 * and serial numbers are reused byte for byte (an issuer Name re-encoded by a library may not match the original).
 */
export interface CertificateFields {
  readonly der: Buffer;
  readonly tbsDer: Buffer;
  /** INTEGER content octets of the serial number, exactly as encoded. */
  readonly serialNumber: Buffer;
  readonly serialNumberHex: string;
  readonly issuerDer: Buffer;
  readonly subjectDer: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spkiDer: Buffer;
  readonly extensions: ReadonlyMap<string, { readonly critical: boolean; readonly valueDer: Buffer }>;
  /** From the SKI extension, else RFC 5280 method 1 over the public key. */
  readonly subjectKeyIdentifier: Buffer;
  readonly authorityKeyIdentifier: Buffer | undefined;
  readonly isCa: boolean;
  /** Named bits of keyUsage, or undefined when the extension is absent. */
  readonly keyUsage: ReadonlySet<string> | undefined;
}

const KEY_USAGE_BITS = ['digitalSignature', 'nonRepudiation', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];

/** Certificate times are decoded by the shared DER module (strict UTCTime/GeneralizedTime, calendar-checked). */
export { decodeTime };

function decodeExtensions(der: Buffer, explicit: Tlv): Map<string, { critical: boolean; valueDer: Buffer }> {
  const extensions = new Map<string, { critical: boolean; valueDer: Buffer }>();
  const [sequence] = childrenOf(der, explicit);
  if (!sequence) return extensions;
  for (const extension of childrenOf(der, expectTag(sequence, TAG.SEQUENCE, 'Extensions'))) {
    const parts = childrenOf(der, expectTag(extension, TAG.SEQUENCE, 'Extension'));
    const oid = decodeOid(tlvValue(der, expectTag(parts[0]!, TAG.OID, 'extnID')));
    const critical = parts.length === 3 && parts[1]!.tag === TAG.BOOLEAN && der[parts[1]!.valueStart] !== 0;
    const value = expectTag(parts[parts.length - 1]!, TAG.OCTET_STRING, 'extnValue');
    if (extensions.has(oid)) throw new DerError(`duplicate extension ${oid}`);
    extensions.set(oid, { critical, valueDer: tlvValue(der, value) });
  }
  return extensions;
}

function keyIdentifierOf(valueDer: Buffer): Buffer {
  return tlvValue(valueDer, expectTag(readSingleTlv(valueDer), TAG.OCTET_STRING, 'SubjectKeyIdentifier'));
}

function authorityKeyIdOf(valueDer: Buffer): Buffer | undefined {
  const root = expectTag(readSingleTlv(valueDer), TAG.SEQUENCE, 'AuthorityKeyIdentifier');
  const keyId = childrenOf(valueDer, root).find((child) => child.tag === 0x80);
  return keyId ? tlvValue(valueDer, keyId) : undefined;
}

function isCaOf(valueDer: Buffer): boolean {
  const [first] = childrenOf(valueDer, expectTag(readSingleTlv(valueDer), TAG.SEQUENCE, 'BasicConstraints'));
  return first !== undefined && first.tag === TAG.BOOLEAN && valueDer[first.valueStart] !== 0;
}

function keyUsageOf(valueDer: Buffer): Set<string> {
  const tlv = expectTag(readSingleTlv(valueDer), TAG.BIT_STRING, 'KeyUsage');
  const bytes = valueDer.subarray(tlv.valueStart + 1, tlv.end);
  const names = new Set<string>();
  KEY_USAGE_BITS.forEach((name, bit) => {
    if ((bytes[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) names.add(name);
  });
  return names;
}

export function readCertificateFields(der: Buffer): CertificateFields {
  splitCertificate(der); // shape check: exactly tbsCertificate, signatureAlgorithm, signatureValue
  const [tbsTlv] = childrenOf(der, readSingleTlv(der));
  const tbs = tlvBytes(der, tbsTlv!);
  const children = childrenOf(der, tbsTlv!);
  let index = 0;
  if (children[0]?.tag === 0xa0) index += 1; // [0] EXPLICIT version
  const [serial, , issuer, validity, subject, spki, ...rest] = children.slice(index);
  if (!serial || !issuer || !validity || !subject || !spki) throw new DerError('malformed TBSCertificate');
  const [notBefore, notAfter] = childrenOf(der, expectTag(validity, TAG.SEQUENCE, 'Validity'));
  if (!notBefore || !notAfter) throw new DerError('malformed Validity');
  const explicitExtensions = rest.find((child) => child.tag === 0xa3);
  const extensions = explicitExtensions ? decodeExtensions(der, explicitExtensions) : new Map();
  const spkiDer = tlvBytes(der, expectTag(spki, TAG.SEQUENCE, 'SubjectPublicKeyInfo'));
  const serialNumber = tlvValue(der, expectTag(serial, TAG.INTEGER, 'serialNumber'));
  const ski = extensions.get(OID.subjectKeyIdentifier);
  const aki = extensions.get(OID.authorityKeyIdentifier);
  const basicConstraints = extensions.get(OID.basicConstraints);
  const keyUsage = extensions.get(OID.keyUsage);
  return {
    der,
    tbsDer: tbs,
    serialNumber,
    serialNumberHex: serialNumber.toString('hex'),
    issuerDer: tlvBytes(der, expectTag(issuer, TAG.SEQUENCE, 'issuer')),
    subjectDer: tlvBytes(der, expectTag(subject, TAG.SEQUENCE, 'subject')),
    notBefore: decodeTime(der, notBefore),
    notAfter: decodeTime(der, notAfter),
    spkiDer,
    extensions,
    subjectKeyIdentifier: ski ? keyIdentifierOf(ski.valueDer) : publicKeyIdentifier(spkiDer),
    authorityKeyIdentifier: aki ? authorityKeyIdOf(aki.valueDer) : undefined,
    isCa: basicConstraints ? isCaOf(basicConstraints.valueDer) : false,
    keyUsage: keyUsage ? keyUsageOf(keyUsage.valueDer) : undefined,
  };
}

/** True when `certificate` carries `issuer`'s subject as its issuer and a valid signature under `issuer`'s key. */
export function verifyIssuedBy(certificate: CertificateFields, issuer: CertificateFields): boolean {
  if (!certificate.issuerDer.equals(issuer.subjectDer)) return false;
  try {
    const { signatureAlgorithm, signature } = splitCertificate(certificate.der);
    const [oid] = childrenOf(signatureAlgorithm, readSingleTlv(signatureAlgorithm));
    const algorithm = signatureAlgorithmFromOid(decodeOid(tlvValue(signatureAlgorithm, expectTag(oid!, TAG.OID, 'algorithm'))));
    if (algorithm === undefined) return false;
    return verifySignature(certificate.tbsDer, signature, algorithm, publicKeyObject(issuer.spkiDer));
  } catch {
    return false;
  }
}
