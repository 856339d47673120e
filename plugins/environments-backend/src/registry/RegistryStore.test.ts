import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import type { Knex } from 'knex';
import { EnvironmentStore } from '../store/EnvironmentStore';

jest.setTimeout(60_000);

const ids: TestDatabaseId[] = ['SQLITE_3', 'POSTGRES_15'];
const databases = TestDatabases.create({ ids, disableDocker: true });

const events = (prefix: string, n: number, environment = 'feat') =>
  Array.from({ length: n }, (_, i) => ({
    key: `${prefix}-${i}`,
    environment,
    event: { action: 'register', n: i },
  }));

describe('RegistryStore outbox', () => {
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
    const outbox = () => knex('environment_registrar_outbox');

    it('deletes a delivered event', async () => {
      await store.registry.enqueueRegistrations(['webhook'], events('e', 2));
      const [first] = await store.registry.dueRegistrations(['webhook']);
      await store.registry.registrationDelivered(first.id);
      expect(await outbox().pluck('event_key')).toEqual(['e-1']);
      expect(await store.registry.registrarStatus('feat')).toEqual({
        webhook: { pending: 1, failed: 0, attempts: 0 },
      });
    });

    it('marks an event failed after maxAttempts failed deliveries, keeps it for the view and retries it no more', async () => {
      await store.registry.enqueueRegistrations(['webhook'], events('f', 1));
      const [item] = await store.registry.dueRegistrations(['webhook']);
      const outcomes: boolean[] = [];
      const dueAfter: number[][] = [];
      for (let i = 1; i <= 3; i++) {
        outcomes.push(
          await store.registry.registrationFailed(
            item.id,
            `refused ${i}`,
            0,
            3,
          ),
        );
        // Due again at once (no backoff here) until it is marked failed.
        dueAfter.push(
          (await store.registry.dueRegistrations(['webhook'])).map(
            d => d.attempts,
          ),
        );
      }
      expect(dueAfter).toEqual([[1], [2], []]);
      expect(outcomes).toEqual([false, false, true]);
      // Due by its time, but failed: never handed out again.
      expect(await store.registry.dueRegistrations(['webhook'])).toEqual([]);
      expect(await store.registry.registrarStatus('feat')).toEqual({
        webhook: { pending: 0, failed: 1, attempts: 0, lastError: 'refused 3' },
      });
      const [row] = await outbox().where({ id: item.id });
      expect(row.failed_at).not.toBeNull();
      expect(row.attempts).toBe(3);
    });

    it('reports pending and failed events of a registrar side by side', async () => {
      await store.registry.enqueueRegistrations(['webhook'], events('s', 2));
      const [a, b] = await store.registry.dueRegistrations(['webhook']);
      await store.registry.registrationFailed(a.id, 'gone', 0, 1);
      await store.registry.registrationFailed(b.id, 'slow', 60_000, 5);
      expect(await store.registry.registrarStatus('feat')).toEqual({
        webhook: { pending: 1, failed: 1, attempts: 1, lastError: 'slow' },
      });
    });

    it('hands out events per registrar: a removed registrar’s backlog takes no one’s place', async () => {
      // 60 older events of a registrar no longer configured, then one of the webhook.
      await store.registry.enqueueRegistrations(['removed'], events('old', 60));
      await store.registry.enqueueRegistrations(['webhook'], events('new', 1));
      const due = await store.registry.dueRegistrations(['webhook'], 50);
      expect(due.map(d => [d.registrar, d.event.n])).toEqual([['webhook', 0]]);
      // Each registrar gets its own batch.
      const both = await store.registry.dueRegistrations(
        ['removed', 'webhook'],
        5,
      );
      expect(both.filter(d => d.registrar === 'removed')).toHaveLength(5);
      expect(both.filter(d => d.registrar === 'webhook')).toHaveLength(1);
    });

    it('purges events of removed registrars after the grace period, old failed events and events delivered before', async () => {
      await store.registry.enqueueRegistrations(['removed'], events('old', 3));
      await store.registry.enqueueRegistrations(['webhook'], events('live', 3));
      const live = await store.registry.dueRegistrations(['webhook']);
      await store.registry.registrationFailed(live[0].id, 'gave up', 0, 1);
      // As an older version left a delivered event: marked, not deleted.
      await outbox()
        .where({ id: live[1].id })
        .update({ delivered_at: new Date() });

      const within = await store.registry.purgeOutbox({
        configured: ['webhook'],
        unconfiguredAfterMs: 3600_000,
        failedForMs: 3600_000,
      });
      expect(within).toEqual({ delivered: 1, unconfigured: 0, failed: 0 });
      expect(await outbox().where({ registrar: 'removed' })).toHaveLength(3);

      // Later: the removed registrar's events and the failed one are past their time.
      await outbox()
        .where({ registrar: 'removed' })
        .update({ created_at: new Date(Date.now() - 2 * 3600_000) });
      await outbox()
        .where({ id: live[0].id })
        .update({ failed_at: new Date(Date.now() - 2 * 3600_000) });
      const later = await store.registry.purgeOutbox({
        configured: ['webhook'],
        unconfiguredAfterMs: 3600_000,
        failedForMs: 3600_000,
      });
      expect(later).toEqual({ delivered: 0, unconfigured: 3, failed: 1 });
      expect((await outbox().pluck('id')).map(Number)).toEqual([live[2].id]);
    });

    it('purges every event of registrars when none is configured any more', async () => {
      await store.registry.enqueueRegistrations(['a', 'b'], events('x', 2));
      const purged = await store.registry.purgeOutbox({
        configured: [],
        unconfiguredAfterMs: 0,
        failedForMs: 3600_000,
      });
      expect(purged.unconfigured).toBe(4);
      expect(await outbox()).toEqual([]);
    });
  });
});
