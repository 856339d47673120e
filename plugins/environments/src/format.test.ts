import { compactDuration, relativeTime } from './format';

describe('format', () => {
  it('gives short durations in the largest unit that fits', () => {
    expect(compactDuration(0)).toBe('0s');
    expect(compactDuration(45_000)).toBe('45s');
    expect(compactDuration(12 * 60_000 + 5)).toBe('12m');
    expect(compactDuration(3 * 3_600_000)).toBe('3h');
    expect(compactDuration(2 * 86_400_000 + 1)).toBe('2d');
  });

  it('gives relative times in the reader language', () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    expect(relativeTime('2026-11-23T13:00:00Z', now, 'en')).toBe('in 3 hr.');
    expect(relativeTime('2026-11-23T09:55:00Z', now, 'en')).toBe('5 min. ago');
    expect(relativeTime('2026-11-23T13:00:00Z', now, 'zh')).toBe('3小时后');
  });
});
