/*
 * Durability of the operation queue against the real test cluster:
 *  - a backend killed in the middle of an operation: a fresh backend on the same database takes
 *    the operation over when its lease lapses and finishes it, with no duplicates and no leaked
 *    objects;
 *  - two backend replicas on one PostgreSQL: every operation runs exactly once.
 */
import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import {
  AppsV1Api,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import {
  ENVIRONMENT_LABEL,
  MANAGED_BY_LABEL,
} from '@archipelago/plugin-environments-common';
import { EnvironmentStore } from '../store/EnvironmentStore';
import {
  eventually,
  startEnvironmentsBackend,
  testKube,
  uniqueName,
  destroyAll,
} from '../__testUtils__/harness';

jest.setTimeout(240_000);

const ids: TestDatabaseId[] = ['SQLITE_3', 'POSTGRES_15'];
const databases = TestDatabases.create({ ids, disableDocker: true });
const postgres = databases
  .eachSupportedId()
  .filter(([id]) => id === 'POSTGRES_15');

describe('operation queue durability', () => {
  const { kc, core } = testKube();
  const objects = KubernetesObjectApi.makeApiClient(kc);

  it('runs the two-replica test on PostgreSQL in the full test run', () => {
    const expected = process.env.ARCHIPELAGO_REQUIRE_POSTGRES === '1' ? 1 : 0;
    expect(postgres.length).toBeGreaterThanOrEqual(expected);
  });

  it.each(databases.eachSupportedId())(
    'resumes an operation of a killed backend with no duplicates and no leaked objects (%p)',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const store = await EnvironmentStore.create(knex);
      const name = uniqueName('crash');
      const namespace = `env-${name}`;

      // Backend A accepted the create, claimed it and had applied part of it when it was killed:
      // the namespace and an object that the desired state no longer has.
      const { operation } = await store.createEnvironment({
        spec: {
          name,
          owner: 'group:default/backend',
          purpose: 'feature',
          services: [{ name: 'global' }],
        },
        cluster: 'local',
        namespace,
        createdBy: 'user:default/guest',
      });
      const claimed = await store.queue.claimNext('killed-backend', {
        leaseMs: 1500,
        maxPerCluster: 5,
      });
      expect(claimed?.id).toBe(operation.id);
      await store.queue.saveSteps(operation.id, 'killed-backend', [
        { name: 'render', status: 'succeeded' },
        { name: 'apply', status: 'running' },
      ]);
      const labels = {
        [MANAGED_BY_LABEL]: 'archipelago',
        [ENVIRONMENT_LABEL]: name,
      };
      for (const obj of [
        {
          apiVersion: 'v1',
          kind: 'Namespace',
          // As backend A wrote it: with the environment's id.
          metadata: {
            name: namespace,
            labels,
            annotations: {
              'archipelago.dev/environment-id': operation.environmentId,
            },
          },
        },
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'leaked-config', namespace, labels },
          data: { a: '1' },
        },
      ]) {
        await objects.patch(
          obj,
          undefined,
          undefined,
          'archipelago',
          true,
          PatchStrategy.ServerSideApply,
        );
      }

      // Backend B starts on the same database.
      const b = await startEnvironmentsBackend({ knex });
      try {
        const op = await eventually(
          'the operation to finish on backend B',
          async () => {
            const o = await store.queue.getOperation(operation.id);
            return o?.status === 'succeeded' || o?.status === 'failed'
              ? o
              : undefined;
          },
        );
        expect(op).toMatchObject({ status: 'succeeded', attempts: 2 });
        expect(op.lockedBy).not.toBe('killed-backend');
        expect(op.steps.map(s => [s.name, s.status])).toEqual([
          ['render', 'succeeded'],
          ['apply', 'succeeded'],
          ['capacity', 'succeeded'],
          ['prune', 'succeeded'],
          ['wait', 'succeeded'],
        ]);
        expect(op.steps.find(s => s.name === 'prune')?.message).toBe(
          'deleted ConfigMap/leaked-config',
        );

        const deployments = await kc
          .makeApiClient(AppsV1Api)
          .listNamespacedDeployment({ namespace });
        expect(deployments.items.map(d => d.metadata?.name)).toEqual([
          'global-v20210422',
        ]);
        const pods = await core.listNamespacedPod({ namespace });
        expect(pods.items).toHaveLength(1);
        const configMaps = await core.listNamespacedConfigMap({
          namespace,
          labelSelector: `${ENVIRONMENT_LABEL}=${name}`,
        });
        expect(configMaps.items.map(c => c.metadata?.name)).toEqual([
          'archipelago-discovery',
        ]);
        expect(
          (await b.api.get(`/environments/${name}`)).body.status.phase,
        ).toBe('Ready');

        // The killed backend is fenced: it can no longer touch the operation.
        expect(
          await store.queue.finishOperation(operation.id, 'killed-backend', {
            status: 'failed',
            steps: [],
          }),
        ).toBe(false);

        const destroy = await b.api.delete(`/environments/${name}`);
        await eventually('destroy', async () =>
          (await store.queue.getOperation(destroy.body.id))?.status ===
          'succeeded'
            ? true
            : undefined,
        );
      } finally {
        await b.backend.stop();
      }
    },
  );

  it.each(postgres)(
    'runs each operation exactly once with two backend replicas on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const [a, b] = [
        await startEnvironmentsBackend({ knex }),
        await startEnvironmentsBackend({ knex }),
      ];
      const store = await EnvironmentStore.create(knex, {
        skipMigrations: true,
      });
      const names = Array.from({ length: 6 }, (_, i) => uniqueName(`twin${i}`));
      try {
        // Requests arrive at both replicas.
        for (const [i, name] of names.entries()) {
          const api = i % 2 ? b.api : a.api;
          const res = await api.post('/environments', {
            name,
            owner: 'group:default/backend',
            purpose: 'feature',
            services: [{ name: 'global' }],
          });
          expect(res.status).toBe(202);
        }
        for (const [i, name] of names.entries()) {
          const api = i % 2 ? a.api : b.api;
          await api.post(`/environments/${name}/operations`, {
            type: 'restart',
          });
          await api.post(`/environments/${name}/operations`, { type: 'stop' });
        }
        const ops = await eventually(
          'all operations to finish',
          async () => {
            const all = [];
            for (const name of names) {
              const env = await store.getEnvironment(name);
              all.push(...(await store.queue.listOperations(env!.id)));
            }
            return all.every(
              o => o.status === 'succeeded' || o.status === 'failed',
            )
              ? all
              : undefined;
          },
          180_000,
        );
        expect(ops).toHaveLength(names.length * 3);
        for (const op of ops) {
          // A second claim would have counted a second attempt.
          expect({
            id: op.id,
            status: op.status,
            attempts: op.attempts,
          }).toEqual({ id: op.id, status: 'succeeded', attempts: 1 });
        }
        for (const name of names) {
          expect(
            (await a.api.get(`/environments/${name}`)).body.status.phase,
          ).toBe('Stopped');
        }
      } finally {
        await destroyAll(a.api, core, names);
        await a.backend.stop();
        await b.backend.stop();
      }
    },
  );
});
