import { AsnConvert } from '@peculiar/asn1-schema';
import { Name, Version } from '@peculiar/asn1-x509';
import type { KeySigner } from '../keys/key-signer.js';
import { parseCertificate } from '../../x509/certificate.js';
import {
  certificateTime,
  encodeTbsCertificate,
  keyUsageExtension,
  parseSubjectPublicKeyInfo,
  signTbsCertificate,
  signatureAlgorithmFor,
  toAlgorithmIdentifier,
} from '../x509/index.js';

/**
 * What an eHealth client sends as `ToBeRegistered` in completeETKRegistration (docs/wire-facts.md §2 step 3, connector
 * CertificateUtils.generateCert): X.509 v3, subject = issuer = the authentication certificate's subject, serial = the
 * challenge serial, validity copied from the authentication certificate, one extension keyUsage (critical)
 * keyEncipherment + dataEncipherment, signed by the authentication key. The server never builds these; tests, the
 * dev CLI and the interop suite play the client with it.
 */
export interface EncryptionCertificateRequest {
  readonly authenticationCertificate: Buffer;
  readonly authenticationSigner: KeySigner;
  /** DER SubjectPublicKeyInfo of the RSA-2048 encryption key. */
  readonly encryptionPublicKeySpki: Buffer;
  /** The 16-byte challenge serial (used as a positive integer). */
  readonly serialNumber: Uint8Array;
}

export async function buildEncryptionCertificate(request: EncryptionCertificateRequest): Promise<Buffer> {
  const authentication = parseCertificate(request.authenticationCertificate);
  if (!request.authenticationSigner.publicKeySpki.equals(authentication.spkiDer)) {
    throw new Error('the signer does not hold the authentication certificate key');
  }
  // new BigInteger(0x00 || serial): positive whatever the top bit, hence the leading zero octet when it is set.
  const serial = new Uint8Array(request.serialNumber.length + (request.serialNumber[0]! & 0x80 ? 1 : 0));
  serial.set(request.serialNumber, serial.length - request.serialNumber.length);
  const holder = AsnConvert.parse(authentication.subjectDer, Name);
  const algorithm = signatureAlgorithmFor(request.authenticationSigner.keyAlgorithm);
  const tbs = encodeTbsCertificate({
    version: Version.v3,
    serialNumber: serial,
    signature: toAlgorithmIdentifier(algorithm),
    issuer: holder,
    notBefore: certificateTime(authentication.notBefore),
    notAfter: certificateTime(authentication.notAfter),
    subject: holder,
    subjectPublicKeyInfo: parseSubjectPublicKeyInfo(request.encryptionPublicKeySpki),
    extensions: [keyUsageExtension(['keyEncipherment', 'dataEncipherment'], true)],
  });
  return signTbsCertificate(tbs, request.authenticationSigner, algorithm);
}
