import type { AuthenticatedSigner, SignatureRole } from '../../domain/authenticated-signer.js';
import type { VerifiedSigner } from '../../xml/dsig/signer.js';

const OID_SURNAME = '2.5.4.4';
const OID_GIVEN_NAME = '2.5.4.42';

/** The plain values services decide on, taken from the validated certificate (never from the message body). */
export function authenticatedSigner(verified: VerifiedSigner, role: SignatureRole): AuthenticatedSigner {
  const attribute = (oid: string) => verified.info.subject.find((a) => a.oid === oid)?.value;
  return {
    role,
    certificate: verified.certificate,
    chain: verified.chain,
    subjectDn: verified.subjectDn,
    serialNumberHex: verified.info.serialNumberHex,
    subjectSerialNumber: verified.subjectSerialNumber,
    givenName: attribute(OID_GIVEN_NAME),
    surname: attribute(OID_SURNAME),
  };
}
