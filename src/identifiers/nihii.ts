/**
 * NIHII / INAMI / RIZIV numbers (docs/wire-facts.md §7).
 *
 * - Organisations (`NIHII-*` ETK types, and `NIHII`): 8 digits, check (digits 7–8) = 97 − (first 6 mod 97).
 *   Examples: 71089815 (NIHII-HOSPITAL), 89999964 (NIHII-LABO).
 * - Persons: 11 digits = the 8-digit number (same check) + 3 qualification digits, written 1-23456-25-xxx.
 *   The qualification digits carry no check digit and are not validated here.
 *
 * No official specification of the check was found; the scheme matches iCure's `checkInami` and the
 * real acceptance identifiers above.
 */
import { check97, isDigitsOfLength, stripSeparators } from './check-digits.js';

export interface PersonNihiiParts {
  /** The 8-digit NIHII (what an ETK lookup of type `NIHII` uses). */
  readonly nihii8: string;
  /** Digits 1–6. */
  readonly base: string;
  /** Digits 7–8. */
  readonly checkDigits: string;
  /** Digits 9–11: the qualification (profession / speciality) code. */
  readonly qualification: string;
}

/** The two check digits of a 6-digit NIHII base. */
export function nihiiCheckDigits(base6: string): string {
  if (!isDigitsOfLength(base6, 6)) throw new TypeError(`nihiiCheckDigits: base must be 6 digits, got ${JSON.stringify(base6)}`);
  return check97(base6);
}

/** Strict 8-digit NIHII with valid check digits. */
export function isValidNihii8(value: string): boolean {
  return isDigitsOfLength(value, 8) && value.slice(6) === check97(value.slice(0, 6));
}

/** Strict 11-digit person NIHII: a valid 8-digit NIHII followed by 3 qualification digits. */
export function isValidNihii11(value: string): boolean {
  return isDigitsOfLength(value, 11) && isValidNihii8(value.slice(0, 8));
}

/** Splits a valid 11-digit person NIHII, or returns `null`. */
export function splitPersonNihii(value: string): PersonNihiiParts | null {
  if (!isValidNihii11(value)) return null;
  return { nihii8: value.slice(0, 8), base: value.slice(0, 6), checkDigits: value.slice(6, 8), qualification: value.slice(8) };
}

/** Builds an 11-digit person NIHII from its 8-digit number and 3-digit qualification code (both validated). */
export function joinPersonNihii(nihii8: string, qualification: string): string {
  if (!isValidNihii8(nihii8)) throw new RangeError(`joinPersonNihii: invalid 8-digit NIHII ${JSON.stringify(nihii8)}`);
  if (!isDigitsOfLength(qualification, 3)) throw new RangeError(`joinPersonNihii: qualification must be 3 digits, got ${JSON.stringify(qualification)}`);
  return nihii8 + qualification;
}

/**
 * Strips separators ('1-23456-25-001', '7108 98 15', '1.23456.25.001') and returns the 8- or 11-digit
 * NIHII when it is valid, else `null`.
 */
export function normaliseNihii(input: string): string | null {
  const s = stripSeparators(input.trim());
  return isValidNihii8(s) || isValidNihii11(s) ? s : null;
}
