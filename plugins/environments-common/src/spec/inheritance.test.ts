/*
 * Configuration that falls back like services do (seed 001): a service's env values and
 * config files come from its definition, then the nearest base environment running the same
 * service, then the request; each layer overrides the one below by name and by path.
 */
import { resolveServices, type InheritedConfig } from './validation';
import { validateEnvironmentSpec } from './validation';

const definitions = {
  'component:default/global': {
    image: 'registry.local/global',
    defaultVersion: '1.0.0',
    ports: [{ name: 'http', port: 8080 }],
    env: { LOG_LEVEL: 'info', REGION: 'cn' },
    configFiles: [
      { path: '/etc/global/app.toml', content: 'mode = "default"' },
      { path: '/etc/global/keep.toml', content: 'keep = 1' },
    ],
  },
} as Record<string, any>;
const lookup = (ref: string) => definitions[ref];

const integration: InheritedConfig = {
  environment: 'integration',
  env: { LOG_LEVEL: 'info', REGION: 'eu', DB_URL: 'mysql://integration/db' },
  configFiles: [
    { path: '/etc/global/app.toml', content: 'mode = "integration"' },
    { path: '/etc/global/keep.toml', content: 'keep = 1' },
  ],
  origins: {
    env: {
      LOG_LEVEL: { from: 'definition' },
      REGION: { from: 'environment' },
      DB_URL: { from: 'base', environment: 'shared' },
    },
    configFiles: {
      '/etc/global/app.toml': { from: 'environment' },
      '/etc/global/keep.toml': { from: 'definition' },
    },
  },
};

function resolve(service: Record<string, unknown>, bases = true) {
  const spec = validateEnvironmentSpec({
    name: 'feat-x',
    owner: 'group:default/backend',
    purpose: 'feature',
    base: 'integration',
    services: [{ name: 'global', ...service }],
  });
  if (!spec.success) throw new Error(JSON.stringify(spec.errors));
  return resolveServices(
    spec.value,
    lookup,
    bases ? name => (name === 'global' ? integration : undefined) : undefined,
  );
}

describe('configuration inherited from the base', () => {
  it("takes the base's values over the definition's, and its own over both, by name and by path", () => {
    const r = resolve({
      env: { LOG_LEVEL: 'debug' },
      configFiles: [{ path: '/etc/global/feature.toml', content: 'on = true' }],
    });
    if (!r.success) throw new Error(JSON.stringify(r.errors));
    const [svc] = r.value;
    expect(svc.env).toEqual({
      LOG_LEVEL: 'debug',
      REGION: 'eu',
      DB_URL: 'mysql://integration/db',
    });
    expect(svc.configFiles).toEqual([
      { path: '/etc/global/app.toml', content: 'mode = "integration"' },
      { path: '/etc/global/keep.toml', content: 'keep = 1' },
      { path: '/etc/global/feature.toml', content: 'on = true' },
    ]);
    expect(svc.origins).toEqual({
      env: {
        LOG_LEVEL: { from: 'environment' },
        // The base set it itself.
        REGION: { from: 'base', environment: 'integration' },
        // The base had it from its own base: that one is named.
        DB_URL: { from: 'base', environment: 'shared' },
      },
      configFiles: {
        '/etc/global/app.toml': { from: 'base', environment: 'integration' },
        // The base had it from the same definition, with the same content.
        '/etc/global/keep.toml': { from: 'definition' },
        '/etc/global/feature.toml': { from: 'environment' },
      },
    });
  });

  it('inherits nothing with inheritConfig: false, or without a base running the service', () => {
    for (const r of [resolve({ inheritConfig: false }), resolve({}, false)]) {
      if (!r.success) throw new Error(JSON.stringify(r.errors));
      expect(r.value[0].env).toEqual({ LOG_LEVEL: 'info', REGION: 'cn' });
      expect(r.value[0].configFiles.map(f => f.content)).toEqual([
        'mode = "default"',
        'keep = 1',
      ]);
      expect(Object.values(r.value[0].origins!.env)).toEqual([
        { from: 'definition' },
        { from: 'definition' },
      ]);
    }
  });

  it("names the base when an inherited file's path is a volume's mountPath", () => {
    const r = resolve({
      volumes: [
        { name: 'conf', type: 'scratch', mountPath: '/etc/global/app.toml' },
      ],
    });
    expect(r.success).toBe(false);
    if (r.success) return;
    expect(r.errors).toEqual([
      {
        path: 'services[0].volumes',
        message:
          'a mountPath is "/etc/global/app.toml", a config file inherited from base environment integration (set inheritConfig: false, or mount elsewhere)',
      },
    ]);
  });

  it("lets the request's secret take over a plain value of that name from the base", () => {
    const r = resolve({ secrets: { DB_URL: { value: 'secret-url' } } });
    if (!r.success) throw new Error(JSON.stringify(r.errors));
    expect(r.value[0].env.DB_URL).toBeUndefined();
    expect(r.value[0].origins!.env.DB_URL).toBeUndefined();
    expect(r.value[0].secrets?.DB_URL).toBeDefined();
  });

  it('counts inherited files in the size limit, and says how much came from the base', () => {
    const big = 'x'.repeat(200 * 1024);
    const r = resolveServices(
      {
        name: 'feat-x',
        owner: 'group:default/backend',
        purpose: 'feature',
        base: 'integration',
        services: [
          {
            name: 'global',
            configFiles: [{ path: '/etc/own.toml', content: big }],
          },
        ],
      },
      lookup,
      () => ({
        environment: 'integration',
        env: {},
        configFiles: [{ path: '/etc/base.toml', content: big }],
      }),
    );
    expect(r.success).toBe(false);
    if (r.success) return;
    expect(r.errors).toEqual([
      {
        path: 'services[0].configFiles',
        message:
          'must total at most 256KiB, with the 200KiB inherited from base environment integration (set inheritConfig: false, or leave some of its files out)',
      },
    ]);
  });

  it('refuses a config file path given twice, by field', () => {
    const r = resolve({
      configFiles: [
        { path: '/etc/x.toml', content: 'a' },
        { path: '/etc/x.toml', content: 'b' },
      ],
    });
    expect(r.success).toBe(false);
    if (r.success) return;
    expect(r.errors).toEqual([
      {
        path: 'services[0].configFiles[1].path',
        message: 'duplicates configFiles[0].path "/etc/x.toml"',
      },
    ]);
  });

  it('refuses inheritConfig that is not a boolean, by field', () => {
    const spec = validateEnvironmentSpec({
      name: 'feat-x',
      owner: 'group:default/backend',
      purpose: 'feature',
      services: [{ name: 'global', inheritConfig: 'yes' }],
    });
    expect(spec.success).toBe(false);
    if (spec.success) return;
    expect(spec.errors.map(e => e.path)).toEqual(['services[0].inheritConfig']);
  });

  it('merges any layers in order: property over random keys', () => {
    // Deterministic pseudo-random layers: the result always holds, for each key, the value of
    // the highest layer that has it.
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const layer = () =>
        Object.fromEntries(
          Array.from({ length: rnd(4) }, () => [`K${rnd(5)}`, `v${rnd(100)}`]),
        );
      const def = layer();
      const base = layer();
      const req = layer();
      definitions['component:default/prop'] = {
        image: 'registry.local/prop',
        defaultVersion: '1',
        ports: [{ name: 'http', port: 8080 }],
        env: def,
      };
      const spec = validateEnvironmentSpec({
        name: 'feat-p',
        owner: 'group:default/backend',
        purpose: 'feature',
        base: 'integration',
        services: [{ name: 'prop', env: req }],
      });
      if (!spec.success) throw new Error(JSON.stringify(spec.errors));
      const r = resolveServices(spec.value, lookup, () => ({
        environment: 'integration',
        env: base,
        configFiles: [],
      }));
      if (!r.success) throw new Error(JSON.stringify(r.errors));
      const [svc] = r.value;
      for (const k of new Set([
        ...Object.keys(def),
        ...Object.keys(base),
        ...Object.keys(req),
      ])) {
        const top = ['environment', 'base', 'definition'][
          [req, base, def].findIndex(l => k in l)
        ];
        const layers: Record<string, Record<string, string>> = {
          environment: req,
          base,
          definition: def,
        };
        const want = layers[top][k];
        expect(svc.env[k]).toBe(want);
        expect(svc.origins!.env[k].from).toBe(top);
      }
      expect(Object.keys(svc.env).sort()).toEqual(
        [
          ...new Set([
            ...Object.keys(def),
            ...Object.keys(base),
            ...Object.keys(req),
          ]),
        ].sort(),
      );
    }
  });
});
