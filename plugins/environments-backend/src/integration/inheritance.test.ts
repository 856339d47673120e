/*
 * Configuration that falls back like services do (seed 001, issue #14): a feature
 * environment's service takes the env values and config files its base's service of the same
 * name holds, overrides some, and the cluster holds the merged result. A later change of the
 * base reaches the dependant at its next deploy of the service, never behind its back.
 */
import { AppsV1Api } from '@kubernetes/client-node';
import { SERVICE_LABEL } from '@archipelago/plugin-environments-common';
import {
  destroyAll,
  operationFinished,
  startEnvironmentsBackend,
  testKube,
  uniqueName,
} from '../__testUtils__/harness';

jest.setTimeout(300_000);

describe('configuration inherited from the base', () => {
  let ctx: Awaited<ReturnType<typeof startEnvironmentsBackend>>;
  const { kc, core } = testKube();
  const apps = kc.makeApiClient(AppsV1Api);
  const base = uniqueName('inh-base');
  const feature = uniqueName('inh-feat');

  beforeAll(async () => {
    ctx = await startEnvironmentsBackend();
  });
  const orphanBase = uniqueName('inh-obase');
  const orphan = uniqueName('inh-orphan');

  afterAll(async () => {
    await destroyAll(ctx.api, core, [feature, base, orphan]);
    await ctx?.backend.stop();
  });

  const done = async (name: string, res: { status: number; body: any }) => {
    expect(res.status).toBe(202);
    const id = res.body.operation?.id ?? res.body.id;
    const op = await operationFinished(ctx.api, name, id);
    expect(op).toMatchObject({ status: 'succeeded' });
    return op;
  };
  const baseSpec = (region: string) => ({
    owner: 'group:default/backend',
    purpose: 'integration',
    services: [
      {
        name: 'global',
        env: { REGION: region, DB_URL: 'mysql://integration/db' },
        configFiles: [
          { path: '/etc/global/app.toml', content: 'mode = "integration"' },
        ],
      },
      {
        name: 'matching',
        env: { QUEUE: 'integration' },
      },
    ],
  });
  /** What the cluster holds for a service: its container's env and its config files. */
  const stored = async (name: string, service: string) => {
    // http services run as Deployments, backend ones (matching) as StatefulSets, named by
    // version: found by their service's label.
    const at = {
      namespace: `env-${name}`,
      labelSelector: `${SERVICE_LABEL}=${service}`,
    };
    const [d] = [
      ...(await apps.listNamespacedDeployment(at)).items,
      ...(await apps.listNamespacedStatefulSet(at)).items,
    ];
    const env = Object.fromEntries(
      (d.spec?.template.spec?.containers[0].env ?? [])
        .filter(e => e.value !== undefined)
        .map(e => [e.name, e.value]),
    );
    const files = await core
      .readNamespacedConfigMap({
        name: `${service}-config`,
        namespace: `env-${name}`,
      })
      .then(c => c.data ?? {})
      .catch(() => ({}));
    return {
      env,
      files,
      uid: d.metadata?.uid,
      generation: d.metadata?.generation,
    };
  };

  it("runs a dependant's service with its base's values, its own overriding them", async () => {
    await done(
      base,
      await ctx.api.put(`/environments/${base}`, baseSpec('eu')),
    );
    await done(
      feature,
      await ctx.api.post('/environments', {
        name: feature,
        owner: 'group:default/backend',
        purpose: 'feature',
        base,
        services: [
          {
            name: 'global',
            version: '20211002',
            env: { REGION: 'cn-feature' },
            configFiles: [
              { path: '/etc/global/feature.toml', content: 'flag = true' },
            ],
          },
          { name: 'matching', inheritConfig: false },
        ],
      }),
    );
    const global = await stored(feature, 'global');
    expect(global.env).toMatchObject({
      REGION: 'cn-feature',
      DB_URL: 'mysql://integration/db',
    });
    expect(global.files).toEqual({
      'etc_global_app.toml': 'mode = "integration"',
      'etc_global_feature.toml': 'flag = true',
    });
    // inheritConfig: false takes nothing from the base.
    expect((await stored(feature, 'matching')).env.QUEUE).toBeUndefined();

    const config = (await ctx.api.get(`/environments/${feature}/config`)).body;
    expect(config.base).toBe(base);
    const g = config.services.find((s: any) => s.name === 'global');
    expect(g).toMatchObject({
      inheritConfig: true,
      inheritsFrom: base,
      changedSinceDeploy: false,
    });
    expect(g.env).toEqual([
      {
        name: 'DB_URL',
        value: 'mysql://integration/db',
        source: { from: 'base', environment: base },
      },
      {
        name: 'REGION',
        value: 'cn-feature',
        source: { from: 'environment' },
      },
    ]);
    expect(g.configFiles.map((f: any) => [f.name, f.source.from])).toEqual([
      ['/etc/global/app.toml', 'base'],
      ['/etc/global/feature.toml', 'environment'],
    ]);
    const m = config.services.find((s: any) => s.name === 'matching');
    expect(m).toMatchObject({ inheritConfig: false, env: [] });
    expect(m.inheritsFrom).toBeUndefined();
  });

  it("takes a base's change at the dependant's next deploy of the service, and not before", async () => {
    const before = await stored(feature, 'global');
    await done(
      base,
      await ctx.api.put(`/environments/${base}`, baseSpec('us')),
    );
    expect((await stored(base, 'global')).env.REGION).toBe('us');

    // The dependant's own value wins anyway; its inherited ones are as pinned, and the view
    // says what a deploy would change.
    await done(
      base,
      await ctx.api.put(`/environments/${base}`, {
        ...baseSpec('us'),
        services: baseSpec('us').services.map(s =>
          s.name === 'global'
            ? { ...s, env: { ...s.env, DB_URL: 'mysql://moved/db' } }
            : s,
        ),
      }),
    );
    const after = await stored(feature, 'global');
    expect(after).toEqual(before);
    const pending = (await ctx.api.get(`/environments/${feature}/config`)).body
      .services[0];
    expect(pending.changedSinceDeploy).toBe(true);
    expect(pending.env.find((e: any) => e.name === 'DB_URL')).toEqual({
      name: 'DB_URL',
      value: 'mysql://integration/db',
      source: { from: 'base', environment: base },
      next: {
        value: 'mysql://moved/db',
        source: { from: 'base', environment: base },
      },
    });

    await done(
      feature,
      await ctx.api.post(`/environments/${feature}/operations`, {
        type: 'deploy',
        services: [{ name: 'global', version: '20211002' }],
      }),
    );
    const deployed = await stored(feature, 'global');
    expect(deployed.env).toMatchObject({
      REGION: 'cn-feature',
      DB_URL: 'mysql://moved/db',
    });
    const now = (await ctx.api.get(`/environments/${feature}/config`)).body
      .services[0];
    expect(now.changedSinceDeploy).toBe(false);
  });

  it('applies an orphaned dependant without its destroyed base, and says so when it is named', async () => {
    await done(
      orphanBase,
      await ctx.api.put(`/environments/${orphanBase}`, baseSpec('eu')),
    );
    const spec = {
      owner: 'group:default/backend',
      purpose: 'feature',
      base: orphanBase,
      services: [{ name: 'global', env: { REGION: 'cn' } }],
    };
    await done(orphan, await ctx.api.put(`/environments/${orphan}`, spec));
    const gone = await ctx.api.delete(
      `/environments/${orphanBase}?dependants=orphan`,
    );
    expect(gone.status).toBe(202);
    await operationFinished(ctx.api, orphanBase, gone.body.id);
    const named = await ctx.api.put(`/environments/${orphan}`, spec);
    expect(named.status).toBe(400);
    expect(named.body.errors).toEqual([
      {
        path: 'base',
        message: `there is no environment named "${orphanBase}" (an environment whose base was destroyed is applied without base)`,
      },
    ]);
    const { base: _dropped, ...without } = spec;
    const applied = await ctx.api.put(`/environments/${orphan}`, {
      ...without,
      services: [{ name: 'global', env: { REGION: 'us' } }],
    });
    await done(orphan, applied);
    const env = (await ctx.api.get(`/environments/${orphan}`)).body;
    expect(env.base).toBeUndefined();
    expect(env.spec.base).toBeUndefined();
    expect((await stored(orphan, 'global')).env.REGION).toBe('us');
  });
});
