import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  CertificateChoices,
  CertificateSet,
  CMSVersion,
  ContentInfo,
  DigestAlgorithmIdentifier,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  IssuerAndSerialNumber,
  SignatureAlgorithmIdentifier,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
  id_data,
  id_signedData,
} from '@peculiar/asn1-cms';
import { Certificate, Name } from '@peculiar/asn1-x509';
import type { KeySigner } from '../keys/key-signer.js';
import { parseCertificate } from '../../x509/certificate.js';

/**
 * The ETK (eHealth Encryption Token), docs/wire-facts.md §5: a DER CMS SignedData, version 1, digestAlgorithms {sha256},
 * eContent (id-data) = the holder's encryption certificate, certificates = ETK-RA signer + authentication
 * certificate + its CA chain, one SignerInfo (issuerAndSerialNumber of the ETK-RA certificate, sha256,
 * rsaEncryption) with no signed or unsigned attributes, so the signature is over the eContent octets themselves.
 */

export const OID_SHA256 = '2.16.840.1.101.3.4.2.1';
export const OID_RSA_ENCRYPTION = '1.2.840.113549.1.1.1';

export interface EtkContent {
  /** DER of the encryption certificate the client built (self-issued under its authentication DN). */
  readonly encryptionCertificate: Buffer;
  /** DER of the holder's eHealth authentication certificate. */
  readonly authenticationCertificate: Buffer;
  /** DER of the authentication certificate's CA chain, up to and including the root. */
  readonly authenticationChain: readonly Buffer[];
}

export interface EtkSigner {
  /** DER of the ETK-RA signer certificate. */
  readonly certificate: Buffer;
  /** Its key; must be RSA (the SignerInfo says rsaEncryption). */
  readonly signer: KeySigner;
}

export class EtkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EtkError';
  }
}

/** A fresh ArrayBuffer holding exactly these bytes (Buffer.slice is a view: its .buffer may be the whole pool). */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return copy.buffer;
}

function certificateChoice(der: Buffer): CertificateChoices {
  return new CertificateChoices({ certificate: AsnConvert.parse(der, Certificate) });
}

export async function buildEtk(content: EtkContent, etkRa: EtkSigner): Promise<Buffer> {
  if (etkRa.signer.keyAlgorithm !== 'RSA') throw new EtkError('the ETK-RA key must be RSA (SignerInfo signatureAlgorithm rsaEncryption)');
  const etkRaFields = parseCertificate(etkRa.certificate);
  if (!etkRaFields.spkiDer.equals(etkRa.signer.publicKeySpki))
    throw new EtkError(`the ETK-RA signer ${etkRa.signer.description} does not hold the key of the ETK-RA certificate`);
  const encryption = parseCertificate(content.encryptionCertificate);
  const authentication = parseCertificate(content.authenticationCertificate);
  // Clients find the authentication certificate as the one whose subject is the encryption certificate's issuer.
  if (!encryption.issuerDer.equals(authentication.subjectDer)) {
    throw new EtkError("the encryption certificate's issuer is not the authentication certificate's subject");
  }

  const signature = await etkRa.signer.sign(content.encryptionCertificate, 'SHA-256');
  // Order as on the real platform: ETK-RA signer, authentication certificate, its chain (duplicates dropped).
  const certificates: Buffer[] = [];
  for (const certificate of [etkRa.certificate, content.authenticationCertificate, ...content.authenticationChain]) {
    if (!certificates.some((known) => known.equals(certificate))) certificates.push(certificate);
  }
  const signedData = new SignedData({
    version: CMSVersion.v1,
    digestAlgorithms: new DigestAlgorithmIdentifiers([new DigestAlgorithmIdentifier({ algorithm: OID_SHA256 })]),
    encapContentInfo: new EncapsulatedContentInfo({
      eContentType: id_data,
      eContent: new EncapsulatedContent({ single: new OctetString(toArrayBuffer(content.encryptionCertificate)) }),
    }),
    certificates: new CertificateSet(certificates.map(certificateChoice)),
    signerInfos: new SignerInfos([
      new SignerInfo({
        version: CMSVersion.v1,
        sid: new SignerIdentifier({
          issuerAndSerialNumber: new IssuerAndSerialNumber({
            issuer: AsnConvert.parse(etkRaFields.issuerDer, Name),
            serialNumber: toArrayBuffer(etkRaFields.serialNumber),
          }),
        }),
        digestAlgorithm: new DigestAlgorithmIdentifier({ algorithm: OID_SHA256 }),
        signatureAlgorithm: new SignatureAlgorithmIdentifier({ algorithm: OID_RSA_ENCRYPTION, parameters: null }),
        signature: new OctetString(toArrayBuffer(signature)),
      }),
    ]),
  });
  const der = Buffer.from(AsnConvert.serialize(new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(signedData) })));
  // Certificates go through parse → serialise; a non-DER input certificate would change, and its signature break.
  for (const certificate of certificates) {
    if (der.indexOf(certificate) < 0) throw new EtkError('a certificate did not re-encode byte for byte (not DER); refusing to build a broken ETK');
  }
  return der;
}
