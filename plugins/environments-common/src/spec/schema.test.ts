import fc from 'fast-check';
import {
  environmentSpecSchema,
  operationRequestSchema,
  resolveServices,
  validateEnvironmentSpec,
  validateServiceDefinition,
  ServiceDefinition,
} from '..';

const seed000Request = {
  name: 'kouzan',
  owner: 'group:default/jap-backend',
  purpose: 'feature',
  services: [
    { name: 'game', version: '20210422' },
    { name: 'global', version: '20210422' },
  ],
};

const definitions: Record<string, ServiceDefinition> = {
  'component:default/game': {
    image: 'registry.local/jap/game',
    kind: 'socket',
    ports: [{ name: 'game', port: 10001 }],
  },
  'component:default/global': {
    image: 'registry.local/jap/global',
    kind: 'backend',
    defaultVersion: '20210401',
  },
};

describe('environment spec', () => {
  it('accepts a request as short as seed 000 and resolves it against service definitions', () => {
    const result = validateEnvironmentSpec(seed000Request);
    expect(result.success).toBe(true);
    if (!result.success) throw new Error('unreachable');
    const resolved = resolveServices(result.value, ref => definitions[ref]);
    expect(resolved).toMatchObject({
      success: true,
      value: [
        {
          name: 'game',
          kind: 'socket',
          image: 'registry.local/jap/game:20210422',
          version: '20210422',
          replicas: 1,
        },
        {
          name: 'global',
          kind: 'backend',
          image: 'registry.local/jap/global:20210422',
        },
      ],
    });
  });

  it('names the field of every error', () => {
    const result = validateEnvironmentSpec({
      name: 'Feat_Login',
      owner: 'nobody!',
      purpose: 'fun',
      ttl: '3 days',
      services: [
        {
          name: 'game',
          version: '',
          replicas: 99,
          ports: [{ name: 'g', port: 70000 }],
        },
        {
          name: 'game',
          image: 'NOT AN IMAGE',
          resources: { requests: { cpu: '900', memory: '2Tb' } },
        },
      ],
    });
    expect(result.success).toBe(false);
    if (result.success) throw new Error('unreachable');
    const paths = result.errors.map(e => e.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        'name',
        'owner',
        'purpose',
        'ttl',
        'services[0].version',
        'services[0].replicas',
        'services[0].ports[0].port',
        'services[1].image',
        'services[1].resources.requests.cpu',
        'services[1].resources.requests.memory',
      ]),
    );
    expect(result.errors.find(e => e.path === 'name')?.message).toMatch(
      /DNS-1123/,
    );
    expect(result.errors.find(e => e.path === 'ttl')?.message).toMatch(
      /duration/,
    );
  });

  it('reports duplicates, unknown dependencies and unknown fields by path', () => {
    const result = validateEnvironmentSpec({
      ...seed000Request,
      colour: 'blue',
      services: [
        { name: 'game', version: '1', dependsOn: ['matching'] },
        { name: 'game', version: '2' },
      ],
    });
    expect(result.success).toBe(false);
    if (result.success) throw new Error('unreachable');
    expect(result.errors).toEqual(
      expect.arrayContaining([
        { path: '(root)', message: 'has unknown field(s): colour' },
        expect.objectContaining({
          path: 'services[1].name',
          message: expect.stringMatching(/duplicates/),
        }),
        expect.objectContaining({
          path: 'services[0].dependsOn[0]',
          message: expect.stringMatching(/no base/),
        }),
      ]),
    );
  });

  it('lets a feature environment depend on services its base runs', () => {
    const result = validateEnvironmentSpec({
      ...seed000Request,
      base: 'integration',
      services: [{ name: 'game', version: '1', dependsOn: ['matching'] }],
    });
    expect(result.success).toBe(true);
  });

  it('explains what is missing after merging with definitions', () => {
    const spec = environmentSpecSchema.parse({
      ...seed000Request,
      services: [
        { name: 'unknown' },
        { name: 'game' },
        { name: 'ticker', image: 'r.local/t:1', kind: 'cron' },
      ],
    });
    const resolved = resolveServices(spec, ref => definitions[ref]);
    expect(resolved.success).toBe(false);
    if (resolved.success) throw new Error('unreachable');
    expect(resolved.errors).toEqual([
      {
        path: 'services[0]',
        message: expect.stringMatching(/no service definition/),
      },
      {
        path: 'services[1].version',
        message: expect.stringMatching(/no defaultVersion/),
      },
      {
        path: 'services[2].schedule',
        message: 'is required for a cron service',
      },
    ]);
  });

  it('validates service definitions with a root path', () => {
    const result = validateServiceDefinition(
      { image: 'r.local/x:1', kind: 'web' },
      'definition',
    );
    expect(result.success).toBe(false);
    if (result.success) throw new Error('unreachable');
    expect(result.errors.map(e => e.path).sort()).toEqual([
      'definition.image',
      'definition.kind',
    ]);
  });

  it('rejects ttl together with expiresAt, and a base equal to the name', () => {
    const result = validateEnvironmentSpec({
      ...seed000Request,
      base: 'kouzan',
      ttl: '8h',
      expiresAt: '2030-01-01T00:00:00Z',
    });
    expect(result.success).toBe(false);
    if (result.success) throw new Error('unreachable');
    expect(result.errors.map(e => e.path).sort()).toEqual([
      'base',
      'expiresAt',
    ]);
  });

  it('takes cluster names as configured (seed 000 names its cluster Kouzan)', () => {
    for (const cluster of ['Kouzan', 'local', 'prod.eu-west_1'])
      expect(
        validateEnvironmentSpec({ ...seed000Request, cluster }).success,
      ).toBe(true);
    for (const cluster of ['', 'a b', 'a/b']) {
      const result = validateEnvironmentSpec({ ...seed000Request, cluster });
      expect(result.success ? [] : result.errors).toEqual([
        {
          path: 'cluster',
          message: 'must be the name of a configured cluster',
        },
      ]);
    }
  });

  it('says a field left out is required, and refuses a service named twice in a control', () => {
    const missing = validateEnvironmentSpec({
      owner: 'group:default/backend',
      purpose: 'feature',
      services: [{ name: 'game' }],
    });
    expect(missing.success ? [] : missing.errors).toEqual([
      { path: 'name', message: 'is required' },
    ]);
    const twice = operationRequestSchema.safeParse({
      type: 'restart',
      services: ['game', 'lobby', 'game'],
    });
    expect(twice.success).toBe(false);
    expect(twice.error?.issues.map(i => [i.path, i.message])).toEqual([
      [['services', 2], 'duplicates services[0] "game"'],
    ]);
  });

  it('validates operation requests', () => {
    expect(
      operationRequestSchema.safeParse({
        type: 'deploy',
        services: [{ name: 'game', version: '2' }],
      }).success,
    ).toBe(true);
    expect(
      operationRequestSchema.safeParse({
        type: 'deploy',
        services: [{ name: 'game' }],
      }).success,
    ).toBe(false);
    expect(
      operationRequestSchema.safeParse({ type: 'rollback', revision: 0 })
        .success,
    ).toBe(false);
    expect(operationRequestSchema.safeParse({ type: 'explode' }).success).toBe(
      false,
    );
  });

  it('never accepts a name that is not a DNS label, whatever the input', () => {
    const mismatches: string[] = [];
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), name => {
        const ok = validateEnvironmentSpec({ ...seed000Request, name }).success;
        const isLabel =
          /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) && name.length <= 40;
        if (ok !== isLabel) mismatches.push(name);
        return ok === isLabel;
      }),
      { numRuns: 500 },
    );
    expect(mismatches).toEqual([]);
  });
});
