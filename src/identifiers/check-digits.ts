/**
 * The "97 − (N mod 97)" check-digit scheme shared by every Belgian identifier handled here
 * (SSIN, CBE, NIHII, EHP). See docs/wire-facts.md §7.
 *
 * The check is always two digits in 01..97: a base with N mod 97 = 0 gets check 97, never 00.
 * Because 97 is prime and larger than any single-digit change (d·10^k with 1 ≤ |d| ≤ 9 is never a
 * multiple of 97), every single-digit substitution in the base or in the check digits is detected
 * as long as the same base formula is used (SSIN has two formulas, see ssin.ts).
 */

/**
 * Name of the algorithm in CertRA getGenericOrganizationTypes `CheckDigitAlgorithm`
 * (`etee:CheckDigitType` enumerates `CHECK-MOD-97` and `CHECK-97-MOD-97`; the v2 schema uses a free string).
 * All real identifiers we know of fit "check = 97 − (base mod 97)", which is what the name
 * `CHECK-97-MOD-97` spells, so that is the only name we advertise. `CHECK-MOD-97` is not used.
 */
export const CHECK_97_MOD_97 = 'CHECK-97-MOD-97';
export type CheckDigitAlgorithmName = typeof CHECK_97_MOD_97;

const DIGITS = /^[0-9]+$/;

/** `true` when `s` is a non-empty string of ASCII digits. */
export function isDigits(s: string): boolean {
  return DIGITS.test(s);
}

/** `true` when `s` is exactly `length` ASCII digits. */
export function isDigitsOfLength(s: string, length: number): boolean {
  return s.length === length && DIGITS.test(s);
}

/** `base mod 97` for an arbitrarily long digit string (no precision loss). */
export function mod97(base: string): number {
  if (!isDigits(base)) throw new TypeError(`mod97: not a digit string: ${JSON.stringify(base)}`);
  let r = 0;
  for (let i = 0; i < base.length; i++) r = (r * 10 + (base.charCodeAt(i) - 48)) % 97;
  return r;
}

/** The two check digits "97 − (base mod 97)", as a 2-character string in "01".."97". */
export function check97(base: string): string {
  return String(97 - mod97(base)).padStart(2, '0');
}

/**
 * `true` when `value` is `baseLength` digits followed by the two check digits `check97(base)`.
 * Extra characters are not allowed: `value.length` must be `baseLength + 2`.
 */
export function hasValidCheck97(value: string, baseLength: number): boolean {
  if (!isDigitsOfLength(value, baseLength + 2)) return false;
  return value.slice(baseLength) === check97(value.slice(0, baseLength));
}

/**
 * Removes the separators people write in identifiers: white space, '.', '-', '/'.
 * Returns the remaining string unchanged otherwise (callers check it is all digits).
 */
export function stripSeparators(input: string): string {
  return input.replace(/[\s./-]+/gu, '');
}
