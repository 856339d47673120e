/*
 * The environments service on a real SQLite store, with a catalog the test controls and no
 * cluster: for tests of what requests do to the desired state. Operations are only recorded;
 * no worker runs them, and views read an empty watch cache.
 */
import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import type { Knex } from 'knex';
import type { ServiceDefinition } from '@archipelago/plugin-environments-common';
import { emptySnapshot } from '../cluster/WatchCache';
import { readEnvironmentsConfig } from '../config';
import { Reconciler } from '../reconcile/Reconciler';
import { EnvironmentsService } from '../service/EnvironmentsService';
import { EnvironmentStore } from '../store/EnvironmentStore';

const databases = TestDatabases.create({
  ids: ['SQLITE_3'],
  disableDocker: true,
});

export async function serviceWithoutCluster(
  catalog: Record<string, ServiceDefinition>,
  /** Extra settings of the one cluster, `local` (policy, say). */
  cluster: Record<string, unknown> = {},
  /** Extra settings of the environments config section (limits, say). */
  environments: Record<string, unknown> = {},
  /** The database to use; a fresh in-memory SQLite by default. */
  knex?: Knex,
) {
  const store = await EnvironmentStore.create(
    knex ?? (await databases.init('SQLITE_3')),
  );
  const definitions = {
    lookup: async () => ({ lookup: (ref: string) => catalog[ref] }),
  };
  const config = readEnvironmentsConfig(
    mockServices.rootConfig({
      data: {
        environments: {
          ...environments,
          clusters: [
            {
              name: 'local',
              url: 'https://127.0.0.1:1',
              serviceAccountToken: 't',
              ...cluster,
            },
          ],
        },
      },
    }),
  );
  const clusters = new Map([
    [
      'local',
      {
        // A cluster that always answers.
        cache: {
          snapshot: () => emptySnapshot(),
          unreachable: () => undefined,
        },
      } as any,
    ],
  ]);
  const reconciler = new Reconciler(store, clusters, definitions, config);
  const service = new EnvironmentsService(
    store,
    reconciler,
    definitions,
    config,
  );
  return { store, reconciler, service };
}
