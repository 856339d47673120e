import { TestDatabases, mockServices } from '@backstage/backend-test-utils';
import type { Knex } from 'knex';
import type {
  EnvironmentRegistrar,
  RegistrationEvent,
} from '@archipelago/plugin-environments-node';
import { EnvironmentStore } from '../store/EnvironmentStore';
import { RegistrarDispatcher, registrarBackoffMs } from './Registrars';

jest.setTimeout(30_000);

const databases = TestDatabases.create({
  ids: ['SQLITE_3'],
  disableDocker: true,
});

const events = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    key: `${prefix}-${i}`,
    environment: 'feat',
    event: { action: 'register', entry: { instance: `${prefix}-${i}` } },
  }));

/** A registrar that records what it is handed, failing or waiting as told. */
function registrar(
  name: string,
  behaviour: (event: RegistrationEvent) => Promise<void> = async () => {},
) {
  const received: string[] = [];
  const r: EnvironmentRegistrar = {
    name,
    handle: async event => {
      await behaviour(event);
      received.push((event.entry as { instance: string }).instance);
    },
  };
  return { registrar: r, received };
}

describe('RegistrarDispatcher', () => {
  let knex: Knex;
  let store: EnvironmentStore;
  const logger = mockServices.logger.mock();
  beforeEach(async () => {
    knex = await databases.init('SQLITE_3');
    store = await EnvironmentStore.create(knex);
  });
  const outbox = () => knex('environment_registrar_outbox');

  it('delivers events in order and deletes them once delivered', async () => {
    const hook = registrar('webhook');
    await store.registry.enqueueRegistrations(['webhook'], events('e', 3));
    const dispatcher = new RegistrarDispatcher(store, [hook.registrar], logger);
    await dispatcher.tick();
    expect(hook.received).toEqual(['e-0', 'e-1', 'e-2']);
    expect(await outbox()).toEqual([]);
    await dispatcher.tick();
    expect(hook.received).toHaveLength(3);
  });

  it('gives up on an event after maxAttempts failures and shows it as failed', async () => {
    const down = registrar('webhook', async () => {
      throw new Error('503 Service Unavailable');
    });
    await store.registry.enqueueRegistrations(['webhook'], events('f', 1));
    const dispatcher = new RegistrarDispatcher(
      store,
      [down.registrar],
      logger,
      {
        maxAttempts: 3,
      },
    );
    for (let i = 0; i < 5; i++) {
      await dispatcher.tick();
      // Skip the backoff: make the event due again at once.
      await outbox().update({ next_attempt_at: new Date(0) });
    }
    const [row] = await outbox();
    expect(row.attempts).toBe(3);
    expect(row.failed_at).not.toBeNull();
    expect(await store.registry.registrarStatus('feat')).toEqual({
      webhook: {
        pending: 0,
        failed: 1,
        attempts: 0,
        lastError: '503 Service Unavailable',
      },
    });
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(/failed 3 times .*giving up/),
    );
  });

  it('backs off from 1 s to at most 5 minutes', () => {
    expect([0, 1, 2, 8, 9, 20].map(registrarBackoffMs)).toEqual([
      1000, 2000, 4000, 256_000, 256_000, 256_000,
    ]);
    expect(registrarBackoffMs(100)).toBeLessThanOrEqual(300_000);
  });

  it('keeps serving a registrar while another one hangs', async () => {
    let release!: () => void;
    const hanging = new Promise<void>(resolve => {
      release = resolve;
    });
    const slow = registrar('slow', () => hanging);
    const fast = registrar('fast');
    await store.registry.enqueueRegistrations(['slow', 'fast'], events('h', 2));
    const dispatcher = new RegistrarDispatcher(
      store,
      [slow.registrar, fast.registrar],
      logger,
    );
    const first = dispatcher.tick();
    for (let i = 0; i < 100 && fast.received.length < 2; i++)
      await new Promise(r => setTimeout(r, 10));
    expect(fast.received).toEqual(['h-0', 'h-1']);
    // Another round while the slow registrar is still busy: the fast one is served again,
    // the slow one is not handed its events twice.
    await store.registry.enqueueRegistrations(['fast'], events('later', 1));
    await dispatcher.tick();
    expect(fast.received).toEqual(['h-0', 'h-1', 'later-0']);
    expect(slow.received).toEqual([]);
    release();
    await first;
    expect(slow.received).toEqual(['h-0', 'h-1']);
    expect(await outbox()).toEqual([]);
  });

  it('does not let events of a removed registrar hold up the configured ones, and drops them after the grace period', async () => {
    const hook = registrar('webhook');
    await store.registry.enqueueRegistrations(['removed'], events('old', 60));
    await store.registry.enqueueRegistrations(['webhook'], events('new', 1));
    const dispatcher = new RegistrarDispatcher(
      store,
      [hook.registrar],
      logger,
      {
        batchPerRegistrar: 50,
        unconfiguredAfterMs: 3600_000,
      },
    );
    await dispatcher.tick();
    expect(hook.received).toEqual(['new-0']);
    // Within the grace period the removed registrar's events stay (a replica may have it).
    expect(await outbox().where({ registrar: 'removed' })).toHaveLength(60);

    const later = new RegistrarDispatcher(store, [], logger, {
      unconfiguredAfterMs: 0,
    });
    await later.tick();
    expect(await outbox()).toEqual([]);
  });
});
