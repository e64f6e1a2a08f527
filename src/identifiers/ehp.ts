/**
 * EHP: identifier assigned by the eHealth platform to organisations that have no CBE or NIHII number.
 * 10 digits, check (digits 9–10) = 97 − (first 8 digits mod 97), e.g. 1990001916. Wire facts §7.
 */
import { check97, isDigitsOfLength, stripSeparators } from './check-digits.js';

/** The two check digits of an 8-digit EHP base. */
export function ehpCheckDigits(base8: string): string {
  if (!isDigitsOfLength(base8, 8)) throw new TypeError(`ehpCheckDigits: base must be 8 digits, got ${JSON.stringify(base8)}`);
  return check97(base8);
}

/** Strict: exactly 10 digits with valid check digits. */
export function isValidEhp(value: string): boolean {
  return isDigitsOfLength(value, 10) && value.slice(8) === check97(value.slice(0, 8));
}

/** Strips separators (white space, '.', '-', '/') and returns the 10-digit EHP when valid, else `null`. */
export function normaliseEhp(input: string): string | null {
  const s = stripSeparators(input.trim());
  return isValidEhp(s) ? s : null;
}
