import zh from './zh';
import { environmentsMessages, flattenMessages } from '../translation';

const placeholders = (s: string) =>
  (s.match(/\{\{\s*\w+\s*\}\}/g) ?? []).sort();

describe('the Chinese translation', () => {
  const en = flattenMessages(environmentsMessages);

  it('translates every message and no other', () => {
    expect(Object.keys(zh).sort()).toEqual(Object.keys(en).sort());
    for (const [key, text] of Object.entries(zh)) {
      expect({ key, empty: text.trim() === '' }).toEqual({ key, empty: false });
    }
  });

  it('keeps every placeholder of the English message', () => {
    for (const key of Object.keys(en)) {
      expect({ key, placeholders: placeholders(zh[key]) }).toEqual({
        key,
        placeholders: placeholders(en[key]),
      });
    }
  });

  it('is Chinese where English has words', () => {
    expect(zh['plugin.title']).toBe('环境');
    const cjk = Object.values(zh).filter(t => /[\u4e00-\u9fff]/.test(t));
    // Names that stay as they are (Pod, IP, {{time}}) are the exception.
    expect(cjk.length / Object.keys(zh).length).toBeGreaterThan(0.9);
  });
});
