import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import knexFactory, { Knex } from 'knex';
import { EnvironmentStore } from '../store/EnvironmentStore';
import type { IslandSettings } from '../config';

jest.setTimeout(120_000);

const ids: TestDatabaseId[] = ['SQLITE_3', 'POSTGRES_15'];
const databases = TestDatabases.create({ ids, disableDocker: true });

const settings = (from: number, to: number): IslandSettings => ({
  ports: { from, to },
  nodePorts: { from: 30000, to: 32767 },
  firstId: 100,
});
const PORTS = ['app-common-port', 'remote-msg-port', 'server-port'];

async function environment(store: EnvironmentStore, name: string) {
  const { environment: env } = await store.createEnvironment({
    spec: {
      name,
      owner: 'group:default/qa',
      purpose: 'sandbox',
      services: [{ name: 'altraserver', kind: 'island' }],
    },
    cluster: 'local',
    namespace: `env-${name}`,
    createdBy: 'user:default/tester',
  });
  return env;
}

const add = (
  store: EnvironmentStore,
  name: string,
  count: number,
  range = settings(7000, 7999),
) =>
  store.requestOperation(
    name,
    {
      type: 'island-add',
      requestedBy: 'user:default/tester',
      params: { service: 'altraserver', count },
    },
    {
      islands: {
        add: {
          service: 'altraserver',
          portNames: PORTS,
          count,
          settings: range,
        },
      },
    },
  );

function expectDistinct(
  islands: Array<{ id: number; ports: Record<string, number> }>,
) {
  const ports = islands.flatMap(i => Object.values(i.ports));
  expect(new Set(islands.map(i => i.id)).size).toBe(islands.length);
  expect(new Set(ports).size).toBe(ports.length);
  for (const i of islands) {
    const [a, b, c] = PORTS.map(p => i.ports[p]);
    // One block of consecutive ports per island.
    expect([b - a, c - b]).toEqual([1, 1]);
  }
}

describe('IslandStore', () => {
  it('runs on PostgreSQL as well as SQLite in the full test run', () => {
    const required: TestDatabaseId[] =
      process.env.ARCHIPELAGO_REQUIRE_POSTGRES === '1' ? ids : ['SQLITE_3'];
    expect(databases.eachSupportedId().map(([id]) => id)).toEqual(
      expect.arrayContaining(required),
    );
  });

  describe.each(databases.eachSupportedId())('on %p', databaseId => {
    let db: Knex;
    let store: EnvironmentStore;
    beforeEach(async () => {
      db = await databases.init(databaseId);
      store = await EnvironmentStore.create(db);
    });

    it('gives 20 islands requested at once, across 4 environments, distinct ids and port blocks', async () => {
      const envs = await Promise.all(
        ['a', 'b', 'c', 'd'].map(n => environment(store, `isl-${n}`)),
      );
      await Promise.all(
        envs.flatMap(e =>
          Array.from({ length: 5 }, () => add(store, e.name, 1)),
        ),
      );
      const all = (
        await Promise.all(envs.map(e => store.islands.list(e.id)))
      ).flat();
      expect(all).toHaveLength(20);
      expectDistinct(all);
      expect(Math.min(...all.map(i => i.id))).toBe(100);
      const claims = await store.islands.claims('local');
      expect(claims).toHaveLength(60);
    });

    it('refuses with the numbers when the range runs out, and claims nothing', async () => {
      const env = await environment(store, 'small');
      const range = settings(7000, 7015); // 16 ports: 5 islands of 3
      await add(store, env.name, 4, range);
      await expect(add(store, env.name, 2, range)).rejects.toThrow(
        'count: 6 ports needed (2 island(s) of 3), 4 free in 7000\u20137015 on cluster local',
      );
      expect(await store.islands.list(env.id)).toHaveLength(4);
      expect(await store.islands.claims('local')).toHaveLength(12);
      const ops = await store.queue.listOperations(env.id, 10);
      expect(ops.filter(o => o.type === 'island-add')).toHaveLength(1);
      await add(store, env.name, 1, range);
      expect(await store.islands.claims('local')).toHaveLength(15);
    });

    it("gives a removed island's ports back only once its Pod is gone, and never reuses its id", async () => {
      const env = await environment(store, 'rel');
      await add(store, env.name, 2);
      const [first, second] = await store.islands.list(env.id);
      await store.requestOperation(
        env.name,
        {
          type: 'island-remove',
          requestedBy: 'x',
          params: { island: first.id },
        },
        { islands: { update: { uid: first.uid, desired: 'removed' } } },
      );
      // Its Pod is still there: the ports stay claimed.
      expect(
        await store.islands.releaseGone(
          env.id,
          ['altraserver'],
          new Set([first.id]),
        ),
      ).toEqual([]);
      expect(await store.islands.claims('local')).toHaveLength(6);
      expect(
        await store.islands.releaseGone(env.id, ['altraserver'], new Set()),
      ).toEqual([first.id]);
      expect((await store.islands.claims('local')).map(c => c.island)).toEqual([
        second.id,
        second.id,
        second.id,
      ]);
      await add(store, env.name, 1);
      const islandIds = (
        await store.islands.list(env.id, { includeRemoved: true })
      ).map(i => i.id);
      expect(islandIds).toEqual([first.id, second.id, second.id + 1]);
      // The freed block is the lowest free one again.
      const [, , third] = await store.islands.list(env.id, {
        includeRemoved: true,
      });
      expect(third.ports).toEqual(first.ports);
      await store.islands.releaseAll(env.id);
      expect(await store.islands.claims('local')).toEqual([]);
    });

    if (databaseId === 'POSTGRES_15') {
      it('lets two backends on one PostgreSQL allocate at the same time with no collision', async () => {
        // A second knex pool on the same database stands for a second backend replica.
        const other = knexFactory({
          ...(db.client as any).config,
          pool: { min: 0, max: 5 },
        });
        try {
          const store2 = await EnvironmentStore.create(other, {
            skipMigrations: true,
          });
          const e1 = await environment(store, 'rep-a');
          const e2 = await environment(store2, 'rep-b');
          await Promise.all([
            ...Array.from({ length: 10 }, () => add(store, e1.name, 1)),
            ...Array.from({ length: 10 }, () => add(store2, e2.name, 1)),
          ]);
          const all = [
            ...(await store.islands.list(e1.id)),
            ...(await store2.islands.list(e2.id)),
          ];
          expect(all).toHaveLength(20);
          expectDistinct(all);
        } finally {
          await other.destroy();
        }
      });
    }
  });
});
