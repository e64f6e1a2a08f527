import fc from 'fast-check';
import { checkSsin, isBisNumber, isValidSsin, normaliseSsin, parseSsin, ssinCheckDigits, type SsinCentury } from './ssin.js';

const NOW = new Date('2025-06-15T12:00:00Z');

/** Builds a full SSIN from its parts, computing the check digits for the century. */
function makeSsin(yy: number, mmField: number, dd: number, seq: number, century: SsinCentury): string {
  const base = `${String(yy).padStart(2, '0')}${String(mmField).padStart(2, '0')}${String(dd).padStart(2, '0')}${String(seq).padStart(3, '0')}`;
  return base + ssinCheckDigits(base, century);
}

function daysIn(year: number, month: number): number {
  return [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

describe('SSIN worked examples (wire facts §7)', () => {
  test('85073003328 is valid, born 1985-07-30, male', () => {
    expect(checkSsin('85073003328', NOW)).toEqual({
      ok: true,
      info: {
        ssin: '85073003328',
        isBis: false,
        bisSexKnown: null,
        century: 1900,
        birthDate: { year: 1985, month: 7, day: 30 },
        birthDateIso: '1985-07-30',
        sequence: 33,
        sexHint: 'male',
      },
    });
  });

  test('04031800277 is valid only with the 2000+ formula (born 2004-03-18, female)', () => {
    expect(ssinCheckDigits('040318002', 1900)).toBe('48');
    expect(ssinCheckDigits('040318002', 2000)).toBe('77');
    const info = parseSsin('04031800277', NOW);
    expect(info).not.toBeNull();
    expect(info!.century).toBe(2000);
    expect(info!.birthDateIso).toBe('2004-03-18');
    expect(info!.sexHint).toBe('female');
    // The same base with the 1900 check digits is a different, valid number: someone born 1904-03-18.
    expect(parseSsin('04031800248', NOW)!.birthDateIso).toBe('1904-03-18');
  });

  test('00000000097: base mod 97 = 0 gives check 97 (never 00)', () => {
    expect(ssinCheckDigits('000000000', 1900)).toBe('97');
    const info = parseSsin('00000000097', NOW)!;
    expect(info.century).toBe(1900);
    expect(info.birthDate).toEqual({ year: 1900, month: null, day: null });
    expect(info.birthDateIso).toBeNull();
    expect(isValidSsin('00000000000', NOW)).toBe(false);
  });

  test('BIS number 85473003317 (month + 40: sex known)', () => {
    expect(ssinCheckDigits('854730033', 1900)).toBe('17');
    const info = parseSsin('85473003317', NOW)!;
    expect(info.isBis).toBe(true);
    expect(info.bisSexKnown).toBe(true);
    expect(info.birthDate).toEqual({ year: 1985, month: 7, day: 30 });
    expect(info.sexHint).toBe('male');
    expect(isBisNumber('85473003317', NOW)).toBe(true);
    expect(isBisNumber('85073003328', NOW)).toBe(false);
  });

  test.each([
    ['85073003329', 'check digit changed'],
    ['85073103328', 'day digit changed'],
    ['04031800278', 'check digit changed (2000+)'],
    ['04031900277', 'day digit changed (2000+)'],
    ['00000000087', 'check digit changed'],
    ['00000010097', 'sequence digit changed'],
    ['85473003318', 'BIS check digit changed'],
    ['85473103317', 'BIS day digit changed'],
  ])('%s is rejected (%s)', (value) => {
    expect(checkSsin(value, NOW)).toEqual({ ok: false, reason: 'BAD_CHECK_DIGIT' });
    expect(normaliseSsin(value, NOW)).toBeNull();
  });
});

describe('SSIN structure', () => {
  test('BIS number with month + 20: sex unknown, no sex hint', () => {
    const v = makeSsin(85, 27, 30, 33, 1900);
    const info = parseSsin(v, NOW)!;
    expect(info.isBis).toBe(true);
    expect(info.bisSexKnown).toBe(false);
    expect(info.birthDate).toEqual({ year: 1985, month: 7, day: 30 });
    expect(info.sexHint).toBeNull();
  });

  test('BIS number with unknown month and day (month field 20/40, day 00)', () => {
    expect(parseSsin(makeSsin(70, 20, 0, 12, 1900), NOW)!.birthDate).toEqual({ year: 1970, month: null, day: null });
    expect(parseSsin(makeSsin(70, 40, 0, 12, 1900), NOW)!.sexHint).toBe('female');
  });

  test('sex hint follows the parity of SSS', () => {
    expect(parseSsin(makeSsin(90, 1, 1, 1, 1900), NOW)!.sexHint).toBe('male');
    expect(parseSsin(makeSsin(90, 1, 1, 2, 1900), NOW)!.sexHint).toBe('female');
  });

  test('month known, day unknown', () => {
    const info = parseSsin(makeSsin(90, 5, 0, 1, 1900), NOW)!;
    expect(info.birthDate).toEqual({ year: 1990, month: 5, day: null });
    expect(info.birthDateIso).toBeNull();
  });

  test.each([
    [makeSsin(85, 13, 1, 1, 1900), 'month 13'],
    [makeSsin(85, 19, 1, 1, 1900), 'month field 19'],
    [makeSsin(85, 33, 1, 1, 1900), 'month field 33'],
    [makeSsin(85, 39, 1, 1, 1900), 'month field 39'],
    [makeSsin(85, 53, 1, 1, 1900), 'month field 53'],
    [makeSsin(85, 1, 32, 1, 1900), 'day 32'],
    ['8507300332', '10 digits'],
    ['850730033280', '12 digits'],
    ['85.07.30-033.28', 'separators (strict)'],
    ['8507300332a', 'letter'],
    ['', 'empty'],
  ])('BAD_FORMAT: %s (%s)', (value) => {
    expect(checkSsin(value, NOW)).toEqual({ ok: false, reason: 'BAD_FORMAT' });
  });

  test('calendar dates are checked in the century given by the check digits', () => {
    expect(checkSsin(makeSsin(85, 2, 30, 1, 1900), NOW)).toEqual({ ok: false, reason: 'BAD_DATE' });
    expect(checkSsin(makeSsin(85, 4, 31, 1, 1900), NOW)).toEqual({ ok: false, reason: 'BAD_DATE' });
    // 1900 is not a leap year, 2000 is.
    expect(checkSsin(makeSsin(0, 2, 29, 1, 1900), NOW)).toEqual({ ok: false, reason: 'BAD_DATE' });
    expect(parseSsin(makeSsin(0, 2, 29, 1, 2000), NOW)!.birthDateIso).toBe('2000-02-29');
    expect(parseSsin(makeSsin(84, 2, 29, 1, 1900), NOW)!.birthDateIso).toBe('1984-02-29');
    // BIS month offsets are removed before the calendar check.
    expect(checkSsin(makeSsin(85, 42, 30, 1, 1900), NOW)).toEqual({ ok: false, reason: 'BAD_DATE' });
  });
});

describe('SSIN: births from 2000 in the future are rejected', () => {
  // NOW = 2025-06-15T12:00Z; at UTC+14 it is already 2025-06-16.
  test('a 2030 birth is rejected now and accepted once 2030 has come', () => {
    const v = makeSsin(30, 1, 1, 1, 2000);
    expect(checkSsin(v, NOW)).toEqual({ ok: false, reason: 'FUTURE_BIRTH_DATE' });
    expect(parseSsin(v, new Date('2031-01-01T00:00:00Z'))!.birthDateIso).toBe('2030-01-01');
  });

  test('the same base with the 1900 check digits is a valid 1930 birth', () => {
    expect(parseSsin(makeSsin(30, 1, 1, 1, 1900), NOW)!.birthDateIso).toBe('1930-01-01');
  });

  test('boundary: "today" is the date at UTC+14', () => {
    expect(isValidSsin(makeSsin(25, 6, 16, 1, 2000), NOW)).toBe(true);
    expect(checkSsin(makeSsin(25, 6, 17, 1, 2000), NOW)).toEqual({ ok: false, reason: 'FUTURE_BIRTH_DATE' });
    expect(checkSsin(makeSsin(25, 7, 1, 1, 2000), NOW)).toEqual({ ok: false, reason: 'FUTURE_BIRTH_DATE' });
  });

  test('unknown month/day: rejected only if even the earliest possible date is in the future', () => {
    expect(isValidSsin(makeSsin(25, 0, 0, 1, 2000), NOW)).toBe(true);
    expect(isValidSsin(makeSsin(25, 6, 0, 1, 2000), NOW)).toBe(true);
    expect(checkSsin(makeSsin(25, 7, 0, 1, 2000), NOW)).toEqual({ ok: false, reason: 'FUTURE_BIRTH_DATE' });
    expect(checkSsin(makeSsin(26, 0, 0, 1, 2000), NOW)).toEqual({ ok: false, reason: 'FUTURE_BIRTH_DATE' });
    expect(checkSsin(makeSsin(26, 20, 0, 1, 2000), NOW)).toEqual({ ok: false, reason: 'FUTURE_BIRTH_DATE' });
  });

  test('the default reference time is the current time', () => {
    const nextYear = (new Date().getUTCFullYear() + 1) % 100;
    expect(isValidSsin(makeSsin(nextYear, 1, 1, 1, 2000))).toBe(false);
    expect(isValidSsin('04031800277')).toBe(true);
  });
});

describe('normaliseSsin', () => {
  test.each([
    ['85.07.30-033.28', '85073003328'],
    ['85 07 30 033 28', '85073003328'],
    [' 850730-033-28 ', '85073003328'],
    ['850730/033.28', '85073003328'],
    ['85073003328', '85073003328'],
    ['85.47.30-033.17', '85473003317'],
  ])('%j → %s', (input, expected) => {
    expect(normaliseSsin(input, NOW)).toBe(expected);
  });

  test.each(['85.07.30-033.29', '85,07,30,033,28', 'SSIN 85073003328', '8507300332', ''])('%j → null', (input) => {
    expect(normaliseSsin(input, NOW)).toBeNull();
  });
});

// ------------------------------------------------------------------------------------------------
// Properties

interface Generated {
  ssin: string;
  century: SsinCentury;
  year: number;
  month: number; // 0 = unknown
  day: number; // 0 = unknown
  offset: 0 | 20 | 40;
  seq: number;
}

const validSsinArb: fc.Arbitrary<Generated> = fc
  .record({
    century: fc.constantFrom<SsinCentury>(1900, 2000),
    yy: fc.integer({ min: 0, max: 99 }),
    month: fc.integer({ min: 0, max: 12 }),
    dayPick: fc.integer({ min: 0, max: 31 }),
    offset: fc.constantFrom<0 | 20 | 40>(0, 20, 40),
    seq: fc.integer({ min: 0, max: 999 }),
  })
  .map(({ century, yy, month, dayPick, offset, seq }) => {
    // keep 2000+ births before NOW (2025-06-15)
    const y = century === 2000 ? yy % 25 : yy;
    const year = century + y;
    const day = month === 0 ? dayPick : dayPick % (daysIn(year, month) + 1);
    return { ssin: makeSsin(y, month + offset, day, seq, century), century, year, month, day, offset, seq };
  });

function mutations(value: string): Array<{ index: number; from: number; to: number; mutated: string }> {
  const out = [];
  for (let index = 0; index < value.length; index++) {
    const from = Number(value[index]);
    for (let to = 0; to <= 9; to++) {
      if (to !== from) out.push({ index, from, to, mutated: value.slice(0, index) + String(to) + value.slice(index + 1) });
    }
  }
  return out;
}

describe('SSIN properties', () => {
  test('generated valid numbers are accepted and parse back to their parts', () => {
    fc.assert(
      fc.property(validSsinArb, (g) => {
        const info = parseSsin(g.ssin, NOW);
        expect(info).not.toBeNull();
        expect(info!.century).toBe(g.century);
        expect(info!.birthDate).toEqual({ year: g.year, month: g.month || null, day: g.day || null });
        expect(info!.isBis).toBe(g.offset !== 0);
        expect(info!.sequence).toBe(g.seq);
        expect(info!.sexHint).toBe(g.offset === 20 ? null : g.seq % 2 === 1 ? 'male' : 'female');
      }),
      { numRuns: 500 },
    );
  });

  test('within one century formula, every single-digit change breaks the check digits', () => {
    fc.assert(
      fc.property(validSsinArb, (g) => {
        for (const m of mutations(g.ssin)) {
          expect(ssinCheckDigits(m.mutated.slice(0, 9), g.century)).not.toBe(m.mutated.slice(9));
        }
      }),
      { numRuns: 200 },
    );
  });

  test('every single-digit change is rejected, except "second year digit ±6", which swaps the century', () => {
    // 6·10^7 ≡ ∓68 (mod 97) and 2·10^9 ≡ 68 (mod 97): that one mutation moves a number to the other formula.
    fc.assert(
      fc.property(validSsinArb, (g) => {
        for (const m of mutations(g.ssin)) {
          const r = checkSsin(m.mutated, NOW);
          if (!r.ok) continue;
          expect(m.index).toBe(1);
          expect(m.to - m.from).toBe(g.century === 1900 ? -6 : 6);
          expect(r.info.century).not.toBe(g.century);
        }
      }),
      { numRuns: 500 },
    );
  });

  test('the century-swap mutation exists (documented limitation)', () => {
    const original = makeSsin(26, 1, 15, 11, 1900); // born 1926
    const mutated = `${original[0]}0${original.slice(2)}`; // second year digit 6 → 0
    expect(parseSsin(mutated, NOW)!.birthDateIso).toBe('2020-01-15');
    // …but when the other-century date is in the future it is caught.
    const late = makeSsin(96, 1, 15, 11, 1900); // 1996 → 2090
    expect(checkSsin(`${late[0]}0${late.slice(2)}`, NOW)).toEqual({ ok: false, reason: 'FUTURE_BIRTH_DATE' });
  });

  test('normaliseSsin accepts any separator layout of a valid number', () => {
    fc.assert(
      fc.property(validSsinArb, fc.array(fc.constantFrom('', ' ', '.', '-', '/', ' - '), { minLength: 12, maxLength: 12 }), (g, seps) => {
        const written = Array.from(g.ssin, (d, k) => seps[k] + d).join('') + seps[11];
        expect(normaliseSsin(written, NOW)).toBe(g.ssin);
      }),
    );
  });
});
