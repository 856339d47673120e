import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { EnvironmentSpec } from '@archipelago/plugin-environments-common';
import { EnvironmentChangedError, EnvironmentStore } from './EnvironmentStore';

jest.setTimeout(60_000);

const ids: TestDatabaseId[] = ['SQLITE_3', 'POSTGRES_15'];
const databases = TestDatabases.create({ ids, disableDocker: true });

const spec = (name: string, version = '1'): EnvironmentSpec => ({
  name,
  owner: 'group:default/backend',
  purpose: 'feature',
  services: [{ name: 'game', version }],
});

describe('EnvironmentStore', () => {
  it('runs on PostgreSQL as well as SQLite in the full test run', () => {
    const required: TestDatabaseId[] =
      process.env.ARCHIPELAGO_REQUIRE_POSTGRES === '1' ? ids : ['SQLITE_3'];
    expect(databases.eachSupportedId().map(([id]) => id)).toEqual(
      expect.arrayContaining(required),
    );
  });

  describe.each(databases.eachSupportedId())('on %p', databaseId => {
    let store: EnvironmentStore;
    beforeEach(async () => {
      store = await EnvironmentStore.create(await databases.init(databaseId));
    });

    it('lists environments unused for their sleepAfter, claims each sleep once, and wakes them', async () => {
      const knex = await databases.init(databaseId);
      store = await EnvironmentStore.create(knex);
      const t0 = Date.now();
      const hours = (h: number) => new Date(t0 + h * 3600_000);
      const finish = async (id: string) => {
        const claimed = await store.queue.claim(id, 'w', {
          leaseMs: 60_000,
          maxPerCluster: 10,
        });
        await store.queue.finishOperation(id, claimed!.lockedBy!, {
          status: 'succeeded',
          steps: [],
        });
      };
      const make = async (
        name: string,
        purpose: EnvironmentSpec['purpose'],
      ) => {
        const { environment, operation } = await store.createEnvironment({
          spec: { ...spec(name), purpose },
          cluster: 'local',
          namespace: `env-${name}`,
          createdBy: 'user:default/guest',
        });
        await finish(operation.id);
        return environment;
      };
      const idle = await make('sleep-idle', 'feature');
      const read = await make('sleep-read', 'feature');
      const asked = await make('sleep-asked', 'feature');
      const system = await make('sleep-system', 'feature');
      await make('sleep-never', 'integration');
      // Made three hours ago, with their creates.
      await knex('environments').update({ created_at: hours(-3) });
      await knex('environment_operations').update({ created_at: hours(-3) });
      // feature sleeps after 2 h; integration never.
      const windowOf = (e: { spec: EnvironmentSpec }) =>
        e.spec.purpose === 'feature' ? 7200 : 0;
      const sleepy = async (at: Date) =>
        (await store.listSleepy(windowOf, 7200, at)).map(e => e.name).sort();
      expect(await sleepy(hours(0))).toEqual([
        'sleep-asked',
        'sleep-idle',
        'sleep-read',
        'sleep-system',
      ]);

      // Now someone reads sleep-read's logs and restarts sleep-asked; the resync (a system
      // operation) restarts sleep-system, which does not count.
      await store.markUsed(read.id, hours(0));
      for (const [name, by] of [
        ['sleep-asked', 'user:default/guest'],
        ['sleep-system', 'system:archipelago-drift'],
      ])
        await store.requestOperation(
          name,
          { type: 'restart', requestedBy: by, params: {} },
          {},
        );
      // Queued operations keep both awake until they have run.
      expect(await sleepy(hours(0))).toEqual(['sleep-idle']);
      for (const e of [asked, system])
        await finish((await store.queue.listOperations(e.id, 1))[0].id);
      const listed = await store.listSleepy(windowOf, 7200, hours(0));
      expect(listed.map(e => e.name).sort()).toEqual([
        'sleep-idle',
        'sleep-system',
      ]);
      expect(listed.find(e => e.name === 'sleep-idle')!.idleSince).toEqual(
        hours(-3),
      );
      // Two hours after their use, the reader and the restarter sleep too.
      expect(await sleepy(hours(2.1))).toEqual([
        'sleep-asked',
        'sleep-idle',
        'sleep-read',
        'sleep-system',
      ]);

      // Two replicas claim at once: one wins, and the environment is asleep with its services.
      const claims = await Promise.all([
        store.claimSleep(idle.id, ['game', 'global'], hours(0)),
        store.claimSleep(idle.id, ['game', 'global'], hours(0)),
      ]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect((await store.getEnvironment('sleep-idle'))!.asleep).toEqual({
        since: hours(0),
        services: ['game', 'global'],
      });
      expect(await sleepy(hours(2.1))).not.toContain('sleep-idle');
      // A start of some of them leaves the rest asleep; then it is awake.
      await store.wake(idle.id, ['game']);
      expect((await store.getEnvironment('sleep-idle'))!.asleep).toEqual({
        since: hours(0),
        services: ['game'],
      });
      await store.wake(idle.id);
      expect(
        (await store.getEnvironment('sleep-idle'))!.asleep,
      ).toBeUndefined();
      // markUsed writes at most once a minute.
      await store.markUsed(read.id, hours(4));
      await store.markUsed(read.id, new Date(hours(4).getTime() + 30_000));
      expect((await store.getEnvironment('sleep-read'))!.usedAt).toEqual(
        hours(4),
      );
      expect(await store.listSleepy(() => 0, 0, hours(10))).toEqual([]);
    });

    it('creates an environment with revision 1 and a pending create operation, and refuses a taken name', async () => {
      const { environment, operation } = await store.createEnvironment({
        spec: spec('feat-a'),
        cluster: 'local',
        namespace: 'env-feat-a',
        createdBy: 'user:default/guest',
      });
      expect(environment).toMatchObject({
        name: 'feat-a',
        revision: 1,
        stopped: [],
        namespace: 'env-feat-a',
      });
      expect(operation).toMatchObject({
        type: 'create',
        status: 'pending',
        revision: 1,
        requestedBy: 'user:default/guest',
      });
      await expect(
        store.createEnvironment({
          spec: spec('feat-a'),
          cluster: 'local',
          namespace: 'env-feat-a',
          createdBy: 'x',
        }),
      ).rejects.toThrow(/already exists/);
      expect(await store.listRevisions(environment.id)).toHaveLength(1);
    });

    it('records only one of ten changes computed from the same environment at once; the others are told it changed', async () => {
      const { environment } = await store.createEnvironment({
        spec: spec('feat-cas'),
        cluster: 'local',
        namespace: 'env-feat-cas',
        createdBy: 'u',
      });
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, (_, i) =>
          store.requestOperation(
            'feat-cas',
            { type: 'deploy', requestedBy: 'u', params: {} },
            {
              spec: spec('feat-cas', `${i + 2}`),
              basedOn: environment.updatedAt,
            },
          ),
        ),
      );
      expect(results.filter(r => r.status === 'fulfilled')).toHaveLength(1);
      const refused = results.filter(
        (r): r is PromiseRejectedResult => r.status === 'rejected',
      );
      expect(refused).toHaveLength(9);
      for (const r of refused)
        expect(r.reason).toBeInstanceOf(EnvironmentChangedError);
      expect(await store.listRevisions(environment.id)).toHaveLength(2);
      // The next change is computed from the new updatedAt, which is strictly later.
      const now = (await store.getEnvironment('feat-cas'))!;
      expect(now.updatedAt.getTime()).toBeGreaterThan(
        environment.updatedAt.getTime(),
      );
      await expect(
        store.requestOperation(
          'feat-cas',
          { type: 'stop', requestedBy: 'u', params: {} },
          { stopped: ['game'], basedOn: now.updatedAt },
        ),
      ).resolves.toMatchObject({ type: 'stop' });
    });

    it('records immutable revisions for spec changes and frees the name after destroy', async () => {
      const { environment } = await store.createEnvironment({
        spec: spec('feat-b'),
        cluster: 'local',
        namespace: 'env-feat-b',
        createdBy: 'u',
      });
      const deploy = await store.requestOperation(
        'feat-b',
        { type: 'deploy', requestedBy: 'u', params: {} },
        { spec: spec('feat-b', '2') },
      );
      expect(deploy.revision).toBe(2);
      const revisions = await store.listRevisions(environment.id);
      expect(
        revisions.map(r => [r.revision, r.spec.services[0].version]),
      ).toEqual([
        [2, '2'],
        [1, '1'],
      ]);

      await store.requestOperation('feat-b', {
        type: 'destroy',
        requestedBy: 'u',
        params: {},
      });
      await expect(
        store.requestOperation(
          'feat-b',
          { type: 'stop', requestedBy: 'u', params: {} },
          { stopped: ['game'] },
        ),
      ).rejects.toThrow(/being destroyed/);
      await store.markDestroyed(environment.id, 'destroy');
      const again = await store.createEnvironment({
        spec: spec('feat-b'),
        cluster: 'local',
        namespace: 'env-feat-b',
        createdBy: 'u',
      });
      expect(again.environment.id).not.toBe(environment.id);
      expect((await store.getEnvironment('feat-b'))?.id).toBe(
        again.environment.id,
      );
    });

    it('hands each operation to exactly one of many concurrent workers, one at a time per environment', async () => {
      for (const name of ['e1', 'e2', 'e3']) {
        await store.createEnvironment({
          spec: spec(name),
          cluster: 'local',
          namespace: `env-${name}`,
          createdBy: 'u',
        });
        await store.requestOperation(
          name,
          { type: 'restart', requestedBy: 'u', params: {} },
          { restartedAt: { game: 'now' } },
        );
      }
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          store.queue.claimNext(`w${i}`, {
            leaseMs: 60_000,
            maxPerCluster: 10,
          }),
        ),
      );
      const claimed = claims.filter(Boolean).map(c => c!);
      // Three environments, each with create then restart: only the three creates can run.
      expect(claimed.map(c => c.type).sort()).toEqual([
        'create',
        'create',
        'create',
      ]);
      expect(new Set(claimed.map(c => c.id)).size).toBe(3);
      expect(
        await store.queue.claimNext('late', {
          leaseMs: 60_000,
          maxPerCluster: 10,
        }),
      ).toBeUndefined();

      await store.queue.finishOperation(claimed[0].id, claimed[0].lockedBy!, {
        status: 'succeeded',
        steps: [],
      });
      const next = await store.queue.claimNext('w9', {
        leaseMs: 60_000,
        maxPerCluster: 10,
      });
      expect(next).toMatchObject({
        type: 'restart',
        environment: claimed[0].environment,
      });
    });

    it('caps concurrency per cluster', async () => {
      for (const name of ['c1', 'c2', 'c3']) {
        await store.createEnvironment({
          spec: spec(name),
          cluster: 'local',
          namespace: `env-${name}`,
          createdBy: 'u',
        });
      }
      const a = await store.queue.claimNext('a', {
        leaseMs: 60_000,
        maxPerCluster: 2,
      });
      const b = await store.queue.claimNext('b', {
        leaseMs: 60_000,
        maxPerCluster: 2,
      });
      const c = await store.queue.claimNext('c', {
        leaseMs: 60_000,
        maxPerCluster: 2,
      });
      expect([a, b].every(Boolean)).toBe(true);
      expect(c).toBeUndefined();
    });

    it('lets another worker take over when a worker dies with the lease, and fences the dead one', async () => {
      await store.createEnvironment({
        spec: spec('r1'),
        cluster: 'local',
        namespace: 'env-r1',
        createdBy: 'u',
      });
      const first = await store.queue.claimNext('dead', {
        leaseMs: 1,
        maxPerCluster: 5,
      });
      await new Promise(r => setTimeout(r, 20));
      const second = await store.queue.claimNext('alive', {
        leaseMs: 60_000,
        maxPerCluster: 5,
      });
      expect(second?.id).toBe(first?.id);
      expect(second?.attempts).toBe(2);
      expect(await store.queue.renewLease(first!.id, 'dead', 60_000)).toBe(
        'lost',
      );
      expect(
        await store.queue.finishOperation(first!.id, 'dead', {
          status: 'succeeded',
          steps: [],
        }),
      ).toBe(false);
      expect(
        await store.queue.finishOperation(first!.id, 'alive', {
          status: 'succeeded',
          steps: [],
        }),
      ).toBe(true);
    });

    it('retries later after a transient error', async () => {
      await store.createEnvironment({
        spec: spec('t1'),
        cluster: 'local',
        namespace: 'env-t1',
        createdBy: 'u',
      });
      const op = (await store.queue.claimNext('w', {
        leaseMs: 60_000,
        maxPerCluster: 5,
      }))!;
      await store.queue.retryLater(
        op.id,
        'w',
        60_000,
        [],
        'API server unavailable',
      );
      expect(
        await store.queue.claimNext('w', { leaseMs: 60_000, maxPerCluster: 5 }),
      ).toBeUndefined();
      expect(await store.queue.getOperation(op.id)).toMatchObject({
        status: 'pending',
        error: 'API server unavailable',
      });
    });

    it('syncs the registry and reports registrations and deregistrations', async () => {
      const entry = {
        environment: 'feat',
        service: 'game',
        instance: 'game-0',
        version: '1',
        address: '10.0.0.1',
        ports: [{ name: 'game', port: 7000 }],
        ready: true,
      };
      expect(
        (await store.registry.syncRegistry('feat', [entry])).map(e => e.action),
      ).toEqual(['register']);
      expect(await store.registry.syncRegistry('feat', [entry])).toEqual([]);
      expect(
        (
          await store.registry.syncRegistry('feat', [
            { ...entry, version: '2' },
          ])
        ).map(e => [e.action, e.entry.version]),
      ).toEqual([['register', '2']]);
      const gone = await store.registry.syncRegistry('feat', []);
      expect(gone.map(e => [e.action, e.entry.instance])).toEqual([
        ['deregister', 'game-0'],
      ]);
      expect(await store.registry.listRegistry('feat')).toEqual([]);
    });

    it('delivers each registration event once per registrar and retries failures', async () => {
      const events = [
        {
          key: 'register:feat/game/game-0:uid1',
          environment: 'feat',
          event: { action: 'register' },
        },
      ];
      await store.registry.enqueueRegistrations(['webhook'], events);
      await store.registry.enqueueRegistrations(['webhook'], events); // a second replica observing the same change
      const due = await store.registry.dueRegistrations(['webhook']);
      expect(due).toHaveLength(1);
      await store.registry.registrationFailed(
        due[0].id,
        'connection refused',
        60_000,
      );
      expect(await store.registry.dueRegistrations(['webhook'])).toHaveLength(
        0,
      );
      expect(await store.registry.registrarStatus('feat')).toEqual({
        webhook: {
          pending: 1,
          failed: 0,
          attempts: 1,
          lastError: 'connection refused',
        },
      });
    });
  });
});
