/*
 * Archipelago never takes over or deletes a namespace that is not the environment's own
 * (issue #11), against the real local test cluster: someone else's namespace of an
 * environment's name survives a create and a destroy of that name.
 */
import { ENVIRONMENT_ID_ANNOTATION } from '@archipelago/plugin-environments-common';
import { ClusterClient } from '../cluster/ClusterClient';
import {
  eventually,
  startEnvironmentsBackend,
  testClusterAppConfig,
  testKube,
  uniqueName,
} from '../__testUtils__/harness';

jest.setTimeout(240_000);

describe('namespaces that are not the environment’s', () => {
  let ctx: Awaited<ReturnType<typeof startEnvironmentsBackend>>;
  const { core } = testKube();
  const squatted = uniqueName('ops');
  const swapped = uniqueName('swap');

  const spec = (name: string) => ({
    name,
    owner: 'group:default/backend',
    purpose: 'sandbox',
    services: [{ name: 'global', replicas: 1 }],
  });
  const operationDone = (name: string, id: string) =>
    eventually(`operation ${id} to finish`, async () => {
      const op = (await ctx.api.get(`/environments/${name}/operations/${id}`))
        .body;
      return op.status === 'succeeded' || op.status === 'failed'
        ? op
        : undefined;
    });

  beforeAll(async () => {
    ctx = await startEnvironmentsBackend();
  });
  afterAll(async () => {
    for (const n of [squatted, swapped])
      await core.deleteNamespace({ name: `env-${n}` }).catch(() => undefined);
    await ctx?.backend.stop();
  });

  it("refuses to create an environment on someone else's namespace, and leaves it as it was", async () => {
    const namespace = `env-${squatted}`;
    await core.createNamespace({
      body: { metadata: { name: namespace, labels: { team: 'ops' } } },
    });
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'ops-data' }, data: { keep: 'me' } },
    });
    const res = await ctx.api.post('/environments', spec(squatted));
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(
      new RegExp(
        `^name: namespace ${namespace} already exists on cluster \\S+ and it was not made by Archipelago`,
      ),
    );
    expect((await ctx.api.get(`/environments/${squatted}`)).status).toBe(404);
    // Destroying that name finds nothing to destroy.
    expect((await ctx.api.delete(`/environments/${squatted}`)).status).toBe(
      404,
    );
    const ns = await core.readNamespace({ name: namespace });
    expect(ns.metadata?.labels).toMatchObject({ team: 'ops' });
    expect(
      ns.metadata?.labels?.['app.kubernetes.io/managed-by'],
    ).toBeUndefined();
    expect(
      (await core.readNamespacedConfigMap({ name: 'ops-data', namespace }))
        .data,
    ).toEqual({ keep: 'me' });
  });

  it('refuses a namespace labelled by hand as if Archipelago had made it, with or without a dry run', async () => {
    const forged = `${squatted}-l`;
    const namespace = `env-${forged}`;
    await core.createNamespace({
      body: {
        metadata: {
          name: namespace,
          labels: {
            'app.kubernetes.io/managed-by': 'archipelago',
            'archipelago.dev/environment': forged,
          },
        },
      },
    });
    try {
      for (const path of ['/environments?dryRun=true', '/environments']) {
        const res = await ctx.api.post(path, spec(forged));
        expect(res.status).toBe(409);
        expect(res.body.error.message).toMatch(
          /^name: namespace .* carries Archipelago's labels but no archipelago.dev\/environment-id/,
        );
      }
      expect((await ctx.api.get(`/environments/${forged}`)).status).toBe(404);
      const ns = await core.readNamespace({ name: namespace });
      expect(ns.metadata?.deletionTimestamp).toBeUndefined();
    } finally {
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    }
  });

  it('annotates its namespace with the environment id, and on destroy leaves a namespace that no longer carries it', async () => {
    const namespace = `env-${swapped}`;
    const created = await ctx.api.post('/environments', spec(swapped));
    expect(created.status).toBe(202);
    expect(
      (await operationDone(swapped, created.body.operation.id)).status,
    ).toBe('succeeded');
    const ns = await core.readNamespace({ name: namespace });
    const id = ns.metadata?.annotations?.[ENVIRONMENT_ID_ANNOTATION];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    // Someone takes the namespace over for something else while the environment lives.
    await core.patchNamespace({
      name: namespace,
      body: [
        {
          op: 'replace',
          path: `/metadata/annotations/${ENVIRONMENT_ID_ANNOTATION.replace(
            '/',
            '~1',
          )}`,
          value: 'someone-else',
        },
      ],
    });
    const destroy = await ctx.api.delete(`/environments/${swapped}`);
    expect(destroy.status).toBe(202);
    const op = await operationDone(swapped, destroy.body.id);
    expect(op.status).toBe('succeeded');
    expect(op.steps.find((s: any) => s.name === 'delete').message).toMatch(
      /is not this environment's .*left alone/,
    );
    const after = await core.readNamespace({ name: namespace });
    expect(after.metadata?.uid).toBe(ns.metadata?.uid);
    expect(after.metadata?.deletionTimestamp).toBeUndefined();
  });
});

describe('a namespace that cannot finish terminating', () => {
  const { core } = testKube();
  const client = new ClusterClient(
    testClusterAppConfig().kubernetes.clusterLocatorMethods[0].clusters[0],
  );
  const namespace = `env-${uniqueName('held')}`;
  const hold = 'example.com/hold';

  afterAll(async () => {
    await core
      .patchNamespacedConfigMap({
        name: 'held',
        namespace,
        body: [{ op: 'remove', path: '/metadata/finalizers' }],
      })
      .catch(() => undefined);
  });

  it('says what blocks it, and nothing while it merely terminates', async () => {
    await core.createNamespace({ body: { metadata: { name: namespace } } });
    await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: 'held', finalizers: [hold] } },
    });
    const before = await client.namespaceExists(namespace);
    expect(before).toMatchObject({ exists: true, terminating: false });
    expect(before.blocked).toBeUndefined();
    await core.deleteNamespace({ name: namespace });
    // The namespace controller deletes the ConfigMap, which its finalizer holds.
    const blocked = await eventually(
      'the namespace to be blocked',
      async () => {
        const ns = await client.namespaceExists(namespace);
        return ns.blocked ? ns : undefined;
      },
    );
    expect(blocked.terminating).toBe(true);
    expect(blocked.finalizers).toEqual(['kubernetes']);
    expect(blocked.blocked).toMatch(
      /^NamespaceFinalizersRemaining: .*example\.com\/hold/,
    );
    // Once the finalizer goes, so does the namespace.
    await core.patchNamespacedConfigMap({
      name: 'held',
      namespace,
      body: [{ op: 'remove', path: '/metadata/finalizers' }],
    });
    await eventually('the namespace to go', async () =>
      (await client.namespaceExists(namespace)).exists ? undefined : true,
    );
  });
});
