/*
 * Several clusters at once (issue #14): the test cluster, the small second test cluster
 * (one node of 4 CPUs; scripts/cluster/cluster.sh up --name test2) as the default, and a
 * cluster whose API server does not answer. Each reachable cluster gets an environment; a
 * create that names no cluster goes to the default, or to the cluster with room; one that fits
 * nowhere is refused with the numbers; a dependant goes to its base's cluster; and the
 * unreachable cluster shows as such without stopping the others.
 */
import { SERVICE_LABEL } from '@archipelago/plugin-environments-common';
import {
  destroyAll,
  eventually,
  kubeOf,
  operationFinished,
  secondClusterAppConfig,
  startEnvironmentsBackend,
  testKube,
  uniqueName,
} from '../__testUtils__/harness';

jest.setTimeout(300_000);

describe('several clusters', () => {
  let ctx: Awaited<ReturnType<typeof startEnvironmentsBackend>>;
  const first = testKube();
  const secondConfig = secondClusterAppConfig();
  const second = kubeOf(secondConfig);
  const small = uniqueName('place-small');
  const roomy = uniqueName('place-roomy');
  const dependant = uniqueName('place-dep');
  const nowhere = uniqueName('place-none');
  const stranded = uniqueName('place-gone');

  beforeAll(async () => {
    ctx = await startEnvironmentsBackend({
      cluster: { name: 'test' },
      extraClusters: [
        { ...secondConfig, name: 'test2', islands: { ports: '7000-7099' } },
        {
          name: 'gone',
          // Nothing listens here: the cluster is configured but unreachable.
          url: 'https://127.0.0.1:9',
          authProvider: 'serviceAccount',
          serviceAccountToken: 'none',
          skipTLSVerify: true,
        },
      ],
      config: { defaultCluster: 'test2' },
    });
  });
  afterAll(async () => {
    // The dependant first: a base with live dependants is not destroyed.
    await destroyAll(ctx.api, first.core, [dependant, roomy]);
    await destroyAll(ctx.api, second.core, [small, nowhere]);
    await ctx?.backend.stop();
  });

  const create = (name: string, body: Record<string, unknown>) =>
    ctx.api.post('/environments', {
      name,
      owner: 'group:default/backend',
      purpose: 'feature',
      ...body,
    });

  it('lists every cluster: the default, the reachable ones, and the one that does not answer', async () => {
    const clusters = await eventually('the clusters to settle', async () => {
      const items = (await ctx.api.get('/clusters')).body.items as any[];
      const by = new Map(items.map(c => [c.name, c]));
      return by.get('test')?.synced &&
        by.get('test2')?.synced &&
        by.get('gone')?.reachable === false
        ? by
        : undefined;
    });
    expect([...clusters.keys()]).toEqual(['test', 'test2', 'gone']);
    expect(clusters.get('test2')).toMatchObject({
      default: true,
      reachable: true,
    });
    expect(clusters.get('test')).toMatchObject({
      default: false,
      reachable: true,
    });
    const gone = clusters.get('gone');
    expect(gone).toMatchObject({ default: false, reachable: false });
    expect(Date.parse(gone.unreachableSince)).toBeLessThanOrEqual(Date.now());
    expect(gone.lastError).toMatch(/ECONNREFUSED|connect/i);
  });

  it('puts a create that names no cluster on the default cluster when it fits there', async () => {
    const res = await create(small, { services: [{ name: 'global' }] });
    expect(res.status).toBe(202);
    expect(res.body.environment.cluster).toBe('test2');
    expect(res.body.operation.params).toEqual({});
    const op = await operationFinished(ctx.api, small, res.body.operation.id);
    expect(op.status).toBe('succeeded');
    // Its pods are on the second cluster, and the first has no namespace of it.
    const pods = await second.core.listNamespacedPod({
      namespace: `env-${small}`,
    });
    expect(pods.items.map(p => p.metadata?.labels?.[SERVICE_LABEL])).toContain(
      'global',
    );
    await expect(
      first.core.readNamespace({ name: `env-${small}` }),
    ).rejects.toMatchObject({ code: 404 });
    const env = (await ctx.api.get(`/environments/${small}`)).body;
    expect(env).toMatchObject({ cluster: 'test2', status: { phase: 'Ready' } });
    expect(env.clusterUnreachable).toBeUndefined();
  });

  it('puts one the default cannot hold on the cluster with room, and says why', async () => {
    // 6 CPUs: the second cluster's node has 4 (2 each: the purpose's default limit).
    const res = await create(roomy, {
      services: [
        {
          name: 'global',
          replicas: 3,
          resources: { requests: { cpu: '2', memory: '256Mi' } },
        },
      ],
    });
    expect(res.status).toBe(202);
    expect(res.body.environment.cluster).toBe('test');
    const placement: string = res.body.operation.params.placement;
    expect(placement).toMatch(
      /^placed on test, the cluster with the most room: /,
    );
    expect(placement).toContain(
      'Not enough capacity on cluster "test2": 6 CPU requested,',
    );
    expect(placement).toContain('gone is unreachable');
    const op = await operationFinished(ctx.api, roomy, res.body.operation.id);
    expect(op).toMatchObject({ status: 'succeeded' });
    const pods = await first.core.listNamespacedPod({
      namespace: `env-${roomy}`,
    });
    expect(pods.items).toHaveLength(3);
    const revisions = (await ctx.api.get(`/environments/${roomy}/revisions`))
      .body.items;
    expect(revisions[revisions.length - 1].reason).toBe(`create: ${placement}`);
  });

  it("puts a dependant that names no cluster on its base's cluster", async () => {
    const res = await create(dependant, {
      base: roomy,
      services: [{ name: 'matching' }],
    });
    expect(res.status).toBe(202);
    expect(res.body.environment.cluster).toBe('test');
    const op = await operationFinished(
      ctx.api,
      dependant,
      res.body.operation.id,
    );
    expect(op.status).toBe('succeeded');
  });

  it('refuses one that fits nowhere on the default cluster, with the numbers of each', async () => {
    const res = await create(nowhere, {
      purpose: 'perf',
      services: [
        {
          name: 'global',
          replicas: 6,
          resources: { requests: { cpu: '16', memory: '256Mi' } },
        },
      ],
    });
    expect(res.body).toMatchObject({ environment: { cluster: 'test2' } });
    const placement: string = res.body.operation.params.placement;
    expect(placement).toMatch(/^no configured cluster has room \(/);
    expect(placement).toMatch(
      /Not enough capacity on cluster "test2": 96 CPU requested, [\d.m]+ free/,
    );
    expect(placement).toMatch(
      /Not enough capacity on cluster "test": 96 CPU requested, [\d.m]+ free/,
    );
    const op = await operationFinished(ctx.api, nowhere, res.body.operation.id);
    expect(op.status).toBe('failed');
    expect(op.error).toMatch(
      /^Not enough capacity on cluster "test2": 96 CPU requested, .* free\. Nothing was applied\.$/,
    );
    await expect(
      second.core.readNamespace({ name: `env-${nowhere}` }),
    ).rejects.toMatchObject({ code: 404 });
  });

  it('shows an environment on the unreachable cluster as such, and leaves the others working', async () => {
    const res = await create(stranded, {
      cluster: 'gone',
      services: [{ name: 'global' }],
    });
    expect(res.status).toBe(202);
    const env = (await ctx.api.get(`/environments/${stranded}`)).body;
    expect(env.cluster).toBe('gone');
    expect(env.clusterUnreachable).toMatchObject({
      since: expect.any(String),
      error: expect.stringMatching(/ECONNREFUSED|connect/i),
    });
    // Its create waits for the cluster; the other clusters' environments stay as they were,
    // and a change on them still runs.
    const op = (
      await ctx.api.get(
        `/environments/${stranded}/operations/${res.body.operation.id}`,
      )
    ).body;
    expect(['pending', 'running']).toContain(op.status);
    const restart = await ctx.api.post(`/environments/${small}/operations`, {
      type: 'restart',
      services: ['global'],
    });
    expect(restart.status).toBe(202);
    const done = await operationFinished(ctx.api, small, restart.body.id);
    expect(done.status).toBe('succeeded');
    const listed = (await ctx.api.get('/environments')).body.items as any[];
    const phases = new Map(listed.map(e => [e.name, e.status.phase]));
    expect(phases.get(small)).toBe('Ready');
    expect(phases.get(roomy)).toBe('Ready');
  });
});
