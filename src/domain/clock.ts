/** Injected wherever time matters, so tests can move it (replacement windows, expiries, freshness). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export class FixedClock implements Clock {
  constructor(private current: Date) {}
  now(): Date {
    return new Date(this.current.getTime());
  }
  set(date: Date): void {
    this.current = new Date(date.getTime());
  }
  advance(milliseconds: number): void {
    this.current = new Date(this.current.getTime() + milliseconds);
  }
}

/**
 * Calendar-month arithmetic in UTC, with the end-of-month rule of Java's `LocalDate.plusMonths` and
 * `Calendar.add(MONTH, n)`: the month moves by `months` (negative goes back), the day of month is kept when the target
 * month has it and otherwise clamped to that month's last day (never rolled into the next month), and the time of day
 * is kept. So 31 January + 1 month = 28 February (29 in a leap year), 29 February 2024 + 12 months = 28 February 2025,
 * 31 May − 3 months = 28/29 February. Certificate lifetimes (notAfter = start + 12 or 36 months) and the replacement
 * window (notAfter − 3 months) are computed with it.
 */
export function addMonths(date: Date, months: number): Date {
  if (!Number.isInteger(months)) throw new RangeError(`addMonths: months must be an integer, got ${months}`);
  const monthIndex = date.getUTCMonth() + months;
  const year = date.getUTCFullYear() + Math.floor(monthIndex / 12);
  const month = ((monthIndex % 12) + 12) % 12;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  const result = new Date(date.getTime());
  result.setUTCFullYear(year, month, Math.min(date.getUTCDate(), lastDay));
  return result;
}
