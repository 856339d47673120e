/*
 * PUT /environments/{name} (CI's way in, docs/ci.md) against the real local test cluster:
 * a branch's spec creates its environment, the same spec again changes nothing, a changed one
 * changes only what changed (read back from the cluster), and a spec that would change what
 * cannot change is refused by field, with nothing changed.
 */
import { AppsV1Api } from '@kubernetes/client-node';
import {
  SERVICE_LABEL,
  environmentNameForBranch,
} from '@archipelago/plugin-environments-common';
import {
  destroyAll,
  eventually,
  operationFinished,
  startEnvironmentsBackend,
  testKube,
} from '../__testUtils__/harness';

jest.setTimeout(240_000);

describe('PUT /environments/{name}: idempotent apply from CI', () => {
  let ctx: Awaited<ReturnType<typeof startEnvironmentsBackend>>;
  const { kc, core } = testKube();
  const apps = kc.makeApiClient(AppsV1Api);
  const branch = `feature/CI_Apply-${Date.now().toString(36)}`;
  const name = environmentNameForBranch(branch);
  const ns = `env-${name}`;
  const spec = (versionB: string, extra: object[] = []) => ({
    branch: `refs/heads/${branch}`,
    owner: 'group:default/backend',
    purpose: 'feature',
    ttl: '1d',
    services: [
      { name: 'web-a', component: 'component:default/global' },
      {
        name: 'web-b',
        component: 'component:default/global',
        version: versionB,
      },
      ...extra,
    ],
  });
  const deployments = async (service: string) =>
    (
      await apps.listNamespacedDeployment({
        namespace: ns,
        labelSelector: `${SERVICE_LABEL}=${service}`,
      })
    ).items;
  const operations = async () =>
    (await ctx.api.get(`/environments/${name}/operations`)).body.items;

  beforeAll(async () => {
    // An island range of its own, apart from the islands suites'.
    ctx = await startEnvironmentsBackend({
      cluster: { islands: { ports: '7300-7399' } },
    });
  });
  afterAll(async () => {
    await destroyAll(ctx.api, core, [name]);
    await ctx?.backend.stop();
  });

  it('creates the environment of a branch, named by the shared function', async () => {
    expect(name).toMatch(/^feature-ci-apply-/);
    const res = await ctx.api.put(`/environments/${name}`, spec('1.0.0'));
    expect(res.status).toBe(202);
    expect(res.body.changed).toBe(true);
    expect(res.body.operation).toMatchObject({ type: 'create', revision: 1 });
    const op = await operationFinished(ctx.api, name, res.body.operation.id);
    expect(op.status).toBe('succeeded');
    // The branch is kept as given (less refs/heads/), and finds the environment.
    const env = (await ctx.api.get(`/environments/${name}`)).body;
    expect(env.spec.branch).toBe(branch);
    for (const q of [branch, `refs/heads/${branch}`]) {
      const list = await ctx.api.get(
        `/environments?branch=${encodeURIComponent(q)}`,
      );
      expect(list.body.items.map((e: any) => e.name)).toEqual([name]);
    }
    const none = await ctx.api.get(`/environments?branch=feature%2Fnothing`);
    expect(none.body.items).toEqual([]);
    expect(
      (await core.readNamespace({ name: ns })).metadata?.labels,
    ).toMatchObject({
      'archipelago.dev/environment': name,
      'archipelago.dev/branch': name,
    });
    expect(
      (await core.readNamespace({ name: ns })).metadata?.annotations?.[
        'archipelago.dev/branch'
      ],
    ).toBe(branch);
  });

  it('changes nothing when the spec already matches, however its keys are ordered', async () => {
    const before = await operations();
    const reordered = Object.fromEntries(
      Object.entries(spec('1.0.0')).reverse(),
    );
    const res = await ctx.api.put(`/environments/${name}`, reordered);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ changed: false, operation: null });
    expect(res.body.environment.revision).toBe(1);
    expect(await operations()).toHaveLength(before.length);
  });

  it('applies a change: only the changed service is rolled, an added one is created', async () => {
    const [a] = await deployments('web-a');
    const res = await ctx.api.put(
      `/environments/${name}`,
      spec('2.0.0', [{ name: 'web-c', component: 'component:default/global' }]),
    );
    expect(res.status).toBe(202);
    expect(res.body.operation).toMatchObject({
      type: 'apply',
      revision: 2,
      params: { changed: ['web-b', '+web-c'] },
    });
    const op = await operationFinished(ctx.api, name, res.body.operation.id);
    expect({ status: op.status, error: op.error }).toEqual({
      status: 'succeeded',
      error: undefined,
    });
    // Read back from the cluster: web-b runs 2.0.0, web-c exists, web-a is untouched.
    const [b] = await deployments('web-b');
    expect(b.spec!.template.spec!.containers[0].image).toBe(
      'registry.local/island/global:2.0.0',
    );
    expect(await deployments('web-c')).toHaveLength(1);
    const [aAfter] = await deployments('web-a');
    expect(aAfter.metadata!.generation).toBe(a.metadata!.generation);
    expect(aAfter.spec!.template).toEqual(a.spec!.template);
    const revisions = (await ctx.api.get(`/environments/${name}/revisions`))
      .body.items;
    expect(revisions[0]).toMatchObject({
      revision: 2,
      reason: 'apply: web-b, +web-c',
    });
  });

  it('removes a service the spec no longer has', async () => {
    const res = await ctx.api.put(`/environments/${name}`, spec('2.0.0'));
    expect(res.status).toBe(202);
    expect(res.body.operation.params.changed).toEqual(['-web-c']);
    await operationFinished(ctx.api, name, res.body.operation.id);
    await eventually('web-c to be pruned', async () =>
      (await deployments('web-c')).length === 0 ? true : undefined,
    );
    expect(await deployments('web-a')).toHaveLength(1);
  });

  it('refuses, by field, what an apply cannot change, and changes nothing', async () => {
    const before = (await ctx.api.get(`/environments/${name}`)).body;
    const mismatch = await ctx.api.put(`/environments/${name}`, {
      ...spec('2.0.0'),
      name: 'another-name',
    });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors).toEqual([
      expect.objectContaining({ path: 'name' }),
    ]);
    const fixed = await ctx.api.put(`/environments/${name}`, {
      ...spec('3.0.0'),
      purpose: 'sandbox',
      owner: 'group:default/design',
    });
    expect(fixed.status).toBe(400);
    expect(fixed.body.errors.map((e: any) => e.path).sort()).toEqual([
      'owner',
      'purpose',
    ]);
    expect(fixed.body.errors[0].message).toMatch(/cannot change by an apply/);
    const invalid = await ctx.api.put(`/environments/${name}`, {
      ...spec('2.0.0'),
      services: [{ name: 'web-a', replicas: -1 }],
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors[0].path).toBe('services[0].replicas');
    const after = (await ctx.api.get(`/environments/${name}`)).body;
    expect(after.revision).toBe(before.revision);
    expect(after.spec).toEqual(before.spec);
  });

  it('adds an island service only without islands; its islands change through their operations', async () => {
    const island = (count: number) => ({
      name: 'altraserver',
      island: { count },
    });
    const refused = await ctx.api.put(
      `/environments/${name}`,
      spec('2.0.0', [island(2)]),
    );
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toEqual([
      {
        path: 'services[2].island.count',
        message: expect.stringContaining('add it with island.count 0'),
      },
    ]);
    const added = await ctx.api.put(
      `/environments/${name}`,
      spec('2.0.0', [island(0)]),
    );
    expect(added.status).toBe(202);
    expect(
      (await operationFinished(ctx.api, name, added.body.operation.id)).status,
    ).toBe('succeeded');
    const grown = await ctx.api.post(`/environments/${name}/operations`, {
      type: 'island-add',
      service: 'altraserver',
      count: 1,
    });
    expect(grown.status).toBe(202);
    await operationFinished(ctx.api, name, grown.body.id);
    const dropped = await ctx.api.put(`/environments/${name}`, spec('2.0.0'));
    expect(dropped.status).toBe(400);
    expect(dropped.body.errors[0]).toEqual({
      path: 'services',
      message: expect.stringContaining('holds 1 islands'),
    });
  });

  it('tries a failed operation again when the same spec comes again', async () => {
    const failing = `${name}-f`;
    const nowhere = {
      owner: 'group:default/backend',
      purpose: 'sandbox',
      services: [
        {
          name: 'web-a',
          component: 'component:default/global',
          // No node has it: the create fails as unschedulable.
          nodeSelector: { 'example.com/nowhere': 'true' },
        },
      ],
    };
    const first = await ctx.api.put(`/environments/${failing}`, nowhere);
    expect(first.status).toBe(202);
    const op = await operationFinished(
      ctx.api,
      failing,
      first.body.operation.id,
    );
    expect(op.status).toBe('failed');
    const again = await ctx.api.put(`/environments/${failing}`, nowhere);
    expect(again.status).toBe(202);
    expect(again.body.operation).toMatchObject({
      type: 'apply',
      params: { retries: op.id },
    });
    expect(again.body.environment.revision).toBe(1);
    await destroyAll(ctx.api, core, [failing]);
  });

  it('names a POST with a branch and no name after the branch too', async () => {
    const res = await ctx.api.post('/environments?dryRun=true', {
      ...spec('1.0.0'),
      branch: 'Feature/Other_Thing',
    });
    expect(res.status).toBe(200);
    expect(res.body.namespace).toBe('env-feature-other-thing');
  });
});
