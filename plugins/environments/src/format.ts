/*
 * Pure formatting helpers: durations, relative times and version lists. No React, no I/O.
 */

const UNITS: Array<[Intl.RelativeTimeFormatUnit, number, string]> = [
  ['day', 86_400_000, 'd'],
  ['hour', 3_600_000, 'h'],
  ['minute', 60_000, 'm'],
  ['second', 1000, 's'],
];

/** A short, language-neutral duration: 45s, 12m, 3h, 2d (the largest unit that fits). */
export function compactDuration(ms: number): string {
  const abs = Math.max(0, Math.abs(ms));
  for (const [, size, suffix] of UNITS) {
    if (abs >= size) return `${Math.floor(abs / size)}${suffix}`;
  }
  return '0s';
}

/** A relative time in the reader's language: "in 3 hr", "5 min ago", "3小时后". */
export function relativeTime(
  date: Date | string,
  now: number,
  language = 'en',
): string {
  const ms = new Date(date).getTime() - now;
  const abs = Math.abs(ms);
  const format = new Intl.RelativeTimeFormat(language, {
    numeric: 'auto',
    style: 'short',
  });
  for (const [unit, size] of UNITS) {
    if (abs >= size || unit === 'second')
      return format.format(Math.round(ms / size), unit);
  }
  return format.format(0, 'second');
}

/** An absolute date and time in the reader's language. */
export function dateTime(date: Date | string, language = 'en'): string {
  return new Intl.DateTimeFormat(language, {
    dateStyle: 'medium',
    timeStyle: 'medium',
  }).format(new Date(date));
}
