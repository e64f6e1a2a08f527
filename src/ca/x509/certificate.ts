import { verify as nodeVerify, type KeyObject } from 'node:crypto';
import type { KeySigner } from '../keys/key-signer.js';
import type { ParsedCertificate } from '../../x509/certificate.js';
import { publicKeyFromSpki } from '../../x509/public-key.js';
import { signatureAlgorithmFromOid, signerHashOf, type SignatureAlgorithm } from './algorithms.js';
import { encodeBitString, encodeSequence } from './der.js';

/**
 * Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }. Built by concatenation, so the
 * bytes that were signed are, by construction, the bytes inside the certificate.
 */
export function assembleCertificate(tbsDer: Uint8Array, algorithm: SignatureAlgorithm, signature: Uint8Array): Buffer {
  return encodeSequence(tbsDer, algorithm.der, encodeBitString(signature));
}

export async function signTbsCertificate(tbsDer: Buffer, signer: KeySigner, algorithm: SignatureAlgorithm): Promise<Buffer> {
  const signature = await signer.sign(tbsDer, signerHashOf(algorithm));
  return assembleCertificate(tbsDer, algorithm, signature);
}

export function publicKeyObject(spkiDer: Buffer): KeyObject {
  return publicKeyFromSpki(spkiDer);
}

export function verifySignature(data: Uint8Array, signature: Uint8Array, algorithm: SignatureAlgorithm, publicKey: KeyObject): boolean {
  try {
    return nodeVerify(algorithm.digest, data, algorithm.keyKind === 'EC' ? { key: publicKey, dsaEncoding: 'der' } : publicKey, signature);
  } catch {
    return false;
  }
}

/**
 * True when `certificate` names `issuer`'s subject as its issuer (byte for byte) and its signature verifies with
 * `issuer`'s key under one of the algorithms the CA accepts (`signatureAlgorithmFromOid`: SHA-2 only).
 */
export function verifyIssuedBy(certificate: ParsedCertificate, issuer: ParsedCertificate): boolean {
  if (!certificate.issuerDer.equals(issuer.subjectDer)) return false;
  const algorithm = signatureAlgorithmFromOid(certificate.signatureAlgorithmOid);
  if (algorithm === undefined) return false;
  return verifySignature(certificate.tbsDer, certificate.signature, algorithm, issuer.publicKey);
}

export function toPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const base64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`;
}
