/**
 * The role a signature plays, which decides its trust anchors and key usage (docs/wire-facts.md §4):
 * - eid-signature: the citizen's eID "Signature" key (generateCertificate, revoke);
 * - eid-authentication: the eID "Authentication" key (getActorQualities, getCertificateInfoForCitizen);
 * - ehealth: an eHealth certificate this platform issued, valid and not revoked (EtkRA,
 *   getCertificateInfoForAuthenticationCertificate);
 * - ws-security: a WS-Security X.509 signer on ETKDepot (configured anchors or our own hierarchy).
 */
export type SignatureRole = 'eid-signature' | 'eid-authentication' | 'ehealth' | 'ws-security';

/**
 * Who signed a request, established by the front end that verified the signature and chained the certificate to the
 * anchors of its role. Services decide on these values only; they never see the message.
 */
export interface AuthenticatedSigner {
  readonly role: SignatureRole;
  /** DER of the certificate whose key verified the signature. */
  readonly certificate: Buffer;
  /** DER of the validated path above it (intermediates, then the anchor). */
  readonly chain: readonly Buffer[];
  /** RFC 4514 text of the subject. */
  readonly subjectDn: string;
  /** Lower-case hex of the serial number's content octets. */
  readonly serialNumberHex: string;
  /** The subject's serialNumber attribute (2.5.4.5): the SSIN in Belgian eID certificates. */
  readonly subjectSerialNumber: string | undefined;
  /** The subject's givenName (2.5.4.42) and surname (2.5.4.4), as the eID writes them. */
  readonly givenName: string | undefined;
  readonly surname: string | undefined;
}
