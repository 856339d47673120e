import {
  MANAGED_SECRET_NAME,
  ServiceDefinition,
  extractSecretValues,
  resolveServices,
  validateEnvironmentSpec,
  validateServiceDefinition,
} from '..';

const definitions: Record<string, ServiceDefinition> = {
  'component:default/global': {
    image: 'registry.local/studio/global',
    defaultVersion: '1',
    ports: [{ name: 'http', port: 8080 }],
    secrets: { DB_URL: { secretKeyRef: { name: 'studio-db', key: 'url' } } },
  },
};
const spec = (service: Record<string, unknown>) => ({
  name: 'feat',
  owner: 'group:default/backend',
  purpose: 'feature',
  services: [{ name: 'global', ...service }],
});
const parse = (service: Record<string, unknown>) => {
  const r = validateEnvironmentSpec(spec(service));
  if (!r.success) throw new Error(JSON.stringify(r.errors));
  return r.value;
};

describe('secret environment variables', () => {
  it('keeps values out of the spec: what is stored references the environment’s Secret', () => {
    const parsed = parse({
      secrets: {
        DB_PASSWORD: { value: 'hunter2' },
        API_KEY: { secretKeyRef: { name: 'studio-keys', key: 'api' } },
      },
    });
    const { spec: stored, values } = extractSecretValues(parsed);
    expect(JSON.stringify(stored)).not.toContain('hunter2');
    expect(values).toEqual({ 'global.DB_PASSWORD': 'hunter2' });
    expect(stored.services[0].secrets).toEqual({
      DB_PASSWORD: {
        secretKeyRef: { name: MANAGED_SECRET_NAME, key: 'global.DB_PASSWORD' },
      },
      API_KEY: { secretKeyRef: { name: 'studio-keys', key: 'api' } },
    });
    // The stored spec resolves to the same references as the request did.
    const before = resolveServices(parsed, ref => definitions[ref]);
    const after = resolveServices(stored, ref => definitions[ref]);
    expect(after).toEqual(before);
    expect(after.success && after.value[0].secrets).toEqual({
      DB_URL: { name: 'studio-db', key: 'url' },
      DB_PASSWORD: { name: MANAGED_SECRET_NAME, key: 'global.DB_PASSWORD' },
      API_KEY: { name: 'studio-keys', key: 'api' },
    });
  });

  it('lets a service definition name Secrets, never hold values', () => {
    const r = validateServiceDefinition({
      image: 'registry.local/studio/global',
      secrets: { TOKEN: { value: 'in-the-catalog' } },
    });
    expect(r.success).toBe(false);
    expect(!r.success && r.errors).toEqual([
      expect.objectContaining({ path: 'secrets.TOKEN.secretKeyRef' }),
      {
        path: 'secrets.TOKEN.value',
        message: expect.stringContaining(
          'is not allowed in a service definition',
        ),
      },
    ]);
  });

  it('refuses NUL and control characters in env and secret values, by field', () => {
    const r = validateEnvironmentSpec(
      spec({
        env: { A: 'ok\ttabs\nand lines', B: 'nul\u0000here' },
        secrets: { C: { value: 'bell\u0007' } },
      }),
    );
    expect(r.success).toBe(false);
    expect(!r.success && r.errors.map(e => e.path)).toEqual([
      'services[0].env.B',
      'services[0].secrets.C.value',
    ]);
  });

  it('refuses names the platform sets, one name as both env and secret, two ports with one number and a config file on a volume path', () => {
    const r = resolveServices(
      parse({
        env: { VERSION: '2', SHARED: 'x' },
        secrets: {
          SERVER_ID: { value: 'x' },
          SHARED: { value: 'y' },
        },
        ports: [
          { name: 'http', port: 8080 },
          { name: 'admin', port: 8080 },
        ],
        volumes: [
          { name: 'data', type: 'scratch', mountPath: '/etc/app.conf' },
        ],
        configFiles: [{ path: '/etc/app.conf', content: 'x' }],
      }),
      ref => definitions[ref],
    );
    expect(!r.success && r.errors).toEqual([
      {
        path: 'services[0].env.VERSION',
        message: expect.stringContaining('is set by Archipelago'),
      },
      {
        path: 'services[0].secrets.SERVER_ID',
        message: expect.stringContaining('is set by Archipelago'),
      },
      {
        path: 'services[0].secrets.SHARED',
        message: 'is also a plain env variable of this service',
      },
      { path: 'services[0].ports', message: 'must have unique port numbers' },
      {
        path: 'services[0].configFiles[0].path',
        message: '"/etc/app.conf" is also the mountPath of a volume',
      },
    ]);
  });

  it("gives a definition's security settings only to its own image and command", () => {
    const defs: Record<string, ServiceDefinition> = {
      'component:default/island': {
        image: 'registry.local/studio/island',
        defaultVersion: '1',
        ports: [{ name: 'game', port: 10001 }],
        security: { runAsRoot: true, capabilities: ['SYS_TIME'] },
      },
    };
    const resolve = (service: Record<string, unknown>) => {
      const r = resolveServices(
        parse({ component: 'island', ...service }),
        ref => defs[ref],
      );
      if (!r.success) throw new Error(JSON.stringify(r.errors));
      return r.value[0].security;
    };
    expect(resolve({})).toEqual({
      runAsRoot: true,
      capabilities: ['SYS_TIME'],
    });
    expect(resolve({ version: '2' })).toEqual({
      runAsRoot: true,
      capabilities: ['SYS_TIME'],
    });
    expect(resolve({ image: 'docker.io/me/miner:1' })).toBeUndefined();
    expect(resolve({ command: ['/bin/sh'] })).toBeUndefined();
    expect(resolve({ args: ['-c', 'x'] })).toBeUndefined();
  });
});
