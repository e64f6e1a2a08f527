/**
 * SSIN / INSZ / NISS: the Belgian national register number (RRN) and the BIS number of the
 * Crossroads Bank for Social Security. 11 digits `YYMMDD SSS CC` (docs/wire-facts.md §7).
 *
 * - CC = 97 − (YYMMDDSSS mod 97) for births before 2000, and 97 − (2‖YYMMDDSSS mod 97) for births
 *   from 2000. The two formulas never agree on the same number (2·10⁹ mod 97 = 68 ≠ 0), so the check
 *   digits also tell the century.
 * - BIS numbers: month + 20 (sex unknown when issued) or + 40 (sex known). Same checksum.
 * - Month and/or day are 00 when unknown.
 * - SSS is odd for men and even for women (meaningless for a BIS number issued with month + 20).
 *
 * A 2000+ match whose (earliest possible) birth date lies in the future is rejected: see
 * `checkSsin`. "Today" is the calendar date at UTC+14 (the latest date anywhere on Earth), so a
 * child born today in Belgium is never rejected because of the time zone.
 *
 * Known limitation (verified by the property tests): changing the second year digit by ±6 turns a
 * valid number of one century into a valid number of the other century with the same check digits
 * (6·10⁷ ≡ ±68 mod 97). Such a mutation is rejected only when the other-century birth date is in the
 * future. Every other single-digit error is caught.
 */
import { check97, isDigitsOfLength, stripSeparators } from './check-digits.js';

export type SsinCentury = 1900 | 2000;

export interface SsinBirthDate {
  /** Full year, deduced from the formula that matched the check digits. */
  readonly year: number;
  /** 1–12, or null when unknown (00). */
  readonly month: number | null;
  /** 1–31, or null when unknown (00). */
  readonly day: number | null;
}

export interface SsinInfo {
  /** The 11-digit number. */
  readonly ssin: string;
  /** `true` for a BIS number (month field + 20 or + 40). */
  readonly isBis: boolean;
  /** BIS only: `true` for month + 40 (sex known when issued), `false` for + 20; `null` for a register number. */
  readonly bisSexKnown: boolean | null;
  readonly century: SsinCentury;
  readonly birthDate: SsinBirthDate;
  /** `YYYY-MM-DD` when month and day are both known, else `null`. */
  readonly birthDateIso: string | null;
  /** The SSS sequence number (0–999). */
  readonly sequence: number;
  /** Odd SSS = male, even = female; `null` for a BIS number issued without known sex (month + 20). */
  readonly sexHint: 'male' | 'female' | null;
}

export type SsinRejection =
  /** not 11 digits, month field not in 00–12 / 20–32 / 40–52, or day not in 00–31 */
  | 'BAD_FORMAT'
  /** neither the 1900 nor the 2000 formula gives these check digits */
  | 'BAD_CHECK_DIGIT'
  /** only the 2000 formula matches and it puts the birth in the future */
  | 'FUTURE_BIRTH_DATE'
  /** month and day known but not a calendar date in the matched century (e.g. 30 February) */
  | 'BAD_DATE';

export type SsinCheckResult = { readonly ok: true; readonly info: SsinInfo } | { readonly ok: false; readonly reason: SsinRejection };

/** The two check digits of the 9-digit base `YYMMDDSSS` for the given century. */
export function ssinCheckDigits(base9: string, century: SsinCentury): string {
  if (!isDigitsOfLength(base9, 9)) throw new TypeError(`ssinCheckDigits: base must be 9 digits, got ${JSON.stringify(base9)}`);
  return check97(century === 2000 ? `2${base9}` : base9);
}

/** Full validation of a strict 11-digit SSIN, with the reason of a rejection. */
export function checkSsin(value: string, now: Date = new Date()): SsinCheckResult {
  if (!isDigitsOfLength(value, 11)) return { ok: false, reason: 'BAD_FORMAT' };
  const yy = Number(value.slice(0, 2));
  const mmField = Number(value.slice(2, 4));
  const dd = Number(value.slice(4, 6));
  const sequence = Number(value.slice(6, 9));

  let isBis = false;
  let bisSexKnown: boolean | null = null;
  let month: number;
  if (mmField <= 12) month = mmField;
  else if (mmField >= 20 && mmField <= 32) {
    isBis = true;
    bisSexKnown = false;
    month = mmField - 20;
  } else if (mmField >= 40 && mmField <= 52) {
    isBis = true;
    bisSexKnown = true;
    month = mmField - 40;
  } else return { ok: false, reason: 'BAD_FORMAT' };
  if (dd > 31) return { ok: false, reason: 'BAD_FORMAT' };

  const base = value.slice(0, 9);
  const cc = value.slice(9);
  let century: SsinCentury;
  if (check97(base) === cc) century = 1900;
  else if (check97(`2${base}`) === cc) century = 2000;
  else return { ok: false, reason: 'BAD_CHECK_DIGIT' };

  const year = century + yy;
  if (century === 2000 && isAfterToday(year, month || 1, dd || 1, now)) return { ok: false, reason: 'FUTURE_BIRTH_DATE' };
  if (month !== 0 && dd !== 0 && dd > daysInMonth(year, month)) return { ok: false, reason: 'BAD_DATE' };

  const birthDate: SsinBirthDate = { year, month: month === 0 ? null : month, day: dd === 0 ? null : dd };
  const birthDateIso = month !== 0 && dd !== 0 ? `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(dd).padStart(2, '0')}` : null;
  const sexHint = isBis && !bisSexKnown ? null : sequence % 2 === 1 ? 'male' : 'female';
  return { ok: true, info: { ssin: value, isBis, bisSexKnown, century, birthDate, birthDateIso, sequence, sexHint } };
}

/** Strict: exactly 11 digits (no separators), valid check digits, plausible date. */
export function isValidSsin(value: string, now: Date = new Date()): boolean {
  return checkSsin(value, now).ok;
}

/** Parsed details of a valid strict 11-digit SSIN, or `null`. */
export function parseSsin(value: string, now: Date = new Date()): SsinInfo | null {
  const r = checkSsin(value, now);
  return r.ok ? r.info : null;
}

/** `true` when `value` is a valid SSIN whose month field carries the BIS offset (+20 or +40). */
export function isBisNumber(value: string, now: Date = new Date()): boolean {
  return parseSsin(value, now)?.isBis === true;
}

/**
 * Accepts the usual written forms ('85.07.30-033.28', '850730 033 28', '85073003328') and returns
 * the 11-digit SSIN when it is valid, else `null`. Separators: white space, '.', '-', '/'.
 */
export function normaliseSsin(input: string, now: Date = new Date()): string | null {
  const digits = stripSeparators(input.trim());
  return isValidSsin(digits, now) ? digits : null;
}

/** Whether the date y-m-d is after "today" at UTC+14 (the last time zone to change date). */
function isAfterToday(year: number, month: number, day: number, now: Date): boolean {
  const t = new Date(now.getTime() + 14 * 3600_000);
  const ty = t.getUTCFullYear();
  const tm = t.getUTCMonth() + 1;
  const td = t.getUTCDate();
  if (year !== ty) return year > ty;
  if (month !== tm) return month > tm;
  return day > td;
}

function daysInMonth(year: number, month: number): number {
  // Day 0 of the next month = last day of `month`. Date.UTC maps years 0–99 to 1900+, so set the year explicitly.
  const d = new Date(Date.UTC(2000, 0, 1));
  d.setUTCFullYear(year, month, 0);
  return d.getUTCDate();
}
