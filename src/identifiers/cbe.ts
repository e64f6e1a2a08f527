/**
 * CBE / KBO / BCE enterprise number: 10 digits, first digit 0 or 1,
 * check (digits 9–10) = 97 − (first 8 digits mod 97). Wire facts §7.
 */
import { check97, isDigitsOfLength, stripSeparators } from './check-digits.js';

/** The two check digits of an 8-digit CBE base. */
export function cbeCheckDigits(base8: string): string {
  if (!isDigitsOfLength(base8, 8)) throw new TypeError(`cbeCheckDigits: base must be 8 digits, got ${JSON.stringify(base8)}`);
  return check97(base8);
}

/** Strict: exactly 10 digits, starting with 0 or 1, valid check digits. */
export function isValidCbe(value: string): boolean {
  if (!isDigitsOfLength(value, 10)) return false;
  if (value[0] !== '0' && value[0] !== '1') return false;
  return value.slice(8) === check97(value.slice(0, 8));
}

/**
 * Accepts the written forms 'BE0820.563.481', 'BE 0820 563 481', '0820-563-481', 'be0820563481' and the
 * historical 9-digit form '820.563.481' (a leading 0 is added), and returns the 10-digit number when it
 * is valid, else `null`.
 */
export function normaliseCbe(input: string): string | null {
  let s = input.trim();
  if (/^BE/iu.test(s)) s = s.slice(2);
  s = stripSeparators(s);
  if (isDigitsOfLength(s, 9)) s = `0${s}`;
  return isValidCbe(s) ? s : null;
}
