/**
 * The CertRA v2 vocabulary as the services see it: plain values read from the signed request by the front end.
 * No XML here.
 */
import type { CertRaEntityType, ContactData } from '../../storage/certra-requests.js';

export type { CertRaEntityType, ContactData };

export interface Identifier {
  /** ETK identifier type, e.g. SSIN, NIHII-HOSPITAL, CBE (commons IdType/@Type). */
  readonly type: string;
  readonly value: string;
}

/** commons:core:v2 ActorType: Id+, FirstName*, Name. */
export interface Actor {
  readonly ids: readonly Identifier[];
  readonly firstNames: readonly string[];
  readonly name: string;
}

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

export const REVOCATION_REASONS = ['keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation'] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

export interface RevocationContract extends CertificateContract {
  readonly reason: RevocationReason;
}

/** certra core CertificateStatusType. */
export type CertificateStatus = 'IN_PROGRESS' | 'VALID_ACTIVE' | 'REFUSED' | 'REVOKED' | 'EXPIRED';

/** certra core ETKStatusType. */
export type EtkStatus = 'NOT_REQUESTED' | 'IN_REQUEST' | 'WAIT_FOR_ACTIVATION' | 'VALID_ACTIVE' | 'REVOKED' | 'EXPIRED';

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
