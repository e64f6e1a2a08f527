/**
 * Belgian eHealth identifiers: SSIN, CBE, NIHII, EHP validation; the ETK identifier types; eHealth DN
 * build / parse / compare. Pure functions, no I/O.
 */
export { CHECK_97_MOD_97, type CheckDigitAlgorithmName, check97, mod97 } from './check-digits.js';
export {
  type SsinBirthDate,
  type SsinCentury,
  type SsinCheckResult,
  type SsinInfo,
  type SsinRejection,
  checkSsin,
  isBisNumber,
  isValidSsin,
  normaliseSsin,
  parseSsin,
  ssinCheckDigits,
} from './ssin.js';
export { cbeCheckDigits, isValidCbe, normaliseCbe } from './cbe.js';
export { ehpCheckDigits, isValidEhp, normaliseEhp } from './ehp.js';
export {
  type PersonNihiiParts,
  isValidNihii11,
  isValidNihii8,
  joinPersonNihii,
  nihiiCheckDigits,
  normaliseNihii,
  splitPersonNihii,
} from './nihii.js';
export {
  type EtkIdentifierType,
  type IdentifierKind,
  type IdentifierRejection,
  type IdentifierValidation,
  type ValidateIdentifierOptions,
  ETK_IDENTIFIER_TYPES,
  ORGANIZATION_IDENTIFIER_TYPES,
  findEtkIdentifierType,
  isOrganizationType,
  normaliseForLookup,
  validateIdentifier,
} from './etk-identifier-types.js';
export * from './dn.js';
export {
  type EhealthDn,
  type EhealthDnErrorCode,
  type EhealthDnInput,
  APPLICATION_ID_PATTERN,
  EHEALTH_C,
  EHEALTH_O,
  EHEALTH_OU,
  EhealthDnError,
  MAX_NAME_LENGTH,
  buildEhealthDn,
  ehealthDnAttributes,
  isValidApplicationId,
  normaliseApplicationId,
  normaliseDnName,
  parseEhealthDn,
} from './ehealth-dn.js';
