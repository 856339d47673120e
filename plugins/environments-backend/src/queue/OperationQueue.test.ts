import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import type { Knex } from 'knex';
import { EnvironmentStore, OperationRecord } from '../store/EnvironmentStore';

jest.setTimeout(60_000);

const ids: TestDatabaseId[] = ['SQLITE_3', 'POSTGRES_15'];
const databases = TestDatabases.create({ ids, disableDocker: true });

describe('OperationQueue', () => {
  it('runs on PostgreSQL as well as SQLite in the full test run', () => {
    const required: TestDatabaseId[] =
      process.env.ARCHIPELAGO_REQUIRE_POSTGRES === '1' ? ids : ['SQLITE_3'];
    expect(databases.eachSupportedId().map(([id]) => id)).toEqual(
      expect.arrayContaining(required),
    );
  });

  describe.each(databases.eachSupportedId())('on %p', databaseId => {
    let knex: Knex;
    let store: EnvironmentStore;
    beforeEach(async () => {
      knex = await databases.init(databaseId);
      store = await EnvironmentStore.create(knex);
    });

    /** Creates environments (each with a pending create) on a cluster, in this order. */
    const createOn = async (cluster: string, names: string[]) => {
      for (const name of names)
        await store.createEnvironment({
          spec: {
            name,
            owner: 'group:default/backend',
            purpose: 'feature',
            services: [{ name: 'game', version: '1' }],
          },
          cluster,
          namespace: `env-${name}`,
          createdBy: 'u',
        });
    };
    /** Operations of a cluster that hold a slot now: running, not waiting, lease live. */
    const slotHolders = async (cluster: string) =>
      (
        await knex('environment_operations')
          .where({ cluster, status: 'running', waiting: false })
          .select('locked_until')
      ).filter(r => new Date(r.locked_until).getTime() >= Date.now()).length;
    const names = (prefix: string, n: number) =>
      Array.from({ length: n }, (_, i) => `${prefix}${i}`);

    it("reads many environments' latest operations in one query, newest first, at most the limit each", async () => {
      await createOn('a', names('recent', 30));
      const envs = await store.listEnvironments({});
      // A few more operations on some: recent0 has 4 in all, recent1 has 2.
      for (const type of ['stop', 'start', 'restart'] as const)
        await store.requestOperation('recent0', {
          type,
          requestedBy: 'u',
          params: {},
        });
      await store.requestOperation('recent1', {
        type: 'stop',
        requestedBy: 'u',
        params: {},
      });
      let queries = 0;
      const count = () => queries++;
      knex.on('query', count);
      const recent = await store.queue.recentOperations(
        envs.map(e => e.id),
        3,
      );
      knex.removeListener('query', count);
      expect(queries).toBe(1);
      const byName = new Map(envs.map(e => [e.name, recent.get(e.id)!]));
      expect(byName.get('recent0')!.map(o => o.type)).toEqual([
        'restart',
        'start',
        'stop',
      ]);
      expect(byName.get('recent1')!.map(o => o.type)).toEqual([
        'stop',
        'create',
      ]);
      expect(byName.get('recent2')!.map(o => o.type)).toEqual(['create']);
      // The same as one environment's list, cut to the limit.
      for (const e of envs)
        expect(recent.get(e.id)!.map(o => o.id)).toEqual(
          (await store.queue.listOperations(e.id, 3)).map(o => o.id),
        );
      expect((await store.queue.recentOperations([])).size).toBe(0);
    });

    /** Many claimers at once, each a worker of its own; then their claims are finished. */
    const race = async (
      max: number,
      claimers: Array<
        (opts: {
          leaseMs: number;
          maxPerCluster: number;
        }) => Promise<OperationRecord | undefined>
      >,
    ) => {
      const claims = await Promise.all(
        claimers.map(claim => claim({ leaseMs: 60_000, maxPerCluster: max })),
      );
      const claimed = claims.filter((c): c is OperationRecord => !!c);
      const holders = await slotHolders('a');
      for (const c of claimed)
        await store.queue.finishOperation(c.id, c.lockedBy!, {
          status: 'succeeded',
          steps: [],
        });
      return { ids: claimed.map(c => c.id), holders };
    };

    it('holds the per-cluster cap when many workers claim at once', async () => {
      await createOn('a', names('race', 12));
      const queue = store.queue;
      const rounds = [1, 1, 1, 3, 3, 3];
      const results = [];
      for (const [round, max] of rounds.entries()) {
        const claimers = Array.from(
          { length: 16 },
          (_, i) => (opts: { leaseMs: number; maxPerCluster: number }) =>
            queue.claimNext(`replica-${round}-${i}`, opts),
        );
        results.push(await race(max, claimers));
      }
      expect(results.map(r => r.ids.length)).toEqual(rounds);
      expect(results.map(r => new Set(r.ids).size)).toEqual(rounds);
      expect(results.map(r => r.holders)).toEqual(rounds);
      expect(await slotHolders('a')).toBe(0);
    });

    it('holds the cap when replicas claim different operations of one cluster at the same instant', async () => {
      // The race a count-then-claim loses: each claimer goes for another operation, so no
      // row lock orders them; only the per-cluster lock does (on PostgreSQL).
      await createOn('a', names('diff', 12));
      const queue = store.queue;
      const rounds = [1, 2, 1];
      const results = [];
      for (const [round, max] of rounds.entries()) {
        const pending: string[] = await knex('environment_operations')
          .where({ cluster: 'a', status: 'pending' })
          .pluck('id');
        const claimers = pending.map(
          (id, i) => (opts: { leaseMs: number; maxPerCluster: number }) =>
            queue.claim(id, `replica-${round}-${i}`, opts),
        );
        results.push(await race(max, claimers));
      }
      expect(results.map(r => r.ids.length)).toEqual(rounds);
      expect(results.map(r => r.holders)).toEqual(rounds);
    });

    it("claims only an environment's oldest unfinished operation, even when asked for a later one", async () => {
      await createOn('o', ['order']);
      const restart = await store.requestOperation(
        'order',
        { type: 'restart', requestedBy: 'u', params: {} },
        { restartedAt: { game: 'now' } },
      );
      const opts = { leaseMs: 60_000, maxPerCluster: 5 };
      expect(await store.queue.claim(restart.id, 'w', opts)).toBeUndefined();
      const create = await store.queue.claimNext('w', opts);
      expect(create).toMatchObject({ type: 'create', environment: 'order' });
      expect(await store.queue.claim(restart.id, 'w', opts)).toBeUndefined();
      await store.queue.finishOperation(create!.id, 'w', {
        status: 'succeeded',
        steps: [],
      });
      expect(await store.queue.claim(restart.id, 'w', opts)).toMatchObject({
        id: restart.id,
        status: 'running',
        lockedBy: 'w',
      });
    });

    it('keeps the cap per cluster: a full cluster leaves the others theirs', async () => {
      await createOn('a', names('ca', 4));
      await createOn('b', names('cb', 4));
      const claims = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          store.queue.claimNext(`w${i}`, { leaseMs: 60_000, maxPerCluster: 2 }),
        ),
      );
      const byCluster = claims
        .filter(c => c !== undefined)
        .map(c => c!.cluster)
        .sort();
      expect(byCluster).toEqual(['a', 'a', 'b', 'b']);
    });

    it('does not starve a cluster whose work is queued behind a full cluster’s backlog', async () => {
      // More operations on the full cluster than one claim looks at (20), all older.
      await createOn('busy', names('busy', 25));
      await createOn('quiet', ['quiet0']);
      const first = await store.queue.claimNext('w1', {
        leaseMs: 60_000,
        maxPerCluster: 1,
      });
      expect(first).toMatchObject({ cluster: 'busy', environment: 'busy0' });
      const second = await store.queue.claimNext('w2', {
        leaseMs: 60_000,
        maxPerCluster: 1,
      });
      expect(second).toMatchObject({ cluster: 'quiet', environment: 'quiet0' });
      expect(
        await store.queue.claimNext('w3', {
          leaseMs: 60_000,
          maxPerCluster: 1,
        }),
      ).toBeUndefined();
    });

    it('only claims on the clusters it is given', async () => {
      await createOn('mine', ['m0']);
      await createOn('theirs', ['t0']);
      const op = await store.queue.claimNext('w', {
        leaseMs: 60_000,
        maxPerCluster: 5,
        clusters: ['theirs'],
      });
      expect(op).toMatchObject({ environment: 't0' });
      expect(
        await store.queue.claimNext('w', {
          leaseMs: 60_000,
          maxPerCluster: 5,
          clusters: ['theirs'],
        }),
      ).toBeUndefined();
    });

    it('gives the slot of an operation that only waits to another, and still renews the waiting one', async () => {
      await createOn('w', ['wa', 'wb', 'wc']);
      const opts = { leaseMs: 60_000, maxPerCluster: 1 };
      const a = (await store.queue.claimNext('wa', opts))!;
      expect(await store.queue.claimNext('wb', opts)).toBeUndefined();
      await store.queue.setWaiting(a.id, 'wa');
      const b = await store.queue.claimNext('wb', opts);
      expect(b).toMatchObject({ environment: 'wb' });
      expect(await store.queue.claimNext('wc', opts)).toBeUndefined();
      expect(await store.queue.renewLease(a.id, 'wa', 60_000, opts)).toBe('ok');
      expect(await store.queue.renewLease(b!.id, 'wb', 60_000, opts)).toBe(
        'ok',
      );
      expect(await slotHolders('w')).toBe(1);
    });

    it('renews a lapsed lease only while its cluster has a free slot', async () => {
      await createOn('l', ['la', 'lb']);
      // la, the older, is put back to retry shortly, so that the stalled worker holds lb.
      const first = (await store.queue.claimNext('first', {
        leaseMs: 60_000,
        maxPerCluster: 1,
      }))!;
      expect(first.environment).toBe('la');
      await store.queue.retryLater(first.id, 'first', 50, [], 'transient');
      const b = (await store.queue.claimNext('slow', {
        leaseMs: 1,
        maxPerCluster: 1,
      }))!;
      expect(b.environment).toBe('lb');
      await new Promise(r => setTimeout(r, 80));
      // The lease lapsed and nobody took the slot: the stalled worker may go on.
      expect(
        await store.queue.renewLease(b.id, 'slow', 1, { maxPerCluster: 1 }),
      ).toBe('ok');
      await new Promise(r => setTimeout(r, 20));
      // Now la, due again, takes the free slot: the stalled worker must stop, or the
      // cluster would run two operations under a cap of one.
      const a = await store.queue.claimNext('other', {
        leaseMs: 60_000,
        maxPerCluster: 1,
      });
      expect(a).toMatchObject({ environment: 'la' });
      expect(
        await store.queue.renewLease(b.id, 'slow', 60_000, {
          maxPerCluster: 1,
        }),
      ).toBe('lost');
      expect(await slotHolders('l')).toBe(1);
      // Without the cap, a lapsed lease is lost.
      expect(await store.queue.renewLease(b.id, 'slow', 60_000)).toBe('lost');
      // The live one renews.
      expect(
        await store.queue.renewLease(a!.id, 'other', 60_000, {
          maxPerCluster: 1,
        }),
      ).toBe('ok');
    });

    it('reports a renewal of an operation a destroy cancelled', async () => {
      await createOn('x', ['xa']);
      const a = (await store.queue.claimNext('w', {
        leaseMs: 60_000,
        maxPerCluster: 1,
      }))!;
      await store.requestOperation('xa', {
        type: 'destroy',
        requestedBy: 'u',
        params: {},
      });
      expect(
        await store.queue.renewLease(a.id, 'w', 60_000, { maxPerCluster: 1 }),
      ).toBe('cancelled');
    });
  });
});
