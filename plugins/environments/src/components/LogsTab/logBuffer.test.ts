import fc from 'fast-check';
import { LogBuffer } from './logBuffer';

describe('LogBuffer', () => {
  it('keeps everything under the limit', () => {
    const b = new LogBuffer(3).append('a\nb\n').append('c');
    expect(b.text).toBe('a\nb\nc');
    expect(b.dropped).toBe(false);
  });

  it('drops the oldest lines at a line boundary', () => {
    const b = new LogBuffer(2).append('a\nb\nc\n').append('d\n');
    expect(b.text).toBe('c\nd\n');
    expect(b.dropped).toBe(true);
  });

  it('equals the last lines of the whole text, however the text was chunked', () => {
    fc.assert(
      fc.property(
        fc.array(fc.stringMatching(/^[a-c\n]{0,12}$/), { maxLength: 30 }),
        fc.integer({ min: 1, max: 8 }),
        (chunks, max) => {
          const b = new LogBuffer(max);
          for (const c of chunks) b.append(c);
          const whole = chunks.join('');
          const lines = whole.split('\n');
          const kept =
            lines.length - 1 <= max
              ? whole
              : lines.slice(lines.length - 1 - max).join('\n');
          expect(b.text).toBe(kept);
        },
      ),
    );
  });
});
