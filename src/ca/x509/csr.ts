import { createPublicKey, sign as nodeSign, type KeyObject } from 'node:crypto';
import { OID } from '../../x509/oids.js';
import type { KeySigner } from '../keys/key-signer.js';
import { signatureAlgorithmFromOid } from './algorithms.js';
import { verifySignature, publicKeyObject } from './certificate.js';
import {
  DerError,
  TAG,
  bitStringOctets,
  childrenOf,
  decodeOid,
  encodeBitString,
  encodeOid,
  encodeSequence,
  encodeTlv,
  expectTag,
  readSingleTlv,
  tlvBytes,
  tlvValue,
} from './der.js';
import { decodeName, type NameAttribute } from '../../x509/name.js';
import { encodeNameDer, type DnSequence } from './name.js';
import { BoundedCache } from '../../trust/trust-store.js';

/** A PKCS#10 request (RFC 2986), split into the parts the CA uses. Attributes (extension requests) are ignored on purpose. */
export interface ParsedCsr {
  readonly der: Buffer;
  /** The signed CertificationRequestInfo bytes. */
  readonly infoDer: Buffer;
  readonly subjectDer: Buffer;
  readonly subject: readonly NameAttribute[];
  readonly spkiDer: Buffer;
  readonly signatureAlgorithmOid: string;
  readonly signatureAlgorithmParameters: Buffer | undefined;
  readonly signature: Buffer;
}

export function parseCsr(der: Buffer): ParsedCsr {
  const root = expectTag(readSingleTlv(der), TAG.SEQUENCE, 'CertificationRequest');
  const [info, algorithm, signature, ...rest] = childrenOf(der, root);
  if (!info || !algorithm || !signature || rest.length) throw new DerError('CertificationRequest must have three elements');
  const [version, subject, spki, attributes, ...more] = childrenOf(der, expectTag(info, TAG.SEQUENCE, 'CertificationRequestInfo'));
  if (!version || !subject || !spki || more.length) throw new DerError('malformed CertificationRequestInfo');
  const versionValue = tlvValue(der, expectTag(version, TAG.INTEGER, 'version'));
  if (versionValue.length !== 1 || versionValue[0] !== 0) throw new DerError('CSR version must be v1 (0)');
  if (attributes && attributes.tag !== 0xa0) throw new DerError('CSR attributes must be [0]');
  const [algorithmOid, parameters, ...extra] = childrenOf(der, expectTag(algorithm, TAG.SEQUENCE, 'signatureAlgorithm'));
  if (!algorithmOid || extra.length) throw new DerError('malformed signatureAlgorithm');
  return {
    der,
    infoDer: tlvBytes(der, info),
    subjectDer: tlvBytes(der, subject),
    subject: decodeName(der, subject),
    spkiDer: tlvBytes(der, expectTag(spki, TAG.SEQUENCE, 'SubjectPublicKeyInfo')),
    signatureAlgorithmOid: decodeOid(tlvValue(der, expectTag(algorithmOid, TAG.OID, 'algorithm'))),
    signatureAlgorithmParameters: parameters ? tlvBytes(der, parameters) : undefined,
    signature: bitStringOctets(der, signature),
  };
}

export type CsrSignatureCheck = 'valid' | 'unsupported-algorithm' | 'invalid';

/**
 * CSRs whose proof of possession verified, by their DER. The same bytes are checked at submission and again by the
 * CA at issuance, moments apart; the answer cannot change, and importing the key cost more than verifying.
 */
const verifiedCsrs = new BoundedCache<true>(1024);

/** Proof of possession: the request is signed by the private half of the key it carries. */
export function checkCsrSignature(csr: ParsedCsr): CsrSignatureCheck {
  const cacheKey = csr.der.toString('base64');
  if (verifiedCsrs.get(cacheKey)) return 'valid';
  const check = verifyCsrSignature(csr);
  if (check === 'valid') verifiedCsrs.set(cacheKey, true);
  return check;
}

function verifyCsrSignature(csr: ParsedCsr): CsrSignatureCheck {
  const algorithm = signatureAlgorithmFromOid(csr.signatureAlgorithmOid);
  if (!algorithm) return 'unsupported-algorithm';
  const params = csr.signatureAlgorithmParameters;
  const paramsOk = algorithm.keyKind === 'RSA' ? params === undefined || params.equals(Buffer.from([TAG.NULL, 0])) : params === undefined;
  if (!paramsOk) return 'invalid';
  let key: KeyObject;
  try {
    key = publicKeyObject(csr.spkiDer);
  } catch {
    return 'invalid';
  }
  if ((key.asymmetricKeyType === 'rsa') !== (algorithm.keyKind === 'RSA')) return 'invalid';
  return verifySignature(csr.infoDer, csr.signature, algorithm, key) ? 'valid' : 'invalid';
}

const CSR_ALGORITHMS = {
  rsa: { sha256: OID.sha256WithRSAEncryption, sha384: OID.sha384WithRSAEncryption, sha512: OID.sha512WithRSAEncryption },
  ec: { sha256: OID.ecdsaWithSHA256, sha384: OID.ecdsaWithSHA384, sha512: OID.ecdsaWithSHA512 },
} as const;

/**
 * Builds and signs a PKCS#10 request with a private KeyObject. For tests, benchmarks and the dev CLI (real clients
 * bring their own CSRs); it accepts keys the CA will refuse (RSA-1024, P-521), which is what negative tests need.
 */
export function buildCsr(subject: DnSequence, privateKey: KeyObject, digest: 'sha256' | 'sha384' | 'sha512' = 'sha256'): Buffer {
  const kind = privateKey.asymmetricKeyType;
  if (kind !== 'rsa' && kind !== 'ec') throw new Error(`buildCsr: unsupported key type ${kind}`);
  const info = certificationRequestInfo(subject, createPublicKey(privateKey).export({ type: 'spki', format: 'der' }));
  const signature = nodeSign(digest, info, kind === 'ec' ? { key: privateKey, dsaEncoding: 'der' } : privateKey);
  return encodeSequence(info, csrAlgorithm(kind, digest), encodeBitString(signature));
}

/** A PKCS#10 request signed (SHA-256) by a KeySigner: a CA key on a token or in a file asks an external root for its certificate. */
export async function buildCsrWithSigner(subject: DnSequence, signer: KeySigner): Promise<Buffer> {
  const info = certificationRequestInfo(subject, signer.publicKeySpki);
  const signature = await signer.sign(info, 'SHA-256');
  return encodeSequence(info, csrAlgorithm(signer.keyAlgorithm === 'RSA' ? 'rsa' : 'ec', 'sha256'), encodeBitString(signature));
}

function certificationRequestInfo(subject: DnSequence, spkiDer: Buffer): Buffer {
  return encodeSequence(encodeTlv(TAG.INTEGER, Buffer.from([0])), encodeNameDer(subject), spkiDer, Buffer.from([0xa0, 0x00]));
}

function csrAlgorithm(kind: 'rsa' | 'ec', digest: 'sha256' | 'sha384' | 'sha512'): Buffer {
  return kind === 'rsa'
    ? encodeSequence(encodeOid(CSR_ALGORITHMS.rsa[digest]), Buffer.from([TAG.NULL, 0]))
    : encodeSequence(encodeOid(CSR_ALGORITHMS.ec[digest]));
}
