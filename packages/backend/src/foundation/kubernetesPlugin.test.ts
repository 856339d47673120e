/*
 * Backstage's own kubernetes backend, configured the way scripts/cluster/cluster.sh configures
 * the app, lists the local cluster.
 */
import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import kubernetesPlugin from '@backstage/plugin-kubernetes-backend';
import fs from 'node:fs';
import request from 'supertest';
import { parse } from 'yaml';

jest.setTimeout(60_000);

function clusterAppConfig() {
  const file = process.env.ARCHIPELAGO_TEST_APP_CONFIG;
  if (!file || !fs.existsSync(file)) {
    throw new Error(
      'This test needs the app-config fragment written by `scripts/cluster/cluster.sh up --name test` ' +
        '(.local/app-config.cluster-test.yaml); run it through scripts/test.sh or set ARCHIPELAGO_TEST_APP_CONFIG',
    );
  }
  return parse(fs.readFileSync(file, 'utf8'));
}

describe('kubernetes backend against the local cluster', () => {
  it('lists the local cluster from the generated config', async () => {
    const { server } = await startTestBackend({
      features: [
        kubernetesPlugin,
        mockServices.rootLogger.factory({ level: 'debug' }),
        mockServices.rootConfig.factory({ data: clusterAppConfig() }),
      ],
    });

    const clusters = await request(server).get('/api/kubernetes/clusters');
    expect(clusters.status).toBe(200);
    expect(clusters.body.items).toEqual([
      expect.objectContaining({
        name: 'local',
        authProvider: 'serviceAccount',
      }),
    ]);

    // The proxy round-trip to the API server is covered end to end against the running
    // backend (packages/app/e2e-tests/kubernetes.test.ts): the plugin loads the ESM-only
    // @kubernetes/client-node with a dynamic import that Jest's module VM cannot run.
  });
});
