import { verify as nodeVerify } from 'node:crypto';
import { DerError, TAG, childrenOf, decodeOid, expectTag, readSingleTlv, tlvBytes, tlvValue, type Tlv } from '../x509/index.js';
import { parseCertificate, type ParsedCertificate } from '../../x509/certificate.js';
import { verifyIssuedBy } from '../x509/certificate.js';
import { EtkError, OID_RSA_ENCRYPTION, OID_SHA256 } from './etk-builder.js';

/**
 * Reads an ETK the way the eHealth clients do (etee-crypto-lib EncryptionToken): the encryption certificate is the
 * eContent, the authentication certificate is the one whose subject is the encryption certificate's issuer.
 * Parsed with the strict DER reader so every certificate keeps its exact bytes.
 */

const OID_SIGNED_DATA = '1.2.840.113549.1.7.2';
const OID_DATA = '1.2.840.113549.1.7.1';
const OID_SHA256_WITH_RSA = '1.2.840.113549.1.1.11';

export interface EtkVerification {
  readonly valid: boolean;
  /** Human-readable reasons when not valid. */
  readonly problems: readonly string[];
}

export interface ParsedEtk {
  readonly der: Buffer;
  /** DER of the eContent. */
  readonly encryptionCertificate: Buffer;
  readonly authenticationCertificate: Buffer;
  /** The certificate the SignerInfo points at (issuerAndSerialNumber). */
  readonly etkRaCertificate: Buffer;
  /** Every certificate of the `certificates` field, in order. */
  readonly certificates: readonly Buffer[];
  /** The remaining certificates: the authentication certificate's CA chain. */
  readonly chain: readonly Buffer[];
  readonly signature: Buffer;
  /** The holder's validity: the encryption certificate's, copied from the authentication certificate (§8). */
  readonly notBefore: Date;
  readonly notAfter: Date;
  /**
   * Checks the CMS signature, the ETK-RA certificate (digitalSignature) and both chains (ETK-RA, authentication) up to
   * one of `trustAnchors` (DER; the ETK-RA issuer may be absent from the ETK, as on the real platform), and that the
   * encryption certificate is signed by the authentication key. Validity is checked at `now`.
   */
  verify(trustAnchors: readonly Buffer[], options?: { readonly now?: Date }): EtkVerification;
}

function only(children: Tlv[], count: number, what: string): Tlv[] {
  if (children.length < count) throw new DerError(`${what}: expected ${count} elements, got ${children.length}`);
  return children;
}

function oidAt(buf: Buffer, tlv: Tlv, what: string): string {
  return decodeOid(tlvValue(buf, expectTag(tlv, TAG.OID, what)));
}

function algorithmOid(buf: Buffer, tlv: Tlv, what: string): string {
  const [oid] = childrenOf(buf, expectTag(tlv, TAG.SEQUENCE, what));
  if (!oid) throw new DerError(`${what}: empty AlgorithmIdentifier`);
  return oidAt(buf, oid, what);
}

export function parseEtk(der: Buffer): ParsedEtk {
  try {
    return parseEtkOrThrow(der);
  } catch (error) {
    if (error instanceof EtkError) throw error;
    throw new EtkError(`not a valid ETK: ${(error as Error).message}`);
  }
}

function parseEtkOrThrow(der: Buffer): ParsedEtk {
  const [contentType, explicit] = only(childrenOf(der, expectTag(readSingleTlv(der), TAG.SEQUENCE, 'ContentInfo')), 2, 'ContentInfo');
  if (oidAt(der, contentType!, 'contentType') !== OID_SIGNED_DATA) throw new EtkError('not a CMS SignedData');
  const [signedDataTlv] = childrenOf(der, expectTag(explicit!, 0xa0, 'content'));
  const fields = childrenOf(der, expectTag(signedDataTlv!, TAG.SEQUENCE, 'SignedData'));
  const [version, digestAlgorithms, encapContentInfo] = only(fields, 4, 'SignedData');
  const versionValue = tlvValue(der, expectTag(version!, TAG.INTEGER, 'version'));
  if (versionValue.length !== 1 || versionValue[0] !== 1) throw new EtkError(`SignedData version must be 1, got ${versionValue.toString('hex')}`);
  const digests = childrenOf(der, expectTag(digestAlgorithms!, TAG.SET, 'digestAlgorithms')).map((tlv) => algorithmOid(der, tlv, 'digestAlgorithm'));
  if (!digests.includes(OID_SHA256)) throw new EtkError('digestAlgorithms lacks sha256');

  const [eContentType, eContentExplicit] = childrenOf(der, expectTag(encapContentInfo!, TAG.SEQUENCE, 'EncapsulatedContentInfo'));
  if (oidAt(der, eContentType!, 'eContentType') !== OID_DATA) throw new EtkError('eContentType is not id-data');
  if (!eContentExplicit) throw new EtkError('the ETK carries no eContent');
  const [eContent] = childrenOf(der, expectTag(eContentExplicit, 0xa0, 'eContent'));
  const encryptionCertificate = Buffer.from(tlvValue(der, expectTag(eContent!, TAG.OCTET_STRING, 'eContent')));

  let rest = fields.slice(3);
  const certificates: Buffer[] = [];
  if (rest[0]?.tag === 0xa0) {
    for (const certificate of childrenOf(der, rest[0])) certificates.push(Buffer.from(tlvBytes(der, expectTag(certificate, TAG.SEQUENCE, 'certificate'))));
    rest = rest.slice(1);
  }
  if (rest[0]?.tag === 0xa1) throw new EtkError('an ETK carries no CRLs');
  const signerInfos = childrenOf(der, expectTag(rest[0]!, TAG.SET, 'signerInfos'));
  if (signerInfos.length !== 1) throw new EtkError(`an ETK has exactly one SignerInfo, found ${signerInfos.length}`);
  const signerInfo = childrenOf(der, expectTag(signerInfos[0]!, TAG.SEQUENCE, 'SignerInfo'));
  const [signerVersion, sid, digestAlgorithm, signatureAlgorithmOrAttrs] = only(signerInfo, 5, 'SignerInfo');
  if (signatureAlgorithmOrAttrs!.tag === 0xa0) throw new EtkError('an ETK SignerInfo has no signed attributes');
  const signerVersionValue = tlvValue(der, expectTag(signerVersion!, TAG.INTEGER, 'SignerInfo version'));
  if (signerVersionValue.length !== 1 || signerVersionValue[0] !== 1) throw new EtkError('SignerInfo version must be 1 (issuerAndSerialNumber)');
  if (algorithmOid(der, digestAlgorithm!, 'digestAlgorithm') !== OID_SHA256) throw new EtkError('SignerInfo digest is not sha256');
  const signatureAlgorithm = algorithmOid(der, signatureAlgorithmOrAttrs!, 'signatureAlgorithm');
  if (signatureAlgorithm !== OID_RSA_ENCRYPTION && signatureAlgorithm !== OID_SHA256_WITH_RSA)
    throw new EtkError(`unsupported signature algorithm ${signatureAlgorithm}`);
  const signature = Buffer.from(tlvValue(der, expectTag(signerInfo[4]!, TAG.OCTET_STRING, 'signature')));
  if (signerInfo.length > 5) throw new EtkError('an ETK SignerInfo has no unsigned attributes');

  const [sidIssuer, sidSerial] = only(childrenOf(der, expectTag(sid!, TAG.SEQUENCE, 'issuerAndSerialNumber')), 2, 'issuerAndSerialNumber');
  const sidIssuerDer = tlvBytes(der, expectTag(sidIssuer!, TAG.SEQUENCE, 'issuer'));
  const sidSerialValue = tlvValue(der, expectTag(sidSerial!, TAG.INTEGER, 'serialNumber'));

  const parsed = certificates.map(parseCertificate);
  const etkRa = parsed.find((fields) => fields.issuerDer.equals(sidIssuerDer) && fields.serialNumber.equals(sidSerialValue));
  if (!etkRa) throw new EtkError('the ETK-RA signer certificate named by the SignerInfo is not in the ETK');
  const encryption = parseCertificate(encryptionCertificate);
  const authentication = parsed.find((fields) => fields !== etkRa && fields.subjectDer.equals(encryption.issuerDer));
  if (!authentication) throw new EtkError("no certificate in the ETK has the encryption certificate's issuer as subject");
  const chain = parsed.filter((fields) => fields !== etkRa && fields !== authentication).map((fields) => fields.der);

  return {
    der,
    encryptionCertificate,
    authenticationCertificate: authentication.der,
    etkRaCertificate: etkRa.der,
    certificates,
    chain,
    signature,
    notBefore: encryption.notBefore,
    notAfter: encryption.notAfter,
    verify: (trustAnchors, options) => verifyEtk({ encryption, authentication, etkRa, parsed, signature }, trustAnchors, options?.now ?? new Date()),
  };
}

/** Walks issuer links through `pool` until a trust anchor: the anchor itself or a certificate it signed. */
function chainsToAnchor(
  start: ParsedCertificate,
  pool: readonly ParsedCertificate[],
  anchors: readonly ParsedCertificate[],
  now: Date,
  problems: string[],
  what: string,
): boolean {
  let current = start;
  for (let depth = 0; depth < 8; depth += 1) {
    if (anchors.some((anchor) => anchor.der.equals(current.der))) return true;
    if (now < current.notBefore || now > current.notAfter) {
      problems.push(`${what}: a certificate in the chain is not valid at ${now.toISOString()}`);
      return false;
    }
    const anchor = anchors.find((candidate) => verifyIssuedBy(current, candidate));
    if (anchor) return true;
    const issuer = pool.find((candidate) => candidate !== current && candidate.basicConstraints?.ca === true && verifyIssuedBy(current, candidate));
    if (!issuer) break;
    current = issuer;
  }
  problems.push(`${what}: no chain to a trust anchor`);
  return false;
}

function verifyEtk(
  etk: { encryption: ParsedCertificate; authentication: ParsedCertificate; etkRa: ParsedCertificate; parsed: ParsedCertificate[]; signature: Buffer },
  trustAnchors: readonly Buffer[],
  now: Date,
): EtkVerification {
  const problems: string[] = [];
  const anchors = trustAnchors.map((der) => parseCertificate(der));
  const signatureOk = (() => {
    try {
      return nodeVerify('sha256', etk.encryption.der, etk.etkRa.publicKey, etk.signature);
    } catch {
      return false;
    }
  })();
  if (!signatureOk) problems.push('the CMS signature does not verify with the ETK-RA certificate');
  if (!etk.etkRa.keyUsage?.has('digitalSignature')) problems.push('the ETK-RA certificate lacks keyUsage digitalSignature');
  chainsToAnchor(etk.etkRa, etk.parsed, anchors, now, problems, 'ETK-RA certificate');
  chainsToAnchor(etk.authentication, etk.parsed, anchors, now, problems, 'authentication certificate');
  if (!verifyIssuedBy(etk.encryption, etk.authentication)) problems.push('the encryption certificate is not signed by the authentication key');
  if (now < etk.encryption.notBefore || now > etk.encryption.notAfter) problems.push(`the encryption certificate is not valid at ${now.toISOString()}`);
  return { valid: problems.length === 0, problems };
}
