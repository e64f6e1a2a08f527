/**
 * The CertRA v2 vocabulary shared by storage, services and front ends: plain values of the certra core and commons
 * core types. The compound values the services answer with are in services/certra/types.ts.
 */
import type { Identifier } from './identifier.js';

/** commons:core:v2 ActorType: Id+, FirstName*, Name (a contract's Signer, a certificate's holder). */
export interface Actor {
  readonly ids: readonly Identifier[];
  readonly firstNames: readonly string[];
  readonly name: string;
}

/** The languages of CertRA's texts (TextType values: contracts, organisation names), in the order they are given. */
export const CERTRA_LANGUAGES = ['fr', 'nl', 'en'] as const;
export type CertRaLanguage = (typeof CERTRA_LANGUAGES)[number];

/** certra core EntityType (CertificateEntity/@EntityType). */
export type CertRaEntityType = 'NaturalPerson' | 'Organization';

/** certra core ContactDataType. */
export interface ContactData {
  readonly emailPrivate: string;
  readonly emailGeneral?: string;
  readonly phonePrivate: string;
  readonly phoneGeneral?: string;
}

/** certra core CertificateStatusType. */
export type CertificateStatus = 'IN_PROGRESS' | 'VALID_ACTIVE' | 'REFUSED' | 'REVOKED' | 'EXPIRED';

/** certra core ETKStatusType. */
export type EtkStatus = 'NOT_REQUESTED' | 'IN_REQUEST' | 'WAIT_FOR_ACTIVATION' | 'VALID_ACTIVE' | 'REVOKED' | 'EXPIRED';

/** certra core RevocationReasonType. */
export const REVOCATION_REASONS = ['keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation'] as const;
export type RevocationReason = (typeof REVOCATION_REASONS)[number];

/** What a mandate lets its holder do for an organisation. */
export type MandateRole = 'LEGAL_REPRESENTATIVE' | 'CERTIFICATE_MANAGER';
