/**
 * The ETK identifier types (`be.ehealth.technicalconnector.utils.IdentifierType`, ETK column), their
 * fixed value lengths, and how we validate each (docs/wire-facts.md §3).
 *
 * - `type` is the exact string used in ETKDepot `Identifier/Type`, CertRA `Id/@Type` and in eHealth DNs
 *   (`OU=<type>=<id>`). Lookup is case-sensitive: the connector and the other known clients send these
 *   exact strings.
 * - `validationRegex` is what CertRA getGenericOrganizationTypes returns in `ValidationRegEx`: Java
 *   syntax, whole-value match (`String.matches`), so it carries no anchors.
 * - `checkDigitAlgorithms` is what getGenericOrganizationTypes returns in `CheckDigitAlgorithm*`. We
 *   only advertise `CHECK-97-MOD-97` ("check = 97 − (value-without-the-last-2-digits mod 97)"), and
 *   only where that generic reading is correct (SSIN is the exception: it also has the 2000+ variant,
 *   and is not an organisation type anyway). NIHII11 advertises none, because its check digits are
 *   digits 7–8, not the last two; SITE types have no known check. `kind` says how we validate internally.
 * - `name` is our English display label (the official eHealth labels were not found).
 */
import { CHECK_97_MOD_97, type CheckDigitAlgorithmName } from './check-digits.js';
import { isValidCbe } from './cbe.js';
import { isValidEhp } from './ehp.js';
import { isValidNihii11, isValidNihii8 } from './nihii.js';
import { checkSsin } from './ssin.js';

/** How a value of the type is validated. */
export type IdentifierKind =
  /** 11-digit SSIN/BIS, ssin.ts */
  | 'SSIN'
  /** 10-digit CBE, cbe.ts */
  | 'CBE'
  /** 10-digit EHP, ehp.ts */
  | 'EHP'
  /** 8-digit NIHII, nihii.ts */
  | 'NIHII'
  /** 11-digit person NIHII (8 + qualification), nihii.ts */
  | 'NIHII11'
  /** site numbers (SITE, SITESMUR, SITEPIT): digits of the fixed length, no known check digit */
  | 'SITE';

export interface EtkIdentifierType {
  readonly type: string;
  /** Fixed value length: lookups pad/truncate to it. */
  readonly length: number;
  readonly kind: IdentifierKind;
  /** Java regex (whole-value match), as advertised in getGenericOrganizationTypes. */
  readonly validationRegex: string;
  readonly checkDigitAlgorithms: readonly CheckDigitAlgorithmName[];
  /** English display label. */
  readonly name: string;
  /** Everything except SSIN. */
  readonly isOrganization: boolean;
}

type Row = readonly [type: string, length: number, kind: IdentifierKind, name: string];

const ROWS: readonly Row[] = [
  ['SSIN', 11, 'SSIN', 'Natural person'],
  ['CBE', 10, 'CBE', 'Enterprise'],
  ['CBE-TREAT_CENTER', 10, 'CBE', 'Treatment centre'],
  ['CBE-CONSORTIUM', 10, 'CBE', 'Consortium'],
  ['EHP', 10, 'EHP', 'Organisation registered at eHealth'],
  ['EHP-CTRL_ORGANISM', 10, 'EHP', 'Control organism'],
  ['NIHII', 8, 'NIHII', 'NIHII number'],
  ['NIHII11', 11, 'NIHII11', 'Healthcare professional (NIHII with qualification)'],
  ['NIHII-PHARMACY', 8, 'NIHII', 'Pharmacy'],
  ['NIHII-LABO', 8, 'NIHII', 'Laboratory'],
  ['NIHII-RETIREMENT', 8, 'NIHII', 'Retirement home'],
  ['NIHII-OTD_PHARMACY', 8, 'NIHII', 'OTD pharmacy'],
  ['NIHII-HOSPITAL', 8, 'NIHII', 'Hospital'],
  ['NIHII-GROUP', 8, 'NIHII', 'Group of nurses'],
  ['NIHII-PALLIATIVE_CARE', 8, 'NIHII', 'Palliative care'],
  ['NIHII-OFFICE_DENTISTS', 8, 'NIHII', 'Dentists office'],
  ['NIHII-MEDICAL_HOUSE', 8, 'NIHII', 'Medical house'],
  ['NIHII-OFFICE_DOCTORS', 8, 'NIHII', 'Doctors office'],
  ['NIHII-GROUP_DOCTORS', 8, 'NIHII', 'Group of doctors'],
  ['NIHII-OF_BAND', 8, 'NIHII', 'Bandagists office'],
  ['NIHII-PSYCH_HOUSE', 8, 'NIHII', 'Psychiatric care home'],
  ['NIHII-PROT_ACC', 8, 'NIHII', 'Protected accommodation'],
  ['NIHII-HOME_SERVICES', 8, 'NIHII', 'Home care services'],
  ['NIHII-OF_PHYSIOS', 8, 'NIHII', 'Physiotherapists office'],
  ['NIHII-GUARD_POST', 8, 'NIHII', 'Guard post'],
  ['NIHII-BELRAI', 8, 'NIHII', 'BelRAI'],
  ['NIHII-BELRAI_SCREEN', 8, 'NIHII', 'BelRAI screener'],
  ['NIHII-GROUP_MIDWIVES', 8, 'NIHII', 'Group of midwives'],
  ['NIHII-AMBU_SERVICE', 8, 'NIHII', 'Ambulance service'],
  ['NIHII-LEGAL_PSY', 8, 'NIHII', 'Forensic psychiatric care'],
  ['NIHII-REEDUCATION', 8, 'NIHII', 'Rehabilitation centre'],
  ['NIHII-SORTING_CENTER', 8, 'NIHII', 'Sorting centre'],
  ['SITE', 4, 'SITE', 'Hospital site'],
  ['SITESMUR', 10, 'SITE', 'SMUR site'],
  ['SITEPIT', 10, 'SITE', 'PIT site'],
];

function regexFor(kind: IdentifierKind, length: number): string {
  // CBE enterprise numbers start with 0 or 1; every other type is "digits of the fixed length".
  return kind === 'CBE' ? `[01][0-9]{${length - 1}}` : `[0-9]{${length}}`;
}

function algorithmsFor(kind: IdentifierKind): readonly CheckDigitAlgorithmName[] {
  return kind === 'SSIN' || kind === 'CBE' || kind === 'EHP' || kind === 'NIHII' ? [CHECK_97_MOD_97] : [];
}

/** All ETK identifier types, in the order of docs/wire-facts.md §3. */
export const ETK_IDENTIFIER_TYPES: readonly EtkIdentifierType[] = Object.freeze(
  ROWS.map(([type, length, kind, name]) =>
    Object.freeze({
      type,
      length,
      kind,
      validationRegex: regexFor(kind, length),
      checkDigitAlgorithms: Object.freeze(algorithmsFor(kind)),
      name,
      isOrganization: kind !== 'SSIN',
    }),
  ),
);

/** The types offered to organisations (getGenericOrganizationTypes): all but SSIN. */
export const ORGANIZATION_IDENTIFIER_TYPES: readonly EtkIdentifierType[] = Object.freeze(ETK_IDENTIFIER_TYPES.filter((t) => t.isOrganization));

const BY_TYPE: ReadonlyMap<string, EtkIdentifierType> = new Map(ETK_IDENTIFIER_TYPES.map((t) => [t.type, t]));
const COMPILED: ReadonlyMap<string, RegExp> = new Map(ETK_IDENTIFIER_TYPES.map((t) => [t.type, new RegExp(`^(?:${t.validationRegex})$`)]));

/** The type with exactly this ETK type string (case-sensitive), or `undefined`. */
export function findEtkIdentifierType(type: string): EtkIdentifierType | undefined {
  return BY_TYPE.get(type);
}

/** `true` for a known type other than SSIN. */
export function isOrganizationType(type: string): boolean {
  return findEtkIdentifierType(type)?.isOrganization === true;
}

/**
 * Formats a value for an ETK lookup exactly as the connector does (`IdentifierType.formatIdentifierValue`):
 * longer than the type's length → keep the first `length` characters; otherwise left-pad with '0'.
 * So a person's 11-digit NIHII looked up as `NIHII` becomes its 8-digit number. No trimming, no
 * validation. Returns `null` for an unknown type.
 */
export function normaliseForLookup(type: string, value: string): string | null {
  const t = findEtkIdentifierType(type);
  if (!t) return null;
  return value.length > t.length ? value.slice(0, t.length) : value.padStart(t.length, '0');
}

export type IdentifierRejection = 'UNKNOWN_TYPE' | 'BAD_FORMAT' | 'BAD_CHECK_DIGIT';

export type IdentifierValidation =
  | { readonly ok: true; readonly value: string; readonly identifierType: EtkIdentifierType }
  | { readonly ok: false; readonly reason: IdentifierRejection };

export interface ValidateIdentifierOptions {
  /** Reference time for the SSIN "birth in the future" rule. Default: now. */
  readonly now?: Date;
}

/**
 * Validates `value` as an identifier of the ETK `type`. Leading/trailing white space is ignored;
 * otherwise the value must already have the exact format (no padding, no separators: use
 * `normaliseForLookup` or the per-kind normalisers first if that is wanted).
 *
 * - BAD_FORMAT: not matching `validationRegex` (wrong length, non-digits, CBE not starting with 0/1),
 *   or for SSIN an impossible month/day field or calendar date.
 * - BAD_CHECK_DIGIT: wrong check digits (for SSIN also: only the 2000+ formula matches and the birth
 *   would be in the future).
 */
export function validateIdentifier(type: string, value: string, options: ValidateIdentifierOptions = {}): IdentifierValidation {
  const t = findEtkIdentifierType(type);
  if (!t) return { ok: false, reason: 'UNKNOWN_TYPE' };
  const v = value.trim();
  if (!COMPILED.get(t.type)!.test(v)) return { ok: false, reason: 'BAD_FORMAT' };
  switch (t.kind) {
    case 'SSIN': {
      const r = checkSsin(v, options.now ?? new Date());
      if (!r.ok) return { ok: false, reason: r.reason === 'BAD_FORMAT' || r.reason === 'BAD_DATE' ? 'BAD_FORMAT' : 'BAD_CHECK_DIGIT' };
      break;
    }
    case 'CBE':
      if (!isValidCbe(v)) return { ok: false, reason: 'BAD_CHECK_DIGIT' };
      break;
    case 'EHP':
      if (!isValidEhp(v)) return { ok: false, reason: 'BAD_CHECK_DIGIT' };
      break;
    case 'NIHII':
      if (!isValidNihii8(v)) return { ok: false, reason: 'BAD_CHECK_DIGIT' };
      break;
    case 'NIHII11':
      if (!isValidNihii11(v)) return { ok: false, reason: 'BAD_CHECK_DIGIT' };
      break;
    case 'SITE':
      break;
  }
  return { ok: true, value: v, identifierType: t };
}
