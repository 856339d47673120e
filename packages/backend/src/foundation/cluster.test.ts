/*
 * Proves the local cluster is a real control plane: server-side apply, scheduling onto kwok's
 * fake nodes, readiness, EndpointSlices, volume binding, logs, exec and the failure switch,
 * all through the Kubernetes API with @kubernetes/client-node.
 */
import {
  BatchV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  Exec,
  KubeConfig,
  KubernetesObject,
  KubernetesObjectApi,
  Log,
  PatchStrategy,
  setHeaderOptions,
  V1Pod,
} from '@kubernetes/client-node';
import { PassThrough, Writable } from 'node:stream';
import { loadTestKubeConfig, uniqueNamespace, waitFor } from './testCluster';

jest.setTimeout(180_000);

const FIELD_MANAGER = 'archipelago-foundation-test';

describe('local cluster (kube-apiserver + etcd + kwok)', () => {
  let kc: KubeConfig;
  let objects: KubernetesObjectApi;
  let core: CoreV1Api;
  let batch: BatchV1Api;
  let discovery: DiscoveryV1Api;
  const ns = uniqueNamespace('foundation');
  const labels = { 'app.kubernetes.io/part-of': 'foundation-test' };

  const apply = (obj: KubernetesObject) =>
    objects.patch(
      obj,
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      PatchStrategy.ServerSideApply,
    );

  const container = (name: string) => ({
    name,
    image: `registry.local/${name}:1.0.0`,
    ports: [{ name: 'http', containerPort: 8080 }],
    resources: { requests: { cpu: '100m', memory: '64Mi' } },
  });

  const readyPods = async (selector: string, count: number) => {
    const pods = await core.listNamespacedPod({
      namespace: ns,
      labelSelector: selector,
    });
    const ready = pods.items.filter(isReady);
    return ready.length >= count ? ready : undefined;
  };

  beforeAll(async () => {
    kc = loadTestKubeConfig();
    objects = KubernetesObjectApi.makeApiClient(kc);
    core = kc.makeApiClient(CoreV1Api);
    batch = kc.makeApiClient(BatchV1Api);
    discovery = kc.makeApiClient(DiscoveryV1Api);

    await apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels },
    } as KubernetesObject);
    await waitFor('the default service account', async () =>
      core
        .readNamespacedServiceAccount({ name: 'default', namespace: ns })
        .then(sa => sa),
    );
    // The CronJob goes first: its controller fires on the minute boundary.
    await apply({
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'tick', namespace: ns, labels },
      spec: {
        schedule: '* * * * *',
        successfulJobsHistoryLimit: 1,
        failedJobsHistoryLimit: 1,
        jobTemplate: {
          spec: {
            template: {
              metadata: { labels: { app: 'tick' } },
              spec: { restartPolicy: 'Never', containers: [container('tick')] },
            },
          },
        },
      },
    } as KubernetesObject);
  });

  afterAll(async () => {
    if (core) {
      await core.deleteNamespace({ name: ns }).catch(() => undefined);
    }
  });

  it('server-side applies a Deployment and a Service whose pods become Ready with endpoints', async () => {
    const deployment = await apply({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns, labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [container('web')] },
        },
      },
    } as KubernetesObject);
    expect(deployment.metadata?.managedFields?.[0]?.manager).toBe(
      FIELD_MANAGER,
    );
    expect(deployment.metadata?.managedFields?.[0]?.operation).toBe('Apply');

    await apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: ns, labels },
      spec: {
        selector: { app: 'web' },
        ports: [{ name: 'http', port: 80, targetPort: 'http' }],
      },
    } as KubernetesObject);

    const pods = await waitFor('2 ready web pods', () =>
      readyPods('app=web', 2),
    );
    for (const pod of pods) {
      expect(pod.status?.phase).toBe('Running');
      expect(pod.spec?.nodeName).toMatch(/^kwok-node-\d+$/);
      expect(pod.status?.podIP).toBeTruthy();
    }

    const endpoints = await waitFor('ready endpoints for web', async () => {
      const slices = await discovery.listNamespacedEndpointSlice({
        namespace: ns,
        labelSelector: 'kubernetes.io/service-name=web',
      });
      const ready = slices.items.flatMap(s =>
        s.endpoints.filter(e => e.conditions?.ready),
      );
      return ready.length === 2 ? ready : undefined;
    });
    const podIps = pods.map(p => p.status?.podIP).sort();
    expect(endpoints.flatMap(e => e.addresses).sort()).toEqual(podIps);
  });

  it('runs a StatefulSet whose volumeClaimTemplates bind to the volume pool', async () => {
    await apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'gateway', namespace: ns, labels },
      spec: {
        clusterIP: 'None',
        selector: { app: 'gateway' },
        ports: [{ name: 'ws', port: 9000 }],
      },
    } as KubernetesObject);
    await apply({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'gateway', namespace: ns, labels },
      spec: {
        serviceName: 'gateway',
        replicas: 2,
        selector: { matchLabels: { app: 'gateway' } },
        template: {
          metadata: { labels: { app: 'gateway' } },
          spec: {
            containers: [
              {
                ...container('gateway'),
                volumeMounts: [{ name: 'data', mountPath: '/data' }],
              },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data' },
            spec: {
              accessModes: ['ReadWriteOnce'],
              resources: { requests: { storage: '1Gi' } },
            },
          },
        ],
      },
    } as KubernetesObject);

    const pods = await waitFor('2 ready gateway pods', () =>
      readyPods('app=gateway', 2),
    );
    expect(pods.map(p => p.metadata?.name).sort()).toEqual([
      'gateway-0',
      'gateway-1',
    ]);
    const claims = await core.listNamespacedPersistentVolumeClaim({
      namespace: ns,
    });
    expect(claims.items).toHaveLength(2);
    for (const claim of claims.items) {
      expect(claim.status?.phase).toBe('Bound');
      expect(claim.spec?.storageClassName).toBe('standard');
    }
  });

  it('runs bare Pods and Jobs to their expected phase', async () => {
    await apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'island-1', namespace: ns, labels: { app: 'island' } },
      spec: {
        restartPolicy: 'Never',
        nodeSelector: { branch: 'dev' },
        containers: [container('island')],
      },
    } as KubernetesObject);
    await apply({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'migrate', namespace: ns, labels },
      spec: {
        backoffLimit: 0,
        template: {
          metadata: { labels: { app: 'migrate' } },
          spec: { restartPolicy: 'Never', containers: [container('migrate')] },
        },
      },
    } as KubernetesObject);

    const [island] = await waitFor('the bare pod to be ready', () =>
      readyPods('app=island', 1),
    );
    const node = await core.readNode({ name: island.spec!.nodeName! });
    expect(node.metadata?.labels?.branch).toBe('dev');

    const job = await waitFor('the job to complete', async () => {
      const j = await batch.readNamespacedJob({
        name: 'migrate',
        namespace: ns,
      });
      return j.status?.succeeded === 1 ? j : undefined;
    });
    expect(job.status?.conditions?.some(c => c.type === 'Complete')).toBe(true);
  });

  it('fires CronJobs on schedule', async () => {
    const job = await waitFor(
      'a job created by the cronjob',
      async () => {
        const jobs = await batch.listNamespacedJob({ namespace: ns });
        return jobs.items.find(j =>
          j.metadata?.ownerReferences?.some(o => o.kind === 'CronJob'),
        );
      },
      90_000,
      1000,
    );
    expect(job.metadata?.name).toMatch(/^tick-\d+$/);
  });

  it('serves simulated container logs and exec through the API server', async () => {
    const [pod] = await waitFor('a ready web pod', () =>
      readyPods('app=web', 1),
    );
    const name = pod.metadata!.name!;

    const logs = await waitFor('log lines', async () => {
      let text = '';
      const sink = new Writable({
        write(chunk, _enc, cb) {
          text += chunk.toString();
          cb();
        },
      });
      // client-node pipes the response into the sink; 'finish' marks the end of the lines.
      const finished = new Promise(resolve => sink.on('finish', resolve));
      await new Log(kc).log(ns, name, 'web', sink, {
        follow: false,
        tailLines: 20,
      });
      await finished;
      return text.trim().length > 0 ? text : undefined;
    });
    expect(logs).toMatch(/players=|GET \/healthz|queue size|registered|cron/);
    // kwok strips the CRI prefix: the API returns plain message lines.
    expect(logs).not.toMatch(/ stdout F /);

    const out = new PassThrough();
    let output = '';
    out.on('data', d => {
      output += d.toString();
    });
    const status = await new Promise<string>((resolve, reject) => {
      new Exec(kc)
        .exec(
          ns,
          name,
          'web',
          ['sh', '-c', 'echo exec-ok $ARCHIPELAGO_SIMULATED'],
          out,
          null,
          null,
          false,
          s => resolve(s.status ?? 'Unknown'),
        )
        .catch(reject);
    });
    expect(status).toBe('Success');
    expect(output.trim()).toBe('exec-ok kwok');
  });

  it('turns a chosen pod into a crash-looping, not-ready pod on request', async () => {
    const [pod] = await waitFor('a ready web pod', () =>
      readyPods('app=web', 2),
    );
    const name = pod.metadata!.name!;
    await core.patchNamespacedPod(
      {
        name,
        namespace: ns,
        body: {
          metadata: { labels: { 'archipelago.dev/simulate': 'crashloop' } },
        },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

    const failing = await waitFor('the pod to crash-loop', async () => {
      const p = await core.readNamespacedPod({ name, namespace: ns });
      const waiting = p.status?.containerStatuses?.[0]?.state?.waiting;
      return waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
    });
    expect(isReady(failing)).toBe(false);
    expect(
      failing.status?.containerStatuses?.[0]?.restartCount,
    ).toBeGreaterThan(0);
    expect(
      failing.status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode,
    ).toBe(1);

    // The endpoint for the failing pod is no longer ready.
    await waitFor('the failing endpoint to turn not ready', async () => {
      const slices = await discovery.listNamespacedEndpointSlice({
        namespace: ns,
        labelSelector: 'kubernetes.io/service-name=web',
      });
      const ep = slices.items
        .flatMap(s => s.endpoints)
        .find(e => e.targetRef?.name === name);
      return ep && ep.conditions?.ready === false ? ep : undefined;
    });
  });
});

function isReady(pod: V1Pod): boolean {
  return (
    pod.status?.phase === 'Running' &&
    !!pod.status.conditions?.some(
      c => c.type === 'Ready' && c.status === 'True',
    )
  );
}
