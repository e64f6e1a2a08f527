import type { AuthenticatedSigner, SignatureRole } from '../../src/domain/authenticated-signer.js';
import type { CitizenIdentity } from '../../src/ca/hierarchy/index.js';
import { parseCertificate } from '../../src/x509/certificate.js';

/**
 * The plain values a front end hands a service once it has verified a signature and chained the certificate to the
 * anchors of its role (src/domain/authenticated-signer.ts), derived here from the certificate alone: service tests call
 * the services with what a real certificate says, without any message, signature or trust store.
 */
export function signerFromCertificate(role: SignatureRole, certificate: Buffer, chain: readonly Buffer[] = []): AuthenticatedSigner {
  const parsed = parseCertificate(certificate);
  const attribute = (type: 'GIVENNAME' | 'SN') => parsed.subject.find((a) => a.type === type)?.value;
  return {
    role,
    certificate,
    chain,
    subjectDn: parsed.subjectDn,
    serialNumberHex: parsed.serialNumberHex,
    subjectSerialNumber: parsed.subjectSerialNumber,
    givenName: attribute('GIVENNAME'),
    surname: attribute('SN'),
  };
}

/** The eID "Signature" key signed (generateCertificate, revoke). */
export function eidSignatureSigner(identity: CitizenIdentity): AuthenticatedSigner {
  return signerFromCertificate('eid-signature', identity.signature.certificate, identity.chain);
}

/** The eID "Authentication" key signed (getActorQualities, getCertificateInfoForCitizen). */
export function eidAuthenticationSigner(identity: CitizenIdentity): AuthenticatedSigner {
  return signerFromCertificate('eid-authentication', identity.authentication.certificate, identity.chain);
}
