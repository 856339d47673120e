/*
 * A revision pins the service definitions it was made from: a catalog edit reaches an
 * environment at its next deploy of that service, never behind its back, and a rollback
 * restores the definitions of the revision it returns to. The render input is what the
 * reconciler (and drift repair) would apply.
 */
import type { ServiceDefinition } from '@archipelago/plugin-environments-common';
import type { Reconciler } from '../reconcile/Reconciler';
import type { EnvironmentStore } from '../store/EnvironmentStore';
import type { EnvironmentsService } from './EnvironmentsService';
import { serviceWithoutCluster } from '../__testUtils__/service';

jest.setTimeout(60_000);

describe('pinned service definitions', () => {
  const catalog: Record<string, ServiceDefinition> = {};
  const define = (logLevel: string) => {
    catalog['component:default/global'] = {
      image: 'registry.local/studio/global',
      kind: 'http',
      defaultVersion: '1.0',
      ports: [{ name: 'http', port: 8080 }],
      env: { LOG_LEVEL: logLevel },
    };
    catalog['component:default/game'] = {
      image: 'registry.local/studio/game',
      kind: 'socket',
      defaultVersion: '1',
      ports: [{ name: 'game', port: 10001 }],
      env: { LOG_LEVEL: logLevel },
    };
  };

  let store: EnvironmentStore;
  let service: EnvironmentsService;
  let reconciler: Reconciler;
  beforeEach(async () => {
    define('info');
    ({ store, service, reconciler } = await serviceWithoutCluster(catalog));
  });

  const logLevels = async () => {
    const env = (await store.getEnvironment('feat-pin'))!;
    const input = await reconciler.renderInput(env);
    return Object.fromEntries(
      input.services.map(s => [`${s.name}@${s.version}`, s.env.LOG_LEVEL]),
    );
  };

  it('keeps a running environment on the definitions it was deployed with', async () => {
    await service.create(
      {
        name: 'feat-pin',
        owner: 'group:default/backend',
        purpose: 'feature',
        services: [{ name: 'global' }, { name: 'game' }],
      },
      'user:default/guest',
    );
    expect(await logLevels()).toEqual({
      'global@1.0': 'info',
      'game@1': 'info',
    });

    // The catalog changes: nothing reaches the environment by itself.
    define('debug');
    expect(await logLevels()).toEqual({
      'global@1.0': 'info',
      'game@1': 'info',
    });

    // A deploy of game takes game's current definition, and only game's.
    await service.requestOperation(
      'feat-pin',
      { type: 'deploy', services: [{ name: 'game', version: '2' }] },
      'user:default/guest',
    );
    expect(await logLevels()).toEqual({
      'global@1.0': 'info',
      'game@2': 'debug',
    });

    // A rollback restores revision 1's definitions too.
    await service.requestOperation(
      'feat-pin',
      { type: 'rollback', revision: 1 },
      'user:default/guest',
    );
    expect(await logLevels()).toEqual({
      'global@1.0': 'info',
      'game@1': 'info',
    });
    const revisions = await store.listRevisions(
      (await store.getEnvironment('feat-pin'))!.id,
    );
    expect(revisions.map(r => [r.revision, r.reason])).toEqual([
      [3, 'rollback to revision 1'],
      [2, 'deploy game@2'],
      [1, 'create'],
    ]);
  });
});
