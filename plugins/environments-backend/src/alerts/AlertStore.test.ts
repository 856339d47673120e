/*
 * Alert state on SQLite and PostgreSQL: concurrent claims of the same alert (as two replicas
 * make them) are won by exactly one caller, for firing and for resolving; a condition dropped
 * by one replica while another decides to fire starts over; settings, watchers and history.
 */
import { join } from 'node:path';
import type { Knex } from 'knex';
import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { EnvironmentStore } from '../store/EnvironmentStore';

const migrations = {
  directory: join(__dirname, '../../migrations'),
  tableName: 'environments_knex_migrations',
};

jest.setTimeout(60_000);

const ids: TestDatabaseId[] = ['SQLITE_3', 'POSTGRES_15'];
const databases = TestDatabases.create({ ids, disableDocker: true });

describe('AlertStore', () => {
  describe.each(databases.eachSupportedId())('on %p', databaseId => {
    let store: EnvironmentStore;
    let knex: Knex;
    let envId: string;
    beforeEach(async () => {
      knex = await databases.init(databaseId);
      store = await EnvironmentStore.create(knex);
      envId = (
        await store.createEnvironment({
          spec: {
            name: `alerts-${Math.random().toString(36).slice(2, 8)}`,
            owner: 'group:default/backend',
            purpose: 'feature',
            services: [{ name: 'game' }],
          },
          cluster: 'local',
          namespace: `env-a-${Math.random().toString(36).slice(2, 8)}`,
          createdBy: 'x',
        })
      ).environment.id;
    });

    it('lets exactly one of many concurrent claims fire an alert, and one resolve it', async () => {
      const t0 = new Date(Date.now() - 600_000);
      const now = new Date();
      await store.alerts.markPending(envId, 'degraded', 'environment', t0);
      const claims = await Promise.all(
        Array.from({ length: 8 }, () =>
          store.alerts.claimFire(
            envId,
            'degraded',
            'environment',
            { title: 'Environment x is Degraded', details: [] },
            t0,
            now,
          ),
        ),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      // Fired: no later claim wins until it resolves.
      expect(
        await store.alerts.claimFire(
          envId,
          'degraded',
          'environment',
          { title: 't', details: [] },
          t0,
          now,
        ),
      ).toBe(false);
      expect(await store.alerts.states(envId)).toEqual([
        {
          rule: 'degraded',
          key: 'environment',
          pendingSince: t0,
          firedAt: now,
          title: 'Environment x is Degraded',
        },
      ]);
      const resolves = await Promise.all(
        Array.from({ length: 8 }, () =>
          store.alerts.claimResolve(envId, 'degraded', 'environment'),
        ),
      );
      expect(resolves.filter(Boolean)).toHaveLength(1);
      expect(await store.alerts.states(envId)).toEqual([]);
    });

    it('fires a first-seen condition with no wait, once', async () => {
      const now = new Date();
      const claims = await Promise.all(
        [1, 2].map(() =>
          store.alerts.claimFire(
            envId,
            'operationFailed',
            'op-1',
            { title: 'Operation deploy failed in x', details: ['boom'] },
            now,
            now,
          ),
        ),
      );
      expect(claims.sort()).toEqual([false, true]);
      // Never resolves: only a fired row of a resolving rule is resolved, and it is kept.
      expect(await store.alerts.states(envId)).toHaveLength(1);
    });

    it('does not fire a condition another replica saw clear meanwhile', async () => {
      const t0 = new Date(Date.now() - 600_000);
      await store.alerts.markPending(envId, 'crashLoop', 'p/c', t0);
      // Replica B saw it clear and dropped it; replica A decided to fire from t0.
      await store.alerts.forget(envId, 'crashLoop', 'p/c');
      const now = new Date();
      expect(
        await store.alerts.claimFire(
          envId,
          'crashLoop',
          'p/c',
          { title: 't', details: [] },
          t0,
          now,
        ),
      ).toBe(false);
      // It starts over from now.
      expect(await store.alerts.states(envId)).toEqual([
        {
          rule: 'crashLoop',
          key: 'p/c',
          pendingSince: now,
          firedAt: undefined,
          title: undefined,
        },
      ]);
    });

    it('carries an expiry already warned about over as a fired expiring alert', async () => {
      const expiresAt = new Date(Date.now() + 20 * 60_000);
      const { environment } = await store.createEnvironment({
        spec: {
          name: 'warned-before',
          owner: 'group:default/backend',
          purpose: 'feature',
          services: [{ name: 'game' }],
        },
        cluster: 'local',
        namespace: 'env-warned-before',
        createdBy: 'x',
        expiresAt,
      });
      // As the expiry warning of 20261213000000 left it, before this migration ran.
      await knex.migrate.down({
        ...migrations,
        name: '20261214000000_alerts.js',
      });
      await knex('environments')
        .where({ id: environment.id })
        .update({ expiry_warned_for: knex.ref('expires_at') });
      await knex.migrate.latest(migrations);
      expect(await store.alerts.states(environment.id)).toEqual([
        expect.objectContaining({
          rule: 'expiring',
          key: expiresAt.toISOString(),
          firedAt: expect.any(Date),
        }),
      ]);
      // The environment without a warning has no state.
      expect(await store.alerts.states(envId)).toEqual([]);
    });

    it('keeps settings, watchers and history', async () => {
      expect(await store.alerts.getSettings(envId)).toEqual({ rules: {} });
      await store.alerts.setSettings(
        envId,
        { rules: { degradedFor: '10m' }, channels: ['team-ding'] },
        'user:default/ann',
      );
      await store.alerts.setSettings(
        envId,
        { rules: { crashLoop: 'off' } },
        'user:default/bob',
      );
      expect(await store.alerts.getSettings(envId)).toEqual({
        rules: { crashLoop: 'off' },
        channels: undefined,
        updatedBy: 'user:default/bob',
        updatedAt: expect.any(Date),
      });
      expect((await store.alerts.allSettings([envId])).get(envId)).toEqual({
        rules: { crashLoop: 'off' },
        channels: undefined,
      });
      await store.alerts.watch(envId, 'user:default/ann');
      await store.alerts.watch(envId, 'user:default/ann');
      await store.alerts.watch(envId, 'user:default/bob');
      expect(await store.alerts.watchers(envId)).toEqual([
        'user:default/ann',
        'user:default/bob',
      ]);
      await store.alerts.unwatch(envId, 'user:default/ann');
      expect(await store.alerts.watchers(envId)).toEqual(['user:default/bob']);
      const at = new Date();
      await store.alerts.record(envId, {
        rule: 'degraded',
        key: 'environment',
        kind: 'firing',
        title: 'Environment x is Degraded',
        details: ['game: 0/1'],
        at,
      });
      await store.alerts.record(envId, {
        rule: 'degraded',
        key: 'environment',
        kind: 'resolved',
        title: 'Environment x recovered',
        details: [],
        at,
      });
      expect(
        (await store.alerts.history(envId)).map(e => [e.kind, e.title]),
      ).toEqual([
        ['resolved', 'Environment x recovered'],
        ['firing', 'Environment x is Degraded'],
      ]);
    });
  });
});
