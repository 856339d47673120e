import { extendedExpiry, initialExpiry } from './ttl';

const now = new Date('2026-12-01T00:00:00Z');
const feature = { defaultTtlSeconds: 3 * 86400, maxTtlSeconds: 14 * 86400 };

describe('TTL arithmetic', () => {
  it("uses the spec's ttl, else its expiresAt, else the purpose's default", () => {
    expect(
      initialExpiry({ purpose: 'feature', ttl: '8h' }, feature, now).expiresAt,
    ).toEqual(new Date('2026-12-01T08:00:00Z'));
    expect(
      initialExpiry(
        { purpose: 'feature', expiresAt: '2026-12-05T00:00:00Z' },
        feature,
        now,
      ).expiresAt,
    ).toEqual(new Date('2026-12-05T00:00:00Z'));
    expect(
      initialExpiry({ purpose: 'feature' }, feature, now).expiresAt,
    ).toEqual(new Date('2026-12-04T00:00:00Z'));
    expect(initialExpiry({ purpose: 'integration' }, {}, now)).toEqual({
      expiresAt: undefined,
    });
  });

  it('refuses a lifetime in the past or over the maximum, naming the field', () => {
    expect(
      initialExpiry(
        { purpose: 'feature', expiresAt: '2026-11-30T00:00:00Z' },
        feature,
        now,
      ).error,
    ).toEqual({ path: 'expiresAt', message: 'must be in the future' });
    expect(
      initialExpiry({ purpose: 'feature', ttl: '3w' }, feature, now).error,
    ).toEqual({
      path: 'ttl',
      message: 'is longer than the 14d allowed for feature environments',
    });
  });

  it('extends from the current expiry, up to the maximum counted from now', () => {
    const at = new Date('2026-12-02T00:00:00Z');
    expect(extendedExpiry(at, '2d', feature, now)).toEqual(
      new Date('2026-12-04T00:00:00Z'),
    );
    expect(extendedExpiry(undefined, '1d', feature, now)).toEqual(
      new Date('2026-12-02T00:00:00Z'),
    );
    expect(extendedExpiry(at, '30d', feature, now)).toEqual(
      new Date('2026-12-15T00:00:00Z'),
    );
  });
});
