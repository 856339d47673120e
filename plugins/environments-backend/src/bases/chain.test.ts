import { addressableServices, resolveFallbacks, walkBases } from './chain';

const envs: Record<
  string,
  {
    id: string;
    name: string;
    namespace: string;
    baseId?: string;
    services: string[];
  }
> = {
  'id-integration': {
    id: 'id-integration',
    name: 'integration',
    namespace: 'env-integration',
    services: ['game', 'global', 'matching'],
  },
  'id-weekly': {
    id: 'id-weekly',
    name: 'weekly',
    namespace: 'env-weekly',
    baseId: 'id-integration',
    services: ['global'],
  },
  'id-loop': {
    id: 'id-loop',
    name: 'loop',
    namespace: 'env-loop',
    baseId: 'id-feat',
    services: [],
  },
};
const get = async (id: string) => envs[id];

describe('the base chain', () => {
  it('answers each service this environment does not run from the nearest base that does', async () => {
    const r = await resolveFallbacks(
      { id: 'id-feat', baseId: 'id-weekly', services: ['game'] },
      get,
    );
    expect(r.chain.map(b => b.name)).toEqual(['weekly', 'integration']);
    expect(r.fallbacks).toEqual([
      { service: 'global', environment: 'weekly', namespace: 'env-weekly' },
      {
        service: 'matching',
        environment: 'integration',
        namespace: 'env-integration',
      },
    ]);
    expect(r.missingBase).toBeUndefined();
  });

  it('stops at a cycle and names a missing base', async () => {
    expect(await walkBases({ id: 'id-feat', baseId: 'id-loop' }, get)).toEqual({
      chain: [envs['id-loop']],
    });
    expect(await walkBases({ id: 'id-feat', baseId: 'id-gone' }, get)).toEqual({
      chain: [],
      missingBase: 'id-gone',
    });
  });

  it("offers only a base's addressable services: its cron and job services are runs, not something to call", () => {
    const base: any = {
      name: 'integration',
      spec: {
        services: [
          { name: 'global' },
          { name: 'daily-reset' },
          { name: 'migrate', kind: 'job' },
        ],
      },
      services: [
        { name: 'global', kind: 'http' },
        { name: 'daily-reset', kind: 'cron' },
        { name: 'migrate', kind: 'job' },
      ],
    };
    expect(addressableServices(base)).toEqual(['global']);
    // Before pinning, kinds come from the spec (http when it names none).
    expect(addressableServices({ ...base, services: undefined })).toEqual([
      'global',
      'daily-reset',
    ]);
  });
});
