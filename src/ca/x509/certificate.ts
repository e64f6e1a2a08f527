import { createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import type { KeySigner } from '../keys/key-signer.js';
import { signerHashOf, type SignatureAlgorithm } from './algorithms.js';
import { DerError, TAG, bitStringOctets, childrenOf, encodeBitString, encodeSequence, expectTag, readSingleTlv, tlvBytes } from './der.js';

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

export interface CertificateParts {
  /** Views into the certificate buffer. */
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

export function publicKeyObject(spkiDer: Buffer): KeyObject {
  return createPublicKey({ key: spkiDer, format: 'der', type: 'spki' });
}

export function verifySignature(data: Uint8Array, signature: Uint8Array, algorithm: SignatureAlgorithm, publicKey: KeyObject): boolean {
  try {
    return nodeVerify(algorithm.digest, data, algorithm.keyKind === 'EC' ? { key: publicKey, dsaEncoding: 'der' } : publicKey, signature);
  } catch {
    return false;
  }
}

export function toPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const base64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN ${label}-----\n${base64}\n-----END ${label}-----\n`;
}

export function fromPem(pem: string, label = 'CERTIFICATE'): Buffer {
  const match = new RegExp(`-----BEGIN ${label}-----([\\s\\S]+?)-----END ${label}-----`).exec(pem);
  if (!match) throw new Error(`no ${label} PEM block`);
  return Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64');
}
