import { BASE_SERVICES } from './policy.js';
import { CERTIFIABLE_ORGANISATION_TYPES } from './profiles.js';

export interface OrganizationTypeInfo {
  /** ETK identifier type (IdentifierType). */
  readonly type: string;
  /** English display name. */
  readonly name: string;
  /** Java regex, whole-value match. */
  readonly validationRegex: string;
  readonly checkDigitAlgorithms: readonly string[];
  readonly availableBaseServices: readonly string[];
}

/** getGenericOrganizationTypes: the organisation types a certificate can be requested for, with their validation rules. */
export function organizationTypes(): OrganizationTypeInfo[] {
  return CERTIFIABLE_ORGANISATION_TYPES.map((t) => ({
    type: t.type,
    name: t.name,
    validationRegex: t.validationRegex,
    checkDigitAlgorithms: t.checkDigitAlgorithms,
    availableBaseServices: BASE_SERVICES,
  }));
}
