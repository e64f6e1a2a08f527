import { addMonths } from './clock.js';

const plus = (from: string, months: number): string => addMonths(new Date(from), months).toISOString();

describe('addMonths', () => {
  it.each([
    // Day kept when the target month has it, time of day kept.
    ['2025-03-10T09:30:00.000Z', 36, '2028-03-10T09:30:00.000Z'],
    ['2025-11-15T23:59:59.000Z', 2, '2026-01-15T23:59:59.000Z'],
    ['2025-06-30T12:00:00.000Z', 0, '2025-06-30T12:00:00.000Z'],
    // End of month: clamped to the target month's last day, never rolled over into the next month.
    ['2025-01-31T10:00:00.000Z', 1, '2025-02-28T10:00:00.000Z'],
    ['2025-03-31T10:00:00.000Z', 1, '2025-04-30T10:00:00.000Z'],
    ['2025-08-31T00:00:00.000Z', 1, '2025-09-30T00:00:00.000Z'],
    ['2025-12-31T10:00:00.000Z', 2, '2026-02-28T10:00:00.000Z'],
    ['2025-01-30T10:00:00.000Z', 1, '2025-02-28T10:00:00.000Z'],
    // Leap years: 29 February exists in 2024 and 2028, not in 2025, 2100; it does in 2000.
    ['2024-01-31T10:00:00.000Z', 1, '2024-02-29T10:00:00.000Z'],
    ['2024-02-29T00:00:00.000Z', 12, '2025-02-28T00:00:00.000Z'],
    ['2024-02-29T00:00:00.000Z', 48, '2028-02-29T00:00:00.000Z'],
    ['2027-02-28T08:00:00.000Z', 12, '2028-02-28T08:00:00.000Z'],
    ['2099-01-31T00:00:00.000Z', 13, '2100-02-28T00:00:00.000Z'],
    ['1999-12-31T00:00:00.000Z', 2, '2000-02-29T00:00:00.000Z'],
    // Backwards (the replacement window: notAfter − 3 months), across year boundaries.
    ['2025-05-31T12:00:00.000Z', -3, '2025-02-28T12:00:00.000Z'],
    ['2024-05-31T12:00:00.000Z', -3, '2024-02-29T12:00:00.000Z'],
    ['2026-01-31T12:00:00.000Z', -3, '2025-10-31T12:00:00.000Z'],
    ['2026-02-28T12:00:00.000Z', -3, '2025-11-28T12:00:00.000Z'],
    ['2025-03-31T00:00:00.000Z', -1, '2025-02-28T00:00:00.000Z'],
    ['2025-02-15T00:00:00.000Z', -14, '2023-12-15T00:00:00.000Z'],
  ])('%s %i months = %s', (from, months, to) => {
    expect(plus(from, months)).toBe(to);
  });

  it('12 and 36 months keep the day of month; being the last day of a month is not kept (as in Java)', () => {
    for (let month = 0; month < 12; month++) {
      const last = new Date(Date.UTC(2025, month + 1, 0, 14, 30));
      for (const months of [12, 36]) {
        const end = addMonths(last, months);
        expect([end.getUTCFullYear(), end.getUTCMonth(), end.getUTCDate(), end.getUTCHours()]).toEqual([2025 + months / 12, month, last.getUTCDate(), 14]);
      }
    }
    expect(plus('2025-02-28T00:00:00.000Z', 36)).toBe('2028-02-28T00:00:00.000Z');
  });

  it('does not change its argument and refuses fractional months', () => {
    const date = new Date('2025-01-31T00:00:00.000Z');
    addMonths(date, 1);
    expect(date.toISOString()).toBe('2025-01-31T00:00:00.000Z');
    expect(() => addMonths(date, 1.5)).toThrow(RangeError);
  });
});
