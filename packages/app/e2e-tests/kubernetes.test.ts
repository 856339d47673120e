/*
 * Backstage's kubernetes backend in the running app is configured against the local cluster:
 * it lists the cluster and proxies API requests to it with the service-account token.
 */
import { test, expect, APIRequestContext } from '@playwright/test';

async function guestToken(request: APIRequestContext): Promise<string> {
  const res = await request.get('/api/auth/guest/refresh', {
    headers: { 'x-requested-with': 'XMLHttpRequest' },
  });
  expect(res.status()).toBe(200);
  const body = await res.json();
  expect(body.backstageIdentity.token).toBeTruthy();
  return body.backstageIdentity.token;
}

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
