/*
 * Backstage's kubernetes backend in the running app is configured against the local cluster:
 * it lists the cluster and proxies API requests to it with the service-account token, and
 * finds an environment's objects from its catalog Resource's kubernetes annotations.
 */
import { test, expect } from '@playwright/test';
import { guestToken } from './session';

test('the kubernetes backend lists the local cluster and reaches its nodes', async ({
  request,
}) => {
  const token = await guestToken(request);
  const auth = { Authorization: `Bearer ${token}` };

  const clusters = await request.get('/api/kubernetes/clusters', {
    headers: auth,
  });
  expect(clusters.status()).toBe(200);
  expect((await clusters.json()).items).toEqual([
    expect.objectContaining({ name: 'local', authProvider: 'serviceAccount' }),
  ]);

  const nodes = await request.get('/api/kubernetes/proxy/api/v1/nodes', {
    headers: { ...auth, 'Backstage-Kubernetes-Cluster': 'local' },
  });
  expect(nodes.status()).toBe(200);
  const items: any[] = (await nodes.json()).items;
  expect(items.map(n => n.metadata.name)).toEqual(
    expect.arrayContaining([
      'kwok-node-0',
      'kwok-node-1',
      'kwok-node-2',
      'kwok-node-3',
    ]),
  );
  expect(
    items.filter(n => n.metadata.labels.branch === 'dev').length,
  ).toBeGreaterThan(0);
});

test("Backstage's kubernetes backend finds an environment's pods from its catalog Resource", async ({
  request,
}) => {
  const auth = { Authorization: `Bearer ${await guestToken(request)}` };
  const name = `k8s-tab-${Date.now().toString(36).slice(-5)}`;
  const created = await request.post('/api/environments/environments', {
    headers: auth,
    data: {
      name,
      owner: 'group:default/backend',
      purpose: 'sandbox',
      services: [{ name: 'global', replicas: 2 }],
    },
  });
  expect(created.status(), await created.text()).toBe(202);
  try {
    await expect
      .poll(
        async () =>
          (
            await (
              await request.get(`/api/environments/environments/${name}`, {
                headers: auth,
              })
            ).json()
          ).status?.phase,
        { timeout: 120_000 },
      )
      .toBe('Ready');
    // The catalog provider publishes the Resource with backstage.io/kubernetes-namespace and
    // backstage.io/kubernetes-label-selector; the kubernetes backend reads them from the catalog.
    const pods = async () => {
      const res = await request.post(`/api/kubernetes/services/${name}`, {
        headers: auth,
        data: {
          entity: {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Resource',
            metadata: { name, namespace: 'default' },
          },
        },
      });
      if (res.status() !== 200) return [];
      return ((await res.json()).items ?? []).flatMap((c: any) =>
        (c.resources ?? [])
          .filter((r: any) => r.type === 'pods')
          .flatMap((r: any) => r.resources),
      );
    };
    await expect
      .poll(async () => (await pods()).length, { timeout: 90_000 })
      .toBe(2);
    expect((await pods()).map((p: any) => p.metadata.namespace)).toEqual([
      `env-${name}`,
      `env-${name}`,
    ]);
  } finally {
    await request.delete(`/api/environments/environments/${name}`, {
      headers: auth,
    });
  }
});
