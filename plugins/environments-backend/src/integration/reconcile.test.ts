/*
 * The reconciler holds the cluster to the desired state, against the real local test cluster:
 * five workload kinds side by side, a deploy that touches one service only, drift from a
 * deleted Deployment and a hand-scaled StatefulSet put back through recorded repairs, a pod
 * no node can take failing early without holding a queue slot, a spec the API server refuses
 * failing at once with nothing applied, claims that prune never deletes, and a destroy that
 * cancels a create still waiting.
 */
import { AppsV1Api, BatchV1Api } from '@kubernetes/client-node';
import { ENVIRONMENT_LABEL } from '@archipelago/plugin-environments-common';
import { ClusterClient } from '../cluster/ClusterClient';
import { renderEnvironment } from '../render/render';
import { renderInput } from '../render/testFixtures';
import {
  eventually,
  startEnvironmentsBackend,
  testClusterAppConfig,
  testKube,
  uniqueName,
  destroyAll,
} from '../__testUtils__/harness';

jest.setTimeout(300_000);

describe('reconcile on the local cluster', () => {
  let ctx: Awaited<ReturnType<typeof startEnvironmentsBackend>>;
  const { kc, core } = testKube();
  const apps = kc.makeApiClient(AppsV1Api);
  const batch = kc.makeApiClient(BatchV1Api);
  const client = new ClusterClient(
    testClusterAppConfig().kubernetes.clusterLocatorMethods[0].clusters[0],
  );
  const five = uniqueName('five');
  const created: string[] = [five];

  const envOf = async (name: string) =>
    (await ctx.api.get(`/environments/${name}`)).body;
  const phase = (name: string, wanted: string, timeoutMs?: number) =>
    eventually(
      `${name} to be ${wanted}`,
      async () => {
        const env = await envOf(name);
        return env.status?.phase === wanted ? env : undefined;
      },
      timeoutMs,
    );
  const operations = async (name: string) =>
    (await ctx.api.get(`/environments/${name}/operations`)).body.items as any[];
  const operationDone = (name: string, id: string, timeoutMs?: number) =>
    eventually(
      `operation ${id} to finish`,
      async () => {
        const op = (await ctx.api.get(`/environments/${name}/operations/${id}`))
          .body;
        return op.status === 'succeeded' || op.status === 'failed'
          ? op
          : undefined;
      },
      timeoutMs,
    );
  const podUids = async (ns: string) =>
    new Map(
      (await core.listNamespacedPod({ namespace: ns })).items.map(p => [
        p.metadata!.name!,
        p.metadata!.uid!,
      ]),
    );

  beforeAll(async () => {
    ctx = await startEnvironmentsBackend({
      leaseMs: 3000,
      config: {
        queue: {
          pollInterval: '200ms',
          // Two slots: the waiting test shows waiting holds none of them.
          concurrencyPerCluster: 2,
        },
        reconcile: { resyncInterval: '20s' },
      },
    });
  });

  afterAll(async () => {
    await destroyAll(ctx.api, core, created);
    await ctx?.backend.stop();
  });

  it('runs http, socket with a persistent volume, backend, cron and job side by side; a deploy of one leaves every other pod alone', async () => {
    const res = await ctx.api.post('/environments', {
      name: five,
      owner: 'group:default/backend',
      purpose: 'integration',
      services: [
        { name: 'global' },
        {
          name: 'game',
          volumes: [
            {
              name: 'saves',
              type: 'persistent',
              mountPath: '/saves',
              size: '1Gi',
            },
          ],
        },
        { name: 'matching' },
        { name: 'daily-reset' },
        {
          name: 'migrate',
          kind: 'job',
          image: 'registry.local/island/migrate:1.0.0',
        },
      ],
    });
    expect(res.status).toBe(202);
    const env = await phase(five, 'Ready', 120_000);
    expect(
      env.status.services.map((s: any) => [s.name, s.kind, s.health]),
    ).toEqual([
      ['daily-reset', 'cron', 'Ready'],
      ['game', 'socket', 'Ready'],
      ['global', 'http', 'Ready'],
      ['matching', 'backend', 'Ready'],
      ['migrate', 'job', 'Ready'],
    ]);
    const ns = env.namespace;
    const before = await podUids(ns);
    const jobsBefore = (await batch.listNamespacedJob({ namespace: ns })).items;
    expect(jobsBefore).toHaveLength(1);

    const deploy = await ctx.api.post(`/environments/${five}/operations`, {
      type: 'deploy',
      services: [{ name: 'game', version: '20211001' }],
    });
    expect(deploy.status).toBe(202);
    const done = await operationDone(five, deploy.body.id, 120_000);
    expect(done.status).toBe('succeeded');

    const after = await podUids(ns);
    const others = [...before].filter(([pod]) => !pod.startsWith('game-'));
    expect(others.length).toBeGreaterThanOrEqual(3);
    for (const [pod, uid] of others)
      expect([pod, after.get(pod)]).toEqual([pod, uid]);
    // The game pod was replaced, with the new version.
    expect(after.get('game-0')).toBeDefined();
    expect(after.get('game-0')).not.toBe(before.get('game-0'));
    const jobsAfter = (await batch.listNamespacedJob({ namespace: ns })).items;
    expect(jobsAfter.map(j => [j.metadata?.name, j.metadata?.uid])).toEqual(
      jobsBefore.map(j => [j.metadata?.name, j.metadata?.uid]),
    );
    // The claim template kept its data claim.
    const claims = (
      await core.listNamespacedPersistentVolumeClaim({ namespace: ns })
    ).items.map(c => c.metadata?.name);
    expect(claims).toEqual(expect.arrayContaining(['vol-saves-game-0']));
  });

  it('puts back a deleted Deployment within 10 s, and History shows the repair', async () => {
    const ns = (await envOf(five)).namespace;
    const uid = (
      await apps.readNamespacedDeployment({
        name: 'global-v20210422',
        namespace: ns,
      })
    ).metadata?.uid;
    const t0 = Date.now();
    await apps.deleteNamespacedDeployment({
      name: 'global-v20210422',
      namespace: ns,
    });
    const back = await eventually(
      'the Deployment to come back',
      async () => {
        const d = await apps
          .readNamespacedDeployment({ name: 'global-v20210422', namespace: ns })
          .catch(() => undefined);
        return d && d.metadata?.uid !== uid ? d : undefined;
      },
      10_000,
    );
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(back.spec?.replicas).toBe(1);
    const repair = (await operations(five)).find(o => o.type === 'repair');
    expect(repair).toMatchObject({
      type: 'repair',
      requestedBy: 'system:archipelago-reconciler',
    });
    expect(repair.params.drift).toContain(
      'Deployment/global-v20210422 was deleted',
    );
    expect((await operationDone(five, repair.id)).status).toBe('succeeded');
  });

  it('undoes a scale by hand', async () => {
    const ns = (await envOf(five)).namespace;
    await client.http.request(
      'PATCH',
      `/apis/apps/v1/namespaces/${ns}/statefulsets/matching/scale`,
      {
        query: { fieldManager: 'kubectl-scale' },
        contentType: 'application/merge-patch+json',
        body: { spec: { replicas: 3 } },
      },
    );
    await eventually(
      'the StatefulSet to be scaled back to 1',
      async () => {
        const s = await apps.readNamespacedStatefulSet({
          name: 'matching',
          namespace: ns,
        });
        return s.spec?.replicas === 1 ? s : undefined;
      },
      15_000,
    );
    const repairs = (await operations(five)).filter(o => o.type === 'repair');
    expect(repairs[0].params.drift).toEqual([
      expect.stringMatching(
        /^StatefulSet\/matching was changed \(spec\.replicas: 1 wanted, 3 found/,
      ),
    ]);
  });

  it('removes fields others added by hand, on workloads and on the namespace, through recorded repairs', async () => {
    const ns = (await envOf(five)).namespace;
    const patch = (path: string, manager: string, body: unknown) =>
      client.http.request('PATCH', path, {
        query: { fieldManager: manager },
        contentType: 'application/json-patch+json',
        body,
      });
    // kubectl set env, kubectl edit and kubectl label, as the API server records them.
    await patch(
      `/apis/apps/v1/namespaces/${ns}/statefulsets/matching`,
      'kubectl-set',
      [
        {
          op: 'add',
          path: '/spec/template/spec/containers/0/env/-',
          value: { name: 'EVIL', value: '1' },
        },
      ],
    );
    await patch(
      `/apis/apps/v1/namespaces/${ns}/deployments/global-v20210422`,
      'kubectl-edit',
      [
        {
          op: 'add',
          path: '/spec/template/spec/nodeSelector',
          value: { branch: 'weekly' },
        },
      ],
    );
    await patch(`/api/v1/namespaces/${ns}`, 'kubectl-label', [
      {
        op: 'add',
        path: '/metadata/labels/archipelago.dev~1base',
        value: 'someone-else',
      },
    ]);
    await eventually(
      'the added fields to be gone',
      async () => {
        const sts = await apps.readNamespacedStatefulSet({
          name: 'matching',
          namespace: ns,
        });
        const dep = await apps.readNamespacedDeployment({
          name: 'global-v20210422',
          namespace: ns,
        });
        const nsObj = await core.readNamespace({ name: ns });
        const env = sts.spec?.template.spec?.containers[0].env ?? [];
        return !env.some(e => e.name === 'EVIL') &&
          !dep.spec?.template.spec?.nodeSelector &&
          !nsObj.metadata?.labels?.['archipelago.dev/base']
          ? true
          : undefined;
      },
      20_000,
    );
    const drift = (await operations(five))
      .filter(o => o.type === 'repair')
      .flatMap(o => o.params.drift as string[]);
    expect(drift).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^StatefulSet\/matching was changed \(.*spec\.template\.spec\.containers\[0\]\.env\[\d+\]: added by kubectl-set/,
        ),
        expect.stringMatching(
          /^Deployment\/global-v20210422 was changed \(.*spec\.template\.spec\.nodeSelector: added by kubectl-edit/,
        ),
        expect.stringMatching(
          /^Namespace\/env-five-.* was changed \(.*metadata\.labels\.archipelago\.dev\/base: added by kubectl-label/,
        ),
      ]),
    );
  });

  it('repairs a Service whose port was edited by hand', async () => {
    const ns = (await envOf(five)).namespace;
    await client.http.request(
      'PATCH',
      `/api/v1/namespaces/${ns}/services/global`,
      {
        query: { fieldManager: 'kubectl-patch' },
        contentType: 'application/json-patch+json',
        body: [{ op: 'replace', path: '/spec/ports/0/port', value: 9999 }],
      },
    );
    const svc = await eventually(
      'the Service port to be back',
      async () => {
        const s = await core.readNamespacedService({
          name: 'global',
          namespace: ns,
        });
        return s.spec?.ports?.length === 1 && s.spec.ports[0].port === 20001
          ? s
          : undefined;
      },
      20_000,
    );
    expect(svc.spec?.ports?.[0]).toMatchObject({ name: 'http', port: 20001 });
    const [latest] = await operations(five);
    expect((await operationDone(five, latest.id)).status).toBe('succeeded');
  });

  it('repairs a scale by hand again when someone repeats it right after its repair', async () => {
    const ns = (await envOf(five)).namespace;
    const scale = (replicas: number) =>
      client.http.request(
        'PATCH',
        `/apis/apps/v1/namespaces/${ns}/statefulsets/matching/scale`,
        {
          query: { fieldManager: 'kubectl-scale' },
          contentType: 'application/merge-patch+json',
          body: { spec: { replicas } },
        },
      );
    const backToOne = () =>
      eventually(
        'the StatefulSet to be back at 1',
        async () => {
          const s = await apps.readNamespacedStatefulSet({
            name: 'matching',
            namespace: ns,
          });
          return s.spec?.replicas === 1 ? s : undefined;
        },
        30_000,
      );
    const repairsBefore = (await operations(five)).filter(
      o => o.type === 'repair',
    ).length;
    await scale(4);
    await eventually(
      'a repair of the scale',
      async () =>
        (await operations(five))[0]?.type === 'repair' ? true : undefined,
      15_000,
    );
    expect((await backToOne()).spec?.replicas).toBe(1);
    await scale(4);
    await new Promise(r => setTimeout(r, 1500));
    expect((await backToOne()).spec?.replicas).toBe(1);
    const repairs = (await operations(five)).filter(o => o.type === 'repair');
    expect(repairs.length - repairsBefore).toBeGreaterThanOrEqual(2);
    expect(repairs[0].params.drift).toEqual([
      expect.stringMatching(
        /^StatefulSet\/matching was changed \(spec\.replicas: 1 wanted, 4 found/,
      ),
    ]);
  });

  it('stops a job service by removing its Job, and starts it again', async () => {
    const ns = (await envOf(five)).namespace;
    const stop = await ctx.api.post(`/environments/${five}/operations`, {
      type: 'stop',
      services: ['migrate'],
    });
    expect((await operationDone(five, stop.body.id, 30_000)).status).toBe(
      'succeeded',
    );
    expect((await batch.listNamespacedJob({ namespace: ns })).items).toEqual(
      [],
    );
    const stopped = await envOf(five);
    expect(
      stopped.status.services.find((s: any) => s.name === 'migrate'),
    ).toMatchObject({ health: 'Stopped' });
    const start = await ctx.api.post(`/environments/${five}/operations`, {
      type: 'start',
      services: ['migrate'],
    });
    expect((await operationDone(five, start.body.id, 60_000)).status).toBe(
      'succeeded',
    );
    const jobs = (await batch.listNamespacedJob({ namespace: ns })).items;
    expect(jobs).toHaveLength(1);
    expect(jobs[0].status?.succeeded).toBe(1);
  });

  it('fails a pod no node can take within 60 s, quoting the scheduler, without holding a queue slot while it waits', async () => {
    const stuck = [uniqueName('stuck'), uniqueName('stuck')];
    created.push(...stuck);
    const t0 = Date.now();
    const ops: string[] = [];
    for (const name of stuck) {
      const res = await ctx.api.post('/environments', {
        name,
        owner: 'group:default/backend',
        purpose: 'sandbox',
        services: [{ name: 'global', nodeSelector: { branch: 'nowhere' } }],
      });
      expect(res.status).toBe(202);
      ops.push(res.body.operation.id);
    }
    // Both wait for pods the scheduler cannot place; both slots of the cluster would be taken.
    for (const name of stuck) {
      await eventually(`${name} to wait`, async () => {
        const [op] = await operations(name);
        return op.steps.some(
          (s: any) => s.name === 'wait' && s.status === 'running',
        )
          ? op
          : undefined;
      });
    }
    const quick = uniqueName('quick');
    created.push(quick);
    const t1 = Date.now();
    expect(
      (
        await ctx.api.post('/environments', {
          name: quick,
          owner: 'group:default/backend',
          purpose: 'sandbox',
          services: [{ name: 'global' }],
        })
      ).status,
    ).toBe(202);
    await phase(quick, 'Ready', 10_000);
    expect(Date.now() - t1).toBeLessThan(10_000);

    for (const [i, name] of stuck.entries()) {
      const op = await operationDone(name, ops[i], 70_000);
      expect(op.status).toBe('failed');
      expect(op.attempts).toBe(1);
      expect(op.error).toMatch(
        /^Cannot be scheduled: global \(global-.+: Unschedulable: 0\/\d+ nodes are available: .*node affinity\/selector/,
      );
    }
    expect(Date.now() - t0).toBeLessThan(75_000);
  });

  it('fails a spec the API server refuses on the first attempt, naming the field, and applies nothing of it', async () => {
    const name = uniqueName('refused');
    created.push(name);
    const res = await ctx.api.post('/environments', {
      name,
      owner: 'group:default/backend',
      purpose: 'sandbox',
      services: [
        {
          name: 'web',
          image: 'registry.local/island/web:1.0',
          ports: [{ name: 'http', port: 8080 }],
          // Our schema cannot know this; the API server can.
          resources: { requests: { cpu: '2' }, limits: { cpu: '1' } },
        },
      ],
    });
    expect(res.status).toBe(202);
    const op = await operationDone(name, res.body.operation.id);
    expect(op.status).toBe('failed');
    expect(op.attempts).toBe(1);
    expect(op.error).toMatch(
      /^The API server refused Deployment\/web-v1-0 \(dry run: nothing was changed\): Invalid: spec\.template\.spec\.containers\[0\]\.resources\.requests: .*less than or equal to cpu limit/,
    );
    expect(op.error.length).toBeLessThan(600);
    const ns = `env-${name}`;
    const selector = `${ENVIRONMENT_LABEL}=${name}`;
    expect(
      (await apps.listNamespacedDeployment({ namespace: ns })).items,
    ).toEqual([]);
    expect(
      (
        await core.listNamespacedService({
          namespace: ns,
          labelSelector: selector,
        })
      ).items,
    ).toEqual([]);
    expect(
      (
        await core.listNamespacedConfigMap({
          namespace: ns,
          labelSelector: selector,
        })
      ).items,
    ).toEqual([]);
  });

  it('never prunes a claim: a desired state without the volume keeps it until destroy', async () => {
    const namespace = uniqueName('claims');
    const spec = (volumes: unknown[]) => ({
      name: 'claims',
      owner: 'group:default/backend',
      purpose: 'feature',
      services: [
        {
          name: 'web',
          kind: 'http',
          image: 'registry.local/island/web:1.0',
          ports: [{ name: 'http', port: 8080 }],
          volumes,
        },
      ],
    });
    try {
      const withVolume = renderEnvironment(
        renderInput(
          spec([
            {
              name: 'data',
              type: 'persistent',
              mountPath: '/data',
              size: '1Gi',
            },
          ]),
          { namespace },
        ),
      );
      await client.apply(withVolume);
      const without = renderEnvironment(
        renderInput(spec([]), { namespace, revision: 2 }),
      );
      await client.apply(without);
      const pruned = await client.prune(namespace, 'claims', without);
      expect(pruned).toEqual([]);
      const claims = (
        await core.listNamespacedPersistentVolumeClaim({ namespace })
      ).items.map(c => c.metadata?.name);
      expect(claims).toEqual(['web-data']);
    } finally {
      await core.deleteNamespace({ name: namespace }).catch(() => undefined);
    }
  });

  it('cancels a create still waiting when the environment is destroyed', async () => {
    const name = uniqueName('cancel');
    created.push(name);
    const res = await ctx.api.post('/environments', {
      name,
      owner: 'group:default/backend',
      purpose: 'sandbox',
      services: [{ name: 'global', nodeSelector: { branch: 'nowhere' } }],
    });
    await eventually(`${name} to wait`, async () => {
      const [op] = await operations(name);
      return op.steps.some(
        (s: any) => s.name === 'wait' && s.status === 'running',
      )
        ? op
        : undefined;
    });
    const t0 = Date.now();
    const destroy = await ctx.api.delete(`/environments/${name}`);
    expect(destroy.status).toBe(202);
    const create = await operationDone(name, res.body.operation.id, 10_000);
    expect(create).toMatchObject({
      status: 'failed',
      error: 'cancelled: superseded by destroy',
    });
    await phase(name, 'Destroyed', 60_000);
    // Well within the 30 s the stuck create would otherwise have waited.
    expect(Date.now() - t0).toBeLessThan(30_000);
  });
});
