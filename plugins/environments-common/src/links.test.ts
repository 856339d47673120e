import fc from 'fast-check';
import {
  ENVIRONMENT_TABS,
  environmentPath,
  environmentUrl,
  environmentsListPath,
} from './links';

describe('deep links', () => {
  it('keeps the shapes that team docs link to', () => {
    expect(environmentsListPath()).toBe('/environments');
    expect(environmentPath('feature-login')).toBe(
      '/environments/feature-login',
    );
    expect(environmentPath('feature-login', 'topology')).toBe(
      '/environments/feature-login',
    );
    expect(environmentPath('feature-login', 'pods', { service: 'game' })).toBe(
      '/environments/feature-login/pods?service=game',
    );
    expect(
      environmentPath('feature-login', 'logs', {
        pod: 'game-0',
        container: 'game',
        since: '10m',
      }),
    ).toBe(
      '/environments/feature-login/logs?pod=game-0&container=game&since=10m',
    );
    expect(
      environmentPath('feature-login', 'logs', {
        sinceTime: '2026-11-23T10:00:00.000Z',
        pod: 'game-0',
      }),
    ).toBe(
      '/environments/feature-login/logs?pod=game-0&sinceTime=2026-11-23T10%3A00%3A00.000Z',
    );
    expect(environmentPath('integration', 'history', { from: 2, to: 3 })).toBe(
      '/environments/integration/history?from=2&to=3',
    );
    expect(environmentPath('integration', 'events')).toBe(
      '/environments/integration/events',
    );
    expect(environmentPath('feature-login', 'config')).toBe(
      '/environments/feature-login/config',
    );
    expect(environmentPath('integration', 'registry', { service: '' })).toBe(
      '/environments/integration/registry',
    );
  });

  it('makes absolute links from a base URL with or without a trailing slash', () => {
    expect(environmentUrl('http://portal/', 'a')).toBe(
      'http://portal/environments/a',
    );
    expect(environmentUrl('http://portal', 'a', 'pods')).toBe(
      'http://portal/environments/a/pods',
    );
  });

  it('round-trips every name, tab and query through a URL parser', () => {
    fc.assert(
      fc.property(
        // Any name but the dot segments "." and "..", which every URL parser resolves away;
        // environment names are DNS labels, so neither can occur.
        fc
          .string({ minLength: 1, maxLength: 40 })
          .filter(n => n !== '.' && n !== '..'),
        fc.constantFrom(...ENVIRONMENT_TABS),
        fc.record(
          {
            service: fc.string({ minLength: 1 }),
            pod: fc.string({ minLength: 1 }),
            container: fc.string({ minLength: 1 }),
            since: fc.string({ minLength: 1 }),
            from: fc.nat(),
          },
          { requiredKeys: [] },
        ),
        (name, tab, query) => {
          const url = new URL(
            environmentPath(name, tab, query),
            'http://portal',
          );
          const segments = url.pathname.split('/').slice(1);
          expect(segments[0]).toBe('environments');
          expect(decodeURIComponent(segments[1])).toBe(name);
          expect(segments[2]).toBe(tab === 'topology' ? undefined : tab);
          expect(Object.fromEntries(url.searchParams)).toEqual(
            Object.fromEntries(
              Object.entries(query).map(([k, v]) => [k, String(v)]),
            ),
          );
        },
      ),
    );
  });
});
