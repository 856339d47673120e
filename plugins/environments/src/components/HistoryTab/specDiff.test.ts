import { specDiff, specYaml } from './specDiff';

describe('specDiff', () => {
  const spec = (version: string, extra: object = {}) => ({
    name: 'feature-login',
    owner: 'group:default/backend',
    purpose: 'feature',
    services: [{ name: 'game', version }],
    ...extra,
  });

  it('marks the changed lines of two specs and keeps the rest', () => {
    const lines = specDiff(spec('20211001'), spec('20211101'));
    expect(lines.filter(l => l.kind === 'removed').map(l => l.text)).toEqual([
      '    version: "20211001"',
    ]);
    expect(lines.filter(l => l.kind === 'added').map(l => l.text)).toEqual([
      '    version: "20211101"',
    ]);
    expect(lines.filter(l => l.kind === 'same').map(l => l.text)).toContain(
      'name: feature-login',
    );
  });

  it('sees no change when only key order differs', () => {
    const a = spec('1.0.0', { ttl: '1d', base: 'integration' });
    const b = {
      base: 'integration',
      ttl: '1d',
      ...spec('1.0.0'),
    };
    expect(specDiff(a, b).every(l => l.kind === 'same')).toBe(true);
    expect(specYaml(a)).toBe(specYaml(b));
  });
});
