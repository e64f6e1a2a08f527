/**
 * What the CertRA services take and answer, built from the domain vocabulary (domain/certra.ts): plain values read
 * from the signed request by the front end. No XML here.
 */
import type { Actor, CertificateStatus, CertRaEntityType, ContactData, EtkStatus, RevocationReason } from '../../domain/certra.js';

/** A TextType Value: an HTML5 document in one language (xml:lang). */
export interface LocalizedText {
  readonly lang: string;
  readonly text: string;
}

export interface CertificateContract {
  readonly dn: string;
  readonly signer: Actor;
  readonly texts: readonly LocalizedText[];
}

export interface RevocationContract extends CertificateContract {
  readonly reason: RevocationReason;
}

/** certra core CertificateInfoType. */
export interface CertificateInfo {
  readonly requestedAt: Date;
  readonly publicKeyIdentifier: string;
  readonly entityType: CertRaEntityType;
  readonly actor: Actor;
  readonly applicationId: string | undefined;
  readonly status: CertificateStatus;
  readonly etkStatus: EtkStatus;
  readonly automaticallyValidated: boolean;
  /** Present once the certificate is issued. */
  readonly details: CertificateDetails | undefined;
  readonly revocable: boolean;
  readonly replaceable: boolean;
  /** Present once the certificate is issued. */
  readonly replacementPeriodStart: Date | undefined;
  readonly contactData: ContactData;
  readonly baseServiceUsage: readonly string[];
}

export interface CertificateDetails {
  /** Decimal, as Java's BigInteger prints it. */
  readonly serialNumber: string;
  readonly dn: string;
  readonly issuerDn: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}
