/*
 * What a caller may ask for (issue #11): owners among their own refs, bases they may use and
 * referenced by id, destroy that says what becomes of dependants, and what the cluster's policy
 * lets a spec reach. Requests are only recorded here; no worker runs them.
 */
import { ConflictError, NotAllowedError } from '@backstage/errors';
import type { ServiceDefinition } from '@archipelago/plugin-environments-common';
import { ValidationError } from '../errors';
import { serviceWithoutCluster } from '../__testUtils__/service';
import type { Caller } from './EnvironmentsService';

jest.setTimeout(60_000);

const catalog: Record<string, ServiceDefinition> = {
  'component:default/global': {
    image: 'registry.local/studio/global',
    kind: 'http',
    defaultVersion: '1.0',
    ports: [{ name: 'http', port: 8080 }],
  },
  'component:default/island': {
    image: 'registry.local/studio/island',
    kind: 'socket',
    defaultVersion: '1',
    ports: [{ name: 'game', port: 10001 }],
    security: { capabilities: ['SYS_TIME'] },
  },
};

/** A user who owns what `refs` name and may use the bases in `bases`. */
const user = (refs: string[], bases: string[] = []): Caller => ({
  ref: refs[0],
  mayOwn: async owner => refs.includes(owner),
  mayUseBase: async name => bases.includes(name),
});
const guest = user(['user:default/guest', 'group:default/backend']);
const spec = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  owner: 'group:default/backend',
  purpose: 'feature',
  services: [{ name: 'global' }],
  ...extra,
});

describe('who may ask for what', () => {
  it('creates only for an owner among the caller’s refs, and records nothing otherwise', async () => {
    const { store, service } = await serviceWithoutCluster(catalog);
    await expect(
      service.create(spec('theirs', { owner: 'group:default/design' }), guest),
    ).rejects.toThrow(
      new NotAllowedError(
        'owner: you may create environments only for yourself or a group you belong to, not for group:default/design (the permission policy refuses environments.environment.create.for-others)',
      ),
    );
    await expect(
      service.dryRun(spec('theirs', { owner: 'group:default/design' }), guest),
    ).rejects.toBeInstanceOf(NotAllowedError);
    expect(await store.getEnvironment('theirs')).toBeUndefined();
    const { environment } = await service.create(spec('mine'), guest);
    expect(environment.owner).toBe('group:default/backend');
    expect(environment.createdBy).toBe('user:default/guest');
  });

  it('needs permission on a base, and keeps the base by id: a namesake never inherits dependants', async () => {
    const { store, service } = await serviceWithoutCluster(catalog);
    await service.create(
      spec('integration', { purpose: 'integration' }),
      'system',
    );
    await expect(
      service.create(
        spec('feat', { base: 'integration', services: [] }),
        guest,
      ),
    ).rejects.toThrow(
      /^base: you may not use environment "integration" as a base/,
    );
    expect(await store.getEnvironment('feat')).toBeUndefined();

    const allowed = user(
      ['user:default/guest', 'group:default/backend'],
      ['integration'],
    );
    await service.create(
      spec('feat', { base: 'integration', services: [] }),
      allowed,
    );
    const first = (await store.getEnvironment('integration'))!;
    const feat = (await store.getEnvironment('feat'))!;
    expect(feat.baseId).toBe(first.id);

    // Destroying a base with live dependants says what becomes of them.
    await expect(
      service.destroy('integration', 'user:default/guest'),
    ).rejects.toThrow(
      new ConflictError(
        'dependants: integration is the base of feat. Choose what becomes of them: orphan (they stay, and stop falling back to it) or destroy (they are destroyed too)',
      ),
    );
    expect(
      (await store.queue.listOperations(first.id)).map(o => o.type),
    ).toEqual(['create']);
    const op = await service.destroy(
      'integration',
      'user:default/guest',
      'destroy',
      {
        dependants: 'orphan',
      },
    );
    expect(op.params).toEqual({
      dependants: 'orphan',
      dependantNames: ['feat'],
    });

    // The destroy finishes; a new "integration" is someone else's and no base of feat.
    await store.markDestroyed(first.id, 'destroy');
    await service.create(
      spec('integration', { purpose: 'integration' }),
      'system',
    );
    const second = (await store.getEnvironment('integration'))!;
    expect(second.id).not.toBe(first.id);
    expect(await store.listDependants(second.id)).toEqual([]);
    const { chain } = await service.fallbacks(feat);
    expect(chain).toEqual([]);
    // It no longer names a base: the old one is gone, and the namesake is a stranger.
    expect((await service.view(feat)).base).toBeUndefined();
  });

  it('destroys dependants only with the delete permission on each', async () => {
    const { store, service } = await serviceWithoutCluster(catalog);
    await service.create(
      spec('integration', { purpose: 'integration' }),
      'system',
    );
    await service.create(
      spec('feat', { base: 'integration', services: [] }),
      'system',
    );
    await expect(
      service.destroy('integration', 'user:default/guest', 'destroy', {
        dependants: 'destroy',
        mayDestroy: async name => name !== 'feat',
      }),
    ).rejects.toThrow(/^dependants: you may not destroy feat/);
    const feat = (await store.getEnvironment('feat'))!;
    expect(
      (await store.queue.listOperations(feat.id)).map(o => o.type),
    ).toEqual(['create']);
    await service.destroy('integration', 'user:default/guest', 'destroy', {
      dependants: 'destroy',
      mayDestroy: async () => true,
    });
    expect(
      (await store.queue.listOperations(feat.id)).map(o => o.type),
    ).toEqual(['destroy', 'create']);
  });

  it('refuses a second live environment on a namespace', async () => {
    const { store, service } = await serviceWithoutCluster(catalog);
    await service.create(spec('one'), 'system');
    const one = (await store.getEnvironment('one'))!;
    await expect(
      store.createEnvironment({
        spec: { ...one.spec, name: 'two' },
        cluster: one.cluster,
        namespace: one.namespace,
        createdBy: 'system',
      }),
    ).rejects.toThrow(
      /^name: namespace env-one on cluster local already belongs to a live environment/,
    );
    expect(await store.getEnvironment('two')).toBeUndefined();
  });
});

describe("what the cluster's policy lets a spec reach", () => {
  const policy = {
    policy: {
      allowedRegistries: ['registry.local/'],
      allowedNodeSelectorKeys: ['archipelago.dev/pool'],
      allowedCapabilities: ['SYS_TIME'],
      ingressHostSuffix: '.dev.studio.local',
    },
  };

  it('refuses, by field, images, nodeSelectors, capabilities and hosts it does not allow', async () => {
    const { store, service } = await serviceWithoutCluster(catalog, policy);
    const refused = await service
      .create(
        spec('feat', {
          services: [
            {
              name: 'global',
              image: 'docker.io/someone/global:1',
              nodeSelector: { 'kubernetes.io/hostname': 'prod-1' },
              ingress: { host: 'shop.studio.com' },
            },
          ],
        }),
        guest,
      )
      .catch(e => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect(refused.errors.map((e: { path: string }) => e.path)).toEqual([
      'services[0].image',
      'services[0].nodeSelector.kubernetes.io/hostname',
      'services[0].ingress.host',
    ]);
    expect(await store.getEnvironment('feat')).toBeUndefined();
    // Capabilities come from the definition; the cluster allows SYS_TIME.
    await service.create(
      spec('islands', { services: [{ name: 'island' }] }),
      guest,
    );
  });

  it("refuses another live environment's ingress host, at create and at deploy", async () => {
    const { store, service } = await serviceWithoutCluster(catalog, policy);
    const withHost = (host: string) => [{ name: 'global', ingress: { host } }];
    await service.create(
      spec('a', { services: withHost('a.dev.studio.local') }),
      guest,
    );
    const refused = await service
      .create(spec('b', { services: withHost('a.dev.studio.local') }), guest)
      .catch(e => e);
    expect(refused.errors).toEqual([
      {
        path: 'services[0].ingress.host',
        message: '"a.dev.studio.local" is already the host of environment "a"',
      },
    ]);
    await service.create(
      spec('b', { services: withHost('b.dev.studio.local') }),
      guest,
    );
    // A deploy re-checks the services it changes (here, an image from another registry).
    const b = (await store.getEnvironment('b'))!;
    const deploy = await service
      .requestOperation(
        'b',
        {
          type: 'deploy',
          services: [{ name: 'global', image: 'quay.io/x/global:2' }],
        },
        guest.ref,
      )
      .catch(e => e);
    expect(deploy.errors.map((e: { path: string }) => e.path)).toEqual([
      'services[0].image',
    ]);
    expect((await store.getEnvironment('b'))!.revision).toBe(b.revision);
  });
});

describe('caps per owner', () => {
  it('refuses more live environments, or more queued operations, than an owner may hold', async () => {
    const { store, service } = await serviceWithoutCluster(
      catalog,
      {},
      { limits: { environmentsPerOwner: 2, queuedOperationsPerOwner: 3 } },
    );
    await service.create(spec('one'), guest);
    await service.create(spec('two'), guest);
    await expect(service.create(spec('three'), guest)).rejects.toThrow(
      /^owner: group:default\/backend already has 2 live environments \(environments.limits.environmentsPerOwner is 2\)/,
    );
    expect(await store.getEnvironment('three')).toBeUndefined();
    // Two creates are queued; one more operation fits, the next does not.
    await service.requestOperation('one', { type: 'restart' }, guest.ref);
    await expect(
      service.requestOperation('two', { type: 'restart' }, guest.ref),
    ).rejects.toThrow(
      /^owner: group:default\/backend already has 3 operations waiting to run/,
    );
    // Another owner is not held back by them.
    await service.create(
      spec('design-one', { owner: 'group:default/design' }),
      'system',
    );
  });
});

describe('secret values', () => {
  it('are never returned by get, list, revisions or a dry run, are rendered by reference, and go at destroy', async () => {
    const { store, reconciler, service } = await serviceWithoutCluster(catalog);
    const secret = 'correct-horse-battery-staple';
    const request = spec('vault', {
      services: [
        { name: 'global', secrets: { DB_PASSWORD: { value: secret } } },
      ],
    });
    const dry = await service
      .dryRun(request, guest)
      .catch(e => ({ error: String(e) }));
    expect(JSON.stringify(dry)).not.toContain(secret);
    const created = await service.create(request, guest);
    expect(JSON.stringify(created)).not.toContain(secret);
    const env = (await store.getEnvironment('vault'))!;
    expect(JSON.stringify(await service.view(env))).not.toContain(secret);
    expect(JSON.stringify(await service.list({}))).not.toContain(secret);
    expect(JSON.stringify(await service.revisions(env))).not.toContain(secret);
    expect(JSON.stringify(await service.operations(env))).not.toContain(secret);
    expect(JSON.stringify(await store.listRevisions(env.id))).not.toContain(
      secret,
    );
    // The reconciler renders it into the environment's Secret; pods reference it.
    const input = await reconciler.renderInput(env);
    expect(input.secretValues).toEqual({ 'global.DB_PASSWORD': secret });
    expect(input.services[0].secrets).toEqual({
      DB_PASSWORD: { name: 'archipelago-secrets', key: 'global.DB_PASSWORD' },
    });
    // A deploy keeps the reference, and the value.
    await service.requestOperation(
      'vault',
      { type: 'deploy', services: [{ name: 'global', version: '2.0' }] },
      guest.ref,
    );
    const deployed = (await store.getEnvironment('vault'))!;
    expect(deployed.revision).toBe(2);
    expect(
      (await reconciler.renderInput(deployed)).services[0].secrets,
    ).toEqual(input.services[0].secrets);
    expect(await store.getSecretValues(env.id)).toEqual({
      'global.DB_PASSWORD': secret,
    });
    await store.markDestroyed(env.id, 'destroy');
    expect(await store.getSecretValues(env.id)).toEqual({});
  });

  it('purges the revisions of environments destroyed before the retention cutoff', async () => {
    const { store, service } = await serviceWithoutCluster(catalog);
    await service.create(spec('old'), 'system');
    await service.create(spec('kept'), 'system');
    const old = (await store.getEnvironment('old'))!;
    const kept = (await store.getEnvironment('kept'))!;
    await store.markDestroyed(old.id, 'destroy');
    expect(
      await store.purgeDestroyedRevisions(new Date(Date.now() - 60_000)),
    ).toBe(0);
    expect(
      await store.purgeDestroyedRevisions(new Date(Date.now() + 1000)),
    ).toBe(1);
    expect(await store.listRevisions(old.id)).toEqual([]);
    expect(await store.listRevisions(kept.id)).toHaveLength(1);
  });
});

describe('an ingress host is one environment’s, even under concurrent requests', () => {
  it('lets only one of two parallel creates take a host, and frees it at destroy', async () => {
    const { store, service } = await serviceWithoutCluster(catalog);
    const withHost = (name: string) =>
      spec(name, {
        services: [
          { name: 'global', ingress: { host: 'race.dev.studio.local' } },
        ],
      });
    const results = await Promise.allSettled([
      service.create(withHost('race-a'), guest),
      service.create(withHost('race-b'), guest),
      service.create(withHost('race-c'), guest),
    ]);
    const won = results.filter(r => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    for (const r of results.filter(x => x.status === 'rejected'))
      expect(String((r as PromiseRejectedResult).reason)).toMatch(
        /race\.dev\.studio\.local.* already the host of/,
      );
    const winner = (won[0] as PromiseFulfilledResult<any>).value.environment
      .name;
    await store.markDestroyed(
      (await store.getEnvironment(winner))!.id,
      'destroy',
    );
    await service.create(withHost('race-d'), guest);
  });
});

describe('rollback and deploy under the cluster policy', () => {
  it("checks what a rollback restores against today's policy, and keeps hosts in step with what is stored", async () => {
    const policy = {
      policy: { ingressHostSuffix: '.dev.studio.local' },
    };
    const { store, service } = await serviceWithoutCluster(catalog, policy);
    await service.create(
      spec('roll', {
        services: [
          { name: 'global', ingress: { host: 'roll.dev.studio.local' } },
        ],
      }),
      guest,
    );
    // Deploy by image: the old version goes (the image names its own).
    await service.requestOperation(
      'roll',
      {
        type: 'deploy',
        services: [{ name: 'global', image: 'registry.local/studio/global:9' }],
      },
      guest.ref,
    );
    const env = (await store.getEnvironment('roll'))!;
    expect(env.spec.services[0]).toMatchObject({
      image: 'registry.local/studio/global:9',
    });
    expect(env.spec.services[0].version).toBeUndefined();
    // The host is held by roll: another environment cannot take it.
    const taken = await service
      .create(
        spec('other', {
          services: [
            { name: 'global', ingress: { host: 'roll.dev.studio.local' } },
          ],
        }),
        guest,
      )
      .catch(e => e);
    expect(taken.errors[0].message).toContain(
      'already the host of environment "roll"',
    );
    // A rollback to revision 1 claims the host again and passes today's policy.
    await service.requestOperation(
      'roll',
      { type: 'rollback', revision: 1 },
      guest.ref,
    );
    expect((await store.getEnvironment('roll'))!.revision).toBe(3);
  });
});
