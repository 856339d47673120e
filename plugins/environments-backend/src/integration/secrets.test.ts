/*
 * Secret values on the real local test cluster (issue #11): rendered into the environment's
 * Secret, read by pods through secretKeyRef, never returned by the API, and restored without
 * quoting them when someone edits the Secret.
 */
import { AppsV1Api } from '@kubernetes/client-node';
import {
  eventually,
  startEnvironmentsBackend,
  testKube,
  uniqueName,
} from '../__testUtils__/harness';

jest.setTimeout(240_000);

describe('secret values', () => {
  let ctx: Awaited<ReturnType<typeof startEnvironmentsBackend>>;
  const { kc, core } = testKube();
  const apps = kc.makeApiClient(AppsV1Api);
  const name = uniqueName('vault');
  const namespace = `env-${name}`;
  const secret = 'correct-horse-battery-staple';

  beforeAll(async () => {
    ctx = await startEnvironmentsBackend({
      config: { reconcile: { resyncInterval: '10s' } },
    });
  });
  afterAll(async () => {
    await ctx?.api.delete(`/environments/${name}`);
    await ctx?.backend.stop();
  });

  it('keeps the value in the cluster only, and never in what the API answers', async () => {
    const created = await ctx.api.post('/environments', {
      name,
      owner: 'group:default/backend',
      purpose: 'sandbox',
      services: [
        { name: 'global', secrets: { DB_PASSWORD: { value: secret } } },
      ],
    });
    expect(created.status).toBe(202);
    expect(JSON.stringify(created.body)).not.toContain(secret);
    await eventually(`${name} to be Ready`, async () => {
      const env = (await ctx.api.get(`/environments/${name}`)).body;
      return env.status?.phase === 'Ready' ? env : undefined;
    });

    const stored = await core.readNamespacedSecret({
      name: 'archipelago-secrets',
      namespace,
    });
    expect(
      Buffer.from(stored.data!['global.DB_PASSWORD'], 'base64').toString(),
    ).toBe(secret);
    const deployment = await apps.readNamespacedDeployment({
      name: 'global-v20210422',
      namespace,
    });
    expect(
      deployment.spec!.template.spec!.containers[0].env!.find(
        e => e.name === 'DB_PASSWORD',
      ),
    ).toEqual({
      name: 'DB_PASSWORD',
      valueFrom: {
        secretKeyRef: {
          name: 'archipelago-secrets',
          key: 'global.DB_PASSWORD',
        },
      },
    });

    for (const path of [
      `/environments/${name}`,
      '/environments',
      `/environments/${name}/revisions`,
      `/environments/${name}/operations`,
      `/environments/${name}/topology`,
      `/environments/${name}/pods`,
    ]) {
      const res = await ctx.api.get(path);
      expect(res.status).toBe(200);
      expect(res.text).not.toContain(secret);
    }

    // Someone changes the value by hand: a repair restores it, and its record quotes neither.
    await core.patchNamespacedSecret({
      name: 'archipelago-secrets',
      namespace,
      body: [
        {
          op: 'replace',
          path: '/data/global.DB_PASSWORD',
          value: Buffer.from('tampered-value').toString('base64'),
        },
      ],
    });
    const repair = await eventually(
      'a repair of the Secret',
      async () => {
        const ops = (await ctx.api.get(`/environments/${name}/operations`)).body
          .items;
        return ops.find(
          (o: any) => o.type === 'repair' && o.status === 'succeeded',
        );
      },
      90_000,
    );
    expect(JSON.stringify(repair.params.drift)).toContain(
      'Secret/archipelago-secrets was changed',
    );
    const ops = (await ctx.api.get(`/environments/${name}/operations`)).text;
    expect(ops).not.toContain(secret);
    expect(ops).not.toContain('tampered-value');
    expect(ops).not.toContain(Buffer.from(secret).toString('base64'));
    const restored = await core.readNamespacedSecret({
      name: 'archipelago-secrets',
      namespace,
    });
    expect(
      Buffer.from(restored.data!['global.DB_PASSWORD'], 'base64').toString(),
    ).toBe(secret);
  });
});
