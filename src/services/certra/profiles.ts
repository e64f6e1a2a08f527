import type { CertRaEntityType } from '../../domain/certra.js';
import { ehealthNaturalPerson, ehealthOrganisation, type CertificateProfile } from '../../ca/profiles/index.js';
import { ORGANIZATION_IDENTIFIER_TYPES, type EtkIdentifierType } from '../../identifiers/index.js';

/** The CA profile of a CertRA certificate: persons (SSIN) and organisations (every other ETK type). */
export function profileFor(entityType: CertRaEntityType): CertificateProfile {
  return entityType === 'NaturalPerson' ? ehealthNaturalPerson : ehealthOrganisation;
}

/**
 * The organisation identifier types CertRA offers: the ETK types whose DN the organisation profile accepts. Types the
 * CA would refuse at issuance (NIHII without a suffix, NIHII11, the 4-digit SITE…) are neither advertised nor accepted,
 * so a request never waits for an officer only to fail at signing time.
 */
export const CERTIFIABLE_ORGANISATION_TYPES: readonly EtkIdentifierType[] = (() => {
  const form = ehealthOrganisation.subject.form;
  if (form?.kind !== 'ehealth') return [];
  const typePattern = new RegExp(form.identifierTypePattern, 'u');
  const valuePattern = new RegExp(form.identifierValuePattern, 'u');
  return ORGANIZATION_IDENTIFIER_TYPES.filter((t) => typePattern.test(t.type) && valuePattern.test('0'.repeat(t.length)));
})();

export function isCertifiableOrganisationType(type: string): boolean {
  return CERTIFIABLE_ORGANISATION_TYPES.some((t) => t.type === type);
}
