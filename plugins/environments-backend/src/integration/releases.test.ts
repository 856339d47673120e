/*
 * Gray releases against the real local test cluster (docs/releases.md): for an http service
 * and a socket service, a release from 1.0.0000 to 1.0.0001 with a header rule runs both
 * versions side by side with the rule in the HTTPRoute the API server stored (the Gateway
 * API's CRDs validate it); a weight change; promote, after which only the new version runs;
 * abort of a later release; and a rollback across releases. Every step is read back from the
 * cluster, and the other service's pods are never touched.
 */
import { AppsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { ENVIRONMENT_LABEL } from '@archipelago/plugin-environments-common';
import {
  destroyAll,
  eventually,
  operationFinished,
  startEnvironmentsBackend,
  testKube,
  uniqueName,
} from '../__testUtils__/harness';

jest.setTimeout(400_000);

describe('releases on the local cluster', () => {
  let ctx: Awaited<ReturnType<typeof startEnvironmentsBackend>>;
  const { kc, core } = testKube();
  const apps = kc.makeApiClient(AppsV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const name = uniqueName('gray');
  const ns = () => `env-${name}`;

  const done = (id: string) => operationFinished(ctx.api, name, id);
  const operate = async (body: Record<string, unknown>) => {
    const res = await ctx.api.post(`/environments/${name}/operations`, body);
    expect(res.status).toBe(202);
    const op = await done(res.body.id);
    expect({ op: body, status: op.status, error: op.error }).toEqual({
      op: body,
      status: 'succeeded',
      error: undefined,
    });
    return op;
  };
  const route = async (service: string) =>
    (await custom.getNamespacedCustomObject({
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      namespace: ns(),
      plural: 'httproutes',
      name: service,
    })) as any;
  /** The route's rules as "header → backend" and the weighted backends. */
  const rulesOf = async (service: string) => {
    const r = await route(service);
    return r.spec.rules.map((rule: any) => ({
      header: rule.matches[0].headers?.[0]?.value,
      backends: rule.backendRefs.map((b: any) => `${b.name}=${b.weight}`),
    }));
  };
  const deployments = async () =>
    (await apps.listNamespacedDeployment({ namespace: ns() })).items
      .map(d => d.metadata!.name!)
      .sort();
  const statefulSets = async () =>
    (await apps.listNamespacedStatefulSet({ namespace: ns() })).items
      .map(d => d.metadata!.name!)
      .sort();
  const podUids = async (service: string) =>
    (
      await core.listNamespacedPod({
        namespace: ns(),
        labelSelector: `archipelago.dev/service=${service}`,
      })
    ).items
      .map(p => p.metadata!.uid!)
      .sort();
  const status = async () =>
    (await ctx.api.get(`/environments/${name}`)).body.status;

  beforeAll(async () => {
    ctx = await startEnvironmentsBackend({
      config: { queue: { pollInterval: '200ms' } },
    });
    const res = await ctx.api.post('/environments', {
      name,
      owner: 'group:default/backend',
      purpose: 'integration',
      services: [
        {
          name: 'global',
          version: '1.0.0000',
          replicas: 2,
          ingress: { host: `${name}.dev.local` },
        },
        { name: 'game', version: '1.0.0000', dependsOn: [] },
      ],
    });
    if (res.status !== 202) throw new Error(JSON.stringify(res.body));
    const created = await done(res.body.operation.id);
    if (created.status !== 'succeeded')
      throw new Error(`create failed: ${created.error}`);
  });

  afterAll(async () => {
    await destroyAll(ctx.api, core, [name]);
    await ctx?.backend.stop();
  });

  it('names each version after itself and routes the host through the Gateway', async () => {
    expect(await deployments()).toEqual(['global-v1-0-0000']);
    expect(await statefulSets()).toEqual(['game-v1-0-0000']);
    const r = await route('global');
    expect(r.spec.hostnames).toEqual([`${name}.dev.local`]);
    expect(r.spec.parentRefs).toEqual([
      {
        group: 'gateway.networking.k8s.io',
        kind: 'Gateway',
        namespace: 'archipelago-system',
        name: 'archipelago',
      },
      { group: '', kind: 'Service', name: 'global', port: 20001 },
    ]);
    expect(await rulesOf('global')).toEqual([
      { header: undefined, backends: ['global-v1-0-0000=100'] },
    ]);
    // The plain Services still answer, for every version.
    const plain = await core.readNamespacedService({
      name: 'global',
      namespace: ns(),
    });
    expect(plain.spec!.selector).toEqual({
      [ENVIRONMENT_LABEL]: name,
      'archipelago.dev/service': 'global',
    });
  });

  it('starts a release with a header rule beside the current version, for http and socket, leaving the other service alone', async () => {
    const gameBefore = await podUids('game');
    await operate({
      type: 'release-start',
      service: 'global',
      version: '1.0.0001',
      header: '1.0.0001',
    });
    expect(await podUids('game')).toEqual(gameBefore);
    expect(await deployments()).toEqual([
      'global-v1-0-0000',
      'global-v1-0-0001',
    ]);
    expect(await rulesOf('global')).toEqual([
      { header: '1.0.0001', backends: ['global-v1-0-0001=1'] },
      {
        header: undefined,
        backends: ['global-v1-0-0000=100', 'global-v1-0-0001=0'],
      },
    ]);
    const globalBefore = await podUids('global');
    await operate({
      type: 'release-start',
      service: 'game',
      version: '1.0.0001',
      header: '1.0.0001',
    });
    expect(await podUids('global')).toEqual(globalBefore);
    expect(await statefulSets()).toEqual(['game-v1-0-0000', 'game-v1-0-0001']);
    expect(await rulesOf('game')).toEqual([
      { header: '1.0.0001', backends: ['game-v1-0-0001=1'] },
      {
        header: undefined,
        backends: ['game-v1-0-0000=100', 'game-v1-0-0001=0'],
      },
    ]);
    const game = (await status()).services.find((s: any) => s.name === 'game');
    expect(
      game.versions.map((v: any) => ({
        version: v.version,
        primary: v.primary,
        header: v.header,
        ready: `${v.readyReplicas}/${v.desiredReplicas}`,
        retiring: v.retiring,
      })),
    ).toEqual([
      {
        version: '1.0.0000',
        primary: true,
        header: undefined,
        ready: '1/1',
        retiring: false,
      },
      {
        version: '1.0.0001',
        primary: false,
        header: '1.0.0001',
        ready: '1/1',
        retiring: false,
      },
    ]);
  });

  it('changes the weight, and refuses bad release requests by field with nothing changed', async () => {
    await operate({
      type: 'release-weight',
      service: 'global',
      version: '1.0.0001',
      weight: 30,
    });
    expect((await rulesOf('global'))[1].backends).toEqual([
      'global-v1-0-0000=70',
      'global-v1-0-0001=30',
    ]);
    await operate({
      type: 'release-weight',
      service: 'game',
      version: '1.0.0001',
      weight: 25,
    });
    expect((await rulesOf('game'))[1].backends).toEqual([
      'game-v1-0-0000=75',
      'game-v1-0-0001=25',
    ]);
    // Two releases at once are each checked against the other: together they would take
    // 120% of the traffic, so one is refused and the other's version is kept.
    const both = await Promise.all(
      ['1.0.0005', '1.0.0006'].map(v =>
        ctx.api.post(`/environments/${name}/operations`, {
          type: 'release-start',
          service: 'global',
          version: v,
          weight: 60,
        }),
      ),
    );
    expect(both.map(r => r.status).sort()).toEqual([202, 400]);
    const accepted = both.find(r => r.status === 202)!;
    expect((await done(accepted.body.id)).status).toBe('succeeded');
    const refusedOne = both.find(r => r.status === 400)!;
    expect(refusedOne.body.errors.map((e: any) => e.path)).toEqual(['weight']);
    await operate({
      type: 'release-abort',
      service: 'global',
      version: accepted.body.params.version,
    });
    const revision = (await ctx.api.get(`/environments/${name}`)).body.revision;
    const refused = [
      [
        {
          type: 'release-weight',
          service: 'global',
          version: '9.9',
          weight: 5,
        },
        'version',
      ],
      [
        { type: 'release-start', service: 'global', version: '1.0.0000' },
        'version',
      ],
      [
        {
          type: 'release-start',
          service: 'global',
          version: '1.0.0002',
          weight: 80,
        },
        'weight',
      ],
      [
        { type: 'release-promote', service: 'nobody', version: '1.0.0001' },
        'service',
      ],
      [
        {
          type: 'release-start',
          service: 'global',
          version: '1.0.0003',
          weight: 5,
          replicas: 0,
        },
        'replicas',
      ],
      [
        {
          type: 'release-start',
          service: 'global',
          version: '1.0.0003',
          header: '1.0.0000',
        },
        'header',
      ],
      [
        {
          type: 'release-start',
          service: 'global',
          version: '1.0.0001',
        },
        'version',
      ],
      [
        { type: 'deploy', services: [{ name: 'global', version: '1.0.0001' }] },
        'services[0].version',
      ],
      [
        {
          type: 'release-weight',
          service: 'global',
          version: '1.0.0001',
          weight: 101,
        },
        'weight',
      ],
    ] as const;
    for (const [body, field] of refused) {
      const res = await ctx.api.post(`/environments/${name}/operations`, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect((res.body.errors ?? []).map((e: any) => e.path)).toContain(field);
    }
    expect((await ctx.api.get(`/environments/${name}`)).body.revision).toBe(
      revision,
    );
  });

  it('promotes: the new version becomes the only one and the old one goes once it is ready', async () => {
    const gameBefore = await podUids('game');
    const op = await operate({
      type: 'release-promote',
      service: 'global',
      version: '1.0.0001',
    });
    expect(op.steps.map((s: any) => s.name)).toContain('retire');
    expect(await deployments()).toEqual(['global-v1-0-0001']);
    expect(await rulesOf('global')).toEqual([
      { header: undefined, backends: ['global-v1-0-0001=100'] },
    ]);
    await expect(
      core.readNamespacedService({ name: 'global-v1-0-0000', namespace: ns() }),
    ).rejects.toThrow();
    expect(await podUids('game')).toEqual(gameBefore);
    await operate({
      type: 'release-promote',
      service: 'game',
      version: '1.0.0001',
    });
    expect(await statefulSets()).toEqual(['game-v1-0-0001']);
    const s = await status();
    expect(s.phase).toBe('Ready');
    expect(
      s.services.map((x: any) => `${x.name}@${x.version}:${x.health}`),
    ).toEqual(['game@1.0.0001:Ready', 'global@1.0.0001:Ready']);
  });

  it('aborts a release: the released version goes, the current one is untouched', async () => {
    await operate({
      type: 'release-start',
      service: 'global',
      version: '1.0.0002',
      weight: 10,
    });
    expect(await deployments()).toEqual([
      'global-v1-0-0001',
      'global-v1-0-0002',
    ]);
    const current = (
      await core.listNamespacedPod({
        namespace: ns(),
        labelSelector: 'archipelago.dev/version=1.0.0001',
      })
    ).items.map(p => p.metadata!.uid);
    await operate({
      type: 'release-abort',
      service: 'global',
      version: '1.0.0002',
    });
    await eventually('the aborted version to go', async () =>
      (await deployments()).length === 1 ? true : undefined,
    );
    expect(await deployments()).toEqual(['global-v1-0-0001']);
    expect(
      (
        await core.listNamespacedPod({
          namespace: ns(),
          labelSelector: 'archipelago.dev/version=1.0.0001',
        })
      ).items.map(p => p.metadata!.uid),
    ).toEqual(current);
    expect(await rulesOf('global')).toEqual([
      { header: undefined, backends: ['global-v1-0-0001=100'] },
    ]);
    // The same for the socket server: its current StatefulSet keeps its pods.
    await operate({
      type: 'release-start',
      service: 'game',
      version: '1.0.0002',
      header: 'beta',
    });
    expect(await statefulSets()).toEqual(['game-v1-0-0001', 'game-v1-0-0002']);
    const gamePods = (
      await core.listNamespacedPod({
        namespace: ns(),
        labelSelector:
          'archipelago.dev/service=game,archipelago.dev/version=1.0.0001',
      })
    ).items.map(p => p.metadata!.uid);
    await operate({
      type: 'release-abort',
      service: 'game',
      version: '1.0.0002',
    });
    expect(await statefulSets()).toEqual(['game-v1-0-0001']);
    expect(
      (
        await core.listNamespacedPod({
          namespace: ns(),
          labelSelector:
            'archipelago.dev/service=game,archipelago.dev/version=1.0.0001',
        })
      ).items.map(p => p.metadata!.uid),
    ).toEqual(gamePods);
    // With one version and no host, nothing needs a route: the plain Service answers.
    await expect(route('game')).rejects.toThrow(/not found/);
  });

  it('rolls back across releases to the revision that ran both versions, and history shows every step', async () => {
    const revisions = (
      await ctx.api.get(`/environments/${name}/revisions?limit=50`)
    ).body.items as any[];
    const weighted = revisions.find((r: any) =>
      /weight of global@1\.0\.0001: 0% → 30%/.test(r.reason ?? ''),
    );
    expect(weighted).toBeDefined();
    await operate({ type: 'rollback', revision: weighted.revision });
    expect(await deployments()).toEqual([
      'global-v1-0-0000',
      'global-v1-0-0001',
    ]);
    expect(await statefulSets()).toEqual(['game-v1-0-0000', 'game-v1-0-0001']);
    expect((await rulesOf('global'))[1].backends).toEqual([
      'global-v1-0-0000=70',
      'global-v1-0-0001=30',
    ]);
    const ops = (await ctx.api.get(`/environments/${name}/operations`)).body
      .items as any[];
    expect(new Set(ops.map((o: any) => o.type))).toEqual(
      new Set([
        'create',
        'release-start',
        'release-weight',
        'release-promote',
        'release-abort',
        'rollback',
      ]),
    );
  });
});
