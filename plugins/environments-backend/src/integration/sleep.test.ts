/*
 * Sleep (issue #15 §3) against the local test cluster: an environment nobody uses for its
 * purpose's sleepAfter is stopped and marked asleep, keeping its volume and config; one whose
 * logs are read stays awake; a start wakes the sleeper with what it had.
 */
import { AppsV1Api } from '@kubernetes/client-node';
import { SERVICE_LABEL } from '@archipelago/plugin-environments-common';
import {
  eventually,
  startEnvironmentsBackend,
  testKube,
  uniqueName,
} from '../__testUtils__/harness';

jest.setTimeout(300_000);

describe('sleep', () => {
  let ctx: Awaited<ReturnType<typeof startEnvironmentsBackend>>;
  const { kc, core } = testKube();
  const apps = kc.makeApiClient(AppsV1Api);
  const sleeper = uniqueName('sleeper');
  const reader = uniqueName('reader');
  const spec = (name: string) => ({
    name,
    owner: 'group:default/backend',
    purpose: 'sandbox',
    services: [
      {
        name: 'game',
        env: { REGION: 'eu' },
        volumes: [
          {
            name: 'saves',
            type: 'persistent',
            mountPath: '/saves',
            size: '1Gi',
          },
        ],
      },
      { name: 'global' },
    ],
  });
  const get = async (name: string) =>
    (await ctx.api.get(`/environments/${name}`)).body;
  /** Replicas asked of each workload (game has a volume: a StatefulSet), by service. */
  const replicas = async (name: string) => {
    const namespace = `env-${name}`;
    const workloads = [
      ...(await apps.listNamespacedDeployment({ namespace })).items,
      ...(await apps.listNamespacedStatefulSet({ namespace })).items,
    ];
    return Object.fromEntries(
      workloads
        .map(w => [w.metadata!.labels![SERVICE_LABEL], w.spec!.replicas])
        .sort(),
    );
  };
  const pods = async (name: string) =>
    (await core.listNamespacedPod({ namespace: `env-${name}` })).items.length;

  beforeAll(async () => {
    ctx = await startEnvironmentsBackend({
      config: { purposes: { sandbox: { sleepAfter: '1m' } } },
    });
  });
  afterAll(async () => {
    for (const n of [sleeper, reader])
      await ctx?.api.delete(`/environments/${n}`);
    await ctx?.backend.stop();
  });

  it('stops an unused environment and marks it asleep, keeps one whose logs are read awake, and wakes on start', async () => {
    for (const name of [sleeper, reader])
      expect((await ctx.api.post('/environments', spec(name))).status).toBe(
        202,
      );
    for (const name of [sleeper, reader])
      await eventually(`${name} to be Ready`, async () =>
        (await get(name)).status?.phase === 'Ready' ? true : undefined,
      );
    const pvcs = async (name: string) =>
      (
        await core.listNamespacedPersistentVolumeClaim({
          namespace: `env-${name}`,
        })
      ).items.map(p => p.metadata!.name);
    const savedClaims = await pvcs(sleeper);
    expect(savedClaims.length).toBe(1);
    const configMaps = async (name: string) =>
      (await core.listNamespacedConfigMap({ namespace: `env-${name}` })).items
        .map(c => c.metadata!.name)
        .sort();
    const savedConfig = await configMaps(sleeper);

    // Someone reads the reader's logs now and every 15 s; nobody touches the sleeper.
    const pod = (await ctx.api.get(`/environments/${reader}/pods`)).body
      .items[0].name;
    const read = () =>
      ctx.api.get(`/environments/${reader}/pods/${pod}/logs?tailLines=1`);
    expect((await read()).status).toBe(200);
    const readLogs = setInterval(() => void read(), 15_000);
    try {
      const asleep = await eventually(
        `${sleeper} to fall asleep`,
        async () => (await get(sleeper)).asleep,
        150_000,
      );
      expect(asleep.services.sort()).toEqual(['game', 'global']);
      expect(Date.parse(asleep.since)).toBeGreaterThan(0);
      const ops = (await ctx.api.get(`/environments/${sleeper}/operations`))
        .body.items;
      expect(ops[0]).toMatchObject({
        type: 'stop',
        requestedBy: 'system:archipelago-sleep',
      });
      await eventually(`${sleeper}'s pods to go`, async () =>
        (await pods(sleeper)) === 0 ? true : undefined,
      );
      expect(await replicas(sleeper)).toEqual({ game: 0, global: 0 });
      // Nothing is lost: the volume claim and config stay.
      expect(await pvcs(sleeper)).toEqual(savedClaims);
      expect(await configMaps(sleeper)).toEqual(savedConfig);
      // The reader, used all along, is awake and running.
      const awake = await get(reader);
      expect(awake.asleep).toBeUndefined();
      expect(awake.status.phase).toBe('Ready');
      expect(await replicas(reader)).toEqual({ game: 1, global: 1 });
      expect(await pods(reader)).toBe(2);
    } finally {
      clearInterval(readLogs);
    }

    // A start wakes it, with the same volume and config.
    expect(
      (
        await ctx.api.post(`/environments/${sleeper}/operations`, {
          type: 'start',
        })
      ).status,
    ).toBe(202);
    expect((await get(sleeper)).asleep).toBeUndefined();
    await eventually(`${sleeper} to be Ready again`, async () =>
      (await get(sleeper)).status?.phase === 'Ready' ? true : undefined,
    );
    expect(await replicas(sleeper)).toEqual({ game: 1, global: 1 });
    expect(await pods(sleeper)).toBe(2);
    expect(await pvcs(sleeper)).toEqual(savedClaims);
    const deployment = (
      await apps.listNamespacedStatefulSet({ namespace: `env-${sleeper}` })
    ).items.find(d => d.metadata!.labels![SERVICE_LABEL] === 'game')!;
    expect(
      deployment.spec!.template.spec!.containers[0].env?.find(
        e => e.name === 'REGION',
      )?.value,
    ).toBe('eu');
  });
});
