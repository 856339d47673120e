/*
 * Cluster names are used as configured (issue #14): Backstage allows any string, and seed 000's
 * cluster is "Kouzan". The test cluster, configured under that name, takes an environment;
 * the name is kept as given, and a name that is not configured is refused by field.
 */
import {
  destroyAll,
  operationFinished,
  startEnvironmentsBackend,
  testKube,
  uniqueName,
} from '../__testUtils__/harness';

jest.setTimeout(180_000);

describe('a cluster named as configured', () => {
  let ctx: Awaited<ReturnType<typeof startEnvironmentsBackend>>;
  const { core } = testKube();
  const name = uniqueName('kouzan');

  beforeAll(async () => {
    ctx = await startEnvironmentsBackend({
      cluster: { name: 'Kouzan' },
      config: { defaultCluster: 'Kouzan' },
    });
  });
  afterAll(async () => {
    await destroyAll(ctx.api, core, [name]);
    await ctx?.backend.stop();
  });

  it('creates an environment on cluster Kouzan, and keeps the name as configured', async () => {
    const clusters = (await ctx.api.get('/clusters')).body.items;
    expect(clusters.map((c: any) => c.name)).toEqual(['Kouzan']);
    const res = await ctx.api.post('/environments', {
      name,
      owner: 'group:default/backend',
      purpose: 'sandbox',
      cluster: 'Kouzan',
      services: [{ name: 'global' }],
    });
    expect(res.status).toBe(202);
    const op = await operationFinished(ctx.api, name, res.body.operation.id);
    expect(op.status).toBe('succeeded');
    const env = (await ctx.api.get(`/environments/${name}`)).body;
    expect(env).toMatchObject({
      cluster: 'Kouzan',
      status: { phase: 'Ready' },
    });
    const listed = (await ctx.api.get('/environments?cluster=Kouzan')).body
      .items;
    expect(listed.map((e: any) => e.name)).toContain(name);
  });

  it('refuses a cluster that is not configured, naming the field', async () => {
    const res = await ctx.api.post('/environments', {
      name: uniqueName('kouzan'),
      owner: 'group:default/backend',
      purpose: 'sandbox',
      cluster: 'kouzan',
      services: [{ name: 'global' }],
    });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        path: 'cluster',
        message: expect.stringContaining(
          '"kouzan" is not a configured cluster (Kouzan)',
        ),
      },
    ]);
  });
});
