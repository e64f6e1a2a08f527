import fc from 'fast-check';
import { check97, hasValidCheck97, isDigitsOfLength, mod97, stripSeparators } from './check-digits.js';

describe('97 − (N mod 97)', () => {
  test.each([
    ['850730033', '28'],
    ['2040318002', '77'],
    ['000000000', '97'],
    ['08205634', '81'],
    ['710898', '15'],
    ['123456', '25'],
    ['19900019', '16'],
  ])('check97(%s) = %s', (base, check) => {
    expect(check97(base)).toBe(check);
  });

  test('agrees with BigInt arithmetic for long digit strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 40 }), (digits) => {
        expect(mod97(digits)).toBe(Number(BigInt(digits) % 97n));
        const c = Number(check97(digits));
        expect(c).toBeGreaterThanOrEqual(1);
        expect(c).toBeLessThanOrEqual(97);
        expect((Number(BigInt(digits) % 97n) + c) % 97).toBe(0);
      }),
    );
  });

  test('rejects non-digits', () => {
    expect(() => mod97('12a')).toThrow(TypeError);
    expect(() => mod97('')).toThrow(TypeError);
  });

  test('hasValidCheck97 requires the exact length', () => {
    expect(hasValidCheck97('0820563481', 8)).toBe(true);
    expect(hasValidCheck97('08205634810', 8)).toBe(false);
    expect(hasValidCheck97('0820563482', 8)).toBe(false);
  });

  test('isDigitsOfLength / stripSeparators', () => {
    expect(isDigitsOfLength('0123', 4)).toBe(true);
    expect(isDigitsOfLength('0123', 5)).toBe(false);
    expect(isDigitsOfLength('01 3', 4)).toBe(false);
    expect(stripSeparators(' 85.07.30-033/28\t')).toBe('85073003328');
  });
});
