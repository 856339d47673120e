/*
 * Autoscaling against the real local test cluster: an http service with `autoscaling` gets an
 * autoscaling/v2 HPA per version, and metrics-server (built from its Go module, reading kwok's
 * simulated usage) feeds it. Raising a pod's simulated CPU makes the replicas rise; lowering
 * it makes them fall back. An apply while scaled up leaves the HPA's replicas alone; stop and
 * start still work.
 */
import {
  AppsV1Api,
  AutoscalingV2Api,
  CustomObjectsApi,
} from '@kubernetes/client-node';
import {
  destroyAll,
  eventually,
  operationFinished,
  startEnvironmentsBackend,
  testKube,
  uniqueName,
} from '../__testUtils__/harness';

jest.setTimeout(600_000);

describe('autoscaling on the local cluster', () => {
  let ctx: Awaited<ReturnType<typeof startEnvironmentsBackend>>;
  const { kc, core } = testKube();
  const apps = kc.makeApiClient(AppsV1Api);
  const hpas = kc.makeApiClient(AutoscalingV2Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const name = uniqueName('hpa');
  const ns = `env-${name}`;
  const workload = 'global-v1-0';

  const done = (id: string) => operationFinished(ctx.api, name, id);
  const operate = async (body: Record<string, unknown>) => {
    const res = await ctx.api.post(`/environments/${name}/operations`, body);
    expect(res.status).toBe(202);
    const op = await done(res.body.id);
    expect({ body, status: op.status, error: op.error }).toEqual({
      body,
      status: 'succeeded',
      error: undefined,
    });
  };
  const replicas = async () =>
    (await apps.readNamespacedDeployment({ name: workload, namespace: ns }))
      .spec!.replicas!;
  /** Sets (or, with undefined, removes) every running pod's simulated CPU use. */
  const simulateCpu = async (cpu: string | undefined) => {
    const pods = await core.listNamespacedPod({
      namespace: ns,
      labelSelector: 'archipelago.dev/service=global',
    });
    for (const p of pods.items) {
      if (p.metadata?.deletionTimestamp) continue;
      const has =
        p.metadata?.annotations?.['kwok.x-k8s.io/usage-cpu'] !== undefined;
      if (cpu === undefined && !has) continue;
      await core.patchNamespacedPod({
        namespace: ns,
        name: p.metadata!.name!,
        body: [
          cpu === undefined
            ? {
                op: 'remove',
                path: '/metadata/annotations/kwok.x-k8s.io~1usage-cpu',
              }
            : {
                op: 'add',
                path: p.metadata?.annotations
                  ? '/metadata/annotations/kwok.x-k8s.io~1usage-cpu'
                  : '/metadata/annotations',
                value: p.metadata?.annotations
                  ? cpu
                  : { 'kwok.x-k8s.io/usage-cpu': cpu },
              },
        ],
      });
    }
  };

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
          version: '1.0',
          autoscaling: { min: 1, max: 4, cpu: 50, scaleDownSeconds: 5 },
        },
        { name: 'daily-reset' },
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

  it('renders an HPA that metrics-server feeds', async () => {
    const hpa = await hpas.readNamespacedHorizontalPodAutoscaler({
      name: workload,
      namespace: ns,
    });
    expect(hpa.spec).toMatchObject({
      scaleTargetRef: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: workload,
      },
      minReplicas: 1,
      maxReplicas: 4,
      behavior: { scaleDown: { stabilizationWindowSeconds: 5 } },
    });
    expect(hpa.spec!.metrics).toEqual([
      {
        type: 'Resource',
        resource: {
          name: 'cpu',
          target: { type: 'Utilization', averageUtilization: 50 },
        },
      },
    ]);
    // The pod's usage reaches the metrics API, so the HPA reads a utilization.
    await eventually(
      'the metrics API to report the pod',
      async () => {
        const list = (await custom
          .listNamespacedCustomObject({
            group: 'metrics.k8s.io',
            version: 'v1beta1',
            namespace: ns,
            plural: 'pods',
          })
          .catch(() => undefined)) as any;
        return list?.items?.length ? list : undefined;
      },
      120_000,
    );
    const global = (
      await ctx.api.get(`/environments/${name}`)
    ).body.status.services.find((s: any) => s.name === 'global');
    expect(global.autoscaling).toEqual({ min: 1, max: 4 });
  });

  it('scales up when the simulated CPU rises, keeps the replicas through an apply, and back down when it falls', async () => {
    expect(await replicas()).toBe(1);
    await simulateCpu('400m');
    const up = await eventually(
      'the HPA to add replicas',
      async () => {
        const n = await replicas();
        return n > 1 ? n : undefined;
      },
      180_000,
    );
    expect(up).toBeGreaterThan(1);
    expect(up).toBeLessThanOrEqual(4);
    // An apply of the whole environment (a restart of the other service) never sets the
    // replicas the HPA owns.
    const before = await replicas();
    await operate({ type: 'restart', services: ['daily-reset'] });
    expect(await replicas()).toBeGreaterThanOrEqual(Math.min(before, 2));
    await simulateCpu(undefined);
    await eventually(
      'the HPA to remove replicas',
      async () => ((await replicas()) === 1 ? true : undefined),
      240_000,
    );
  });

  it('stops to zero and starts again under the HPA', async () => {
    await operate({ type: 'stop', services: ['global'] });
    expect(await replicas()).toBe(0);
    await operate({ type: 'start', services: ['global'] });
    expect(await replicas()).toBeGreaterThanOrEqual(1);
    const s = (await ctx.api.get(`/environments/${name}`)).body.status;
    expect(s.phase).toBe('Ready');
  });
});
