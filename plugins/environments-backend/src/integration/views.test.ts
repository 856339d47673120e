/*
 * Page views cost the API server nothing: the backend reaches the test cluster through a
 * counting HTTPS proxy, and reading an environment, its pods, topology, events and registry
 * many times adds no request to the ones the watch cache keeps open.
 */
import {
  ENVIRONMENT_LABEL,
  EnvironmentsClient,
} from '@archipelago/plugin-environments-common';
import { mockCredentials } from '@backstage/backend-test-utils';
import { ResponseError } from '@backstage/errors';
import request from 'supertest';
import {
  eventually,
  startEnvironmentsBackend,
  testClusterAppConfig,
  testKube,
  uniqueName,
} from '../__testUtils__/harness';
import { countingProxy } from '../__testUtils__/countingProxy';

jest.setTimeout(240_000);

describe('views', () => {
  let proxy: Awaited<ReturnType<typeof countingProxy>>;
  let ctx: Awaited<ReturnType<typeof startEnvironmentsBackend>>;
  const { core } = testKube();
  const name = uniqueName('views');

  beforeAll(async () => {
    proxy = await countingProxy(
      testClusterAppConfig().kubernetes.clusterLocatorMethods[0].clusters[0],
    );
    ctx = await startEnvironmentsBackend({
      cluster: { url: proxy.url, caData: proxy.caData },
      config: { limits: { logFollowsPerUser: 2, logSince: '1h' } },
    });
  });

  afterAll(async () => {
    await ctx?.api.delete(`/environments/${name}`);
    await eventually(
      'cleanup',
      async () =>
        (
          await core.listNamespace({
            labelSelector: `${ENVIRONMENT_LABEL}=${name}`,
          })
        ).items.length === 0
          ? true
          : undefined,
      120_000,
    ).catch(() => undefined);
    await ctx?.backend.stop();
    proxy?.close();
  });

  it('reads status, pods, topology, events and registry from the watch cache only', async () => {
    const created = await ctx.api.post('/environments', {
      name,
      owner: 'group:default/backend',
      purpose: 'sandbox',
      services: [{ name: 'global' }, { name: 'matching' }],
    });
    expect(created.status).toBe(202);
    await eventually(`${name} to be Ready`, async () => {
      const env = (await ctx.api.get(`/environments/${name}`)).body;
      return env.status?.phase === 'Ready' ? env : undefined;
    });
    // The proxy is in the path: the cache's lists and watches and the reconciler's applies
    // went through it.
    const calls = () => proxy.seen.filter(s => !s.watch);
    expect(
      proxy.seen.some(s => s.watch && s.url.startsWith('/api/v1/pods')),
    ).toBe(true);
    expect(calls().some(s => s.method === 'PATCH')).toBe(true);
    // Let the create operation's last requests finish.
    await eventually('the backend to go quiet', async () => {
      const last = calls().at(-1)?.at ?? 0;
      return Date.now() - last > 3000 ? true : undefined;
    });

    const before = calls().length;
    for (let round = 0; round < 20; round++) {
      const [list, env, pods, topology, events, registry, resolved] =
        await Promise.all([
          ctx.api.get('/environments'),
          ctx.api.get(`/environments/${name}`),
          ctx.api.get(`/environments/${name}/pods`),
          ctx.api.get(`/environments/${name}/topology`),
          ctx.api.get(`/environments/${name}/events`),
          ctx.api.get(`/environments/${name}/registry`),
          ctx.api.get(`/environments/${name}/resolve/global`),
        ]);
      expect(list.body.items.some((e: any) => e.name === name)).toBe(true);
      expect(env.body.status.phase).toBe('Ready');
      expect(pods.body.items).toHaveLength(2);
      expect(topology.body.nodes.map((n: any) => n.id).sort()).toEqual(
        expect.arrayContaining(['global', 'matching']),
      );
      expect(events.status).toBe(200);
      expect(registry.body.items).toHaveLength(2);
      expect(resolved.body.environment).toBe(name);
      // The page's one request: the environment with its topology and pods, as the three
      // reads answer them.
      const page = await ctx.api.get(
        `/environments/${name}?include=topology&include=pods`,
      );
      const { included, ...rest } = page.body;
      const unobserved = (e: any) => ({
        ...e,
        status: { ...e.status, observedAt: undefined },
      });
      expect(unobserved(rest)).toEqual(unobserved(env.body));
      expect(included.topology).toEqual(topology.body);
      expect(included.pods).toEqual(pods.body);
    }
    expect(calls().slice(before)).toEqual([]);
  });

  it("says how it sees each cluster: reachable, what it caches, its request cap, and the Service IPs the cluster's range has left", async () => {
    const { body } = await ctx.api.get('/clusters');
    expect(body.items).toHaveLength(1);
    const [local] = body.items;
    expect(local).toMatchObject({
      name: 'local',
      reachable: true,
      synced: true,
      maxRequestsInFlight: 16,
    });
    expect(local.cachedObjects).toBeGreaterThan(0);
    expect(local.peakRequestsInFlight).toBeGreaterThan(0);
    expect(local.peakRequestsInFlight).toBeLessThanOrEqual(16);
    // The range the API server serves (its ServiceCIDR), and every Service with a cluster IP.
    expect(local.serviceIPs.total).toBeGreaterThanOrEqual(254);
    await eventually('the Service count to match the cluster', async () => {
      const now = (await ctx.api.get('/clusters')).body.items[0].serviceIPs;
      const live = (await core.listServiceForAllNamespaces()).items.filter(
        s => s.spec?.clusterIP && s.spec.clusterIP !== 'None',
      ).length;
      return live > 0 && now.used === live ? true : undefined;
    });
  });

  it('answers the typed client generated from openapi.yaml', async () => {
    const client = new EnvironmentsClient({
      discoveryApi: {
        getBaseUrl: async () => ctx.baseUrl,
      },
    });
    const token = mockCredentials.user.token('user:default/guest');
    const mine = await client.listEnvironments(
      {
        owner: ['group:default/backend', 'group:default/design'],
        purpose: 'sandbox',
      },
      { token },
    );
    expect(mine.items.map(e => e.name)).toContain(name);
    const none = await client.listEnvironments(
      { owner: 'group:default/design' },
      { token },
    );
    expect(none.items.map(e => e.name)).not.toContain(name);
    // The component filter: the kind defaults to component, refs are case-insensitive.
    for (const ref of ['global', 'component:default/Global']) {
      const running = await client.listEnvironments(
        { component: ref },
        { token },
      );
      expect(running.items.map(e => e.name)).toContain(name);
    }
    const notRunning = await client.listEnvironments(
      { component: 'component:default/shop-api' },
      { token },
    );
    expect(notRunning.items.map(e => e.name)).not.toContain(name);
    const badComponent = await client
      .listEnvironments({ component: 'component:' }, { token })
      .catch(e => e);
    expect(badComponent.response.status).toBe(400);
    expect(badComponent.body.errors.map((e: any) => e.path)).toEqual([
      'component',
    ]);
    expect((await client.getEnvironment(name, { token })).status.phase).toBe(
      'Ready',
    );
    const withPods = await client.getEnvironmentWith(name, ['pods'], {
      token,
    });
    expect(withPods.name).toBe(name);
    expect(withPods.included.pods!.items).toHaveLength(2);
    expect(withPods.included.topology).toBeUndefined();
    const badPart = await client
      .getEnvironmentWith(name, ['logs' as any], { token })
      .catch(e => e);
    expect(badPart.response.status).toBe(400);
    expect(badPart.body.errors.map((e: any) => e.path)).toEqual(['include[0]']);
    const pods = await client.getPods(name, { token });
    expect(pods.items.map(p => p.service).sort()).toEqual([
      'global',
      'matching',
    ]);
    const topology = await client.getTopology(name, { token });
    expect(topology.nodes.length).toBeGreaterThanOrEqual(2);
    const ops = await client.listOperations(name, { token });
    expect(ops.items[0].type).toBe('create');
    expect(
      (await client.getOperation(name, ops.items[0].id, { token })).status,
    ).toBe('succeeded');
    expect((await client.listRevisions(name, { token })).items).toHaveLength(1);
    expect((await client.resolve(name, 'global', { token })).environment).toBe(
      name,
    );
    const dryRun = await client.dryRunCreate(
      {
        name: `${name}-x`,
        owner: 'group:default/backend',
        purpose: 'sandbox',
        services: [{ name: 'global' }],
      },
      { token },
    );
    expect(dryRun.objects.some(o => o.kind === 'Deployment')).toBe(true);
    const logs = await client.streamLogs(
      name,
      pods.items[0].name,
      { tailLines: 5 },
      { token },
    );
    expect(logs.headers.get('content-type')).toMatch(/text\/plain/);

    // Refusals carry the backend's field errors, whichever validator caught them.
    const refused = await client
      .createEnvironment(
        {
          name: 'Bad_Name',
          owner: 'group:default/backend',
          purpose: 'x',
          services: [],
        },
        { token },
      )
      .catch(e => e);
    expect(refused).toBeInstanceOf(ResponseError);
    expect(refused.response.status).toBe(400);
    expect(refused.body.error.message).toMatch(/name/);
    const badQuery = await client
      .getPods(name, { token })
      .then(() =>
        client.streamLogs(
          name,
          pods.items[0].name,
          { tailLines: -1 },
          { token },
        ),
      )
      .catch(e => e);
    expect(badQuery).toBeInstanceOf(ResponseError);
    expect(badQuery.response.status).toBe(400);
    const badPurpose = await client
      .listEnvironments({ purpose: 'party' }, { token })
      .catch(e => e);
    expect(badPurpose.response.status).toBe(400);
    expect(badPurpose.body.errors.map((e: any) => e.path)).toEqual(['purpose']);
    const missing = await client
      .getEnvironment('no-such-environment', { token })
      .catch(e => e);
    expect(missing.response.status).toBe(404);
  });

  it('bounds log reads: follows per user, how far back, and a client that leaves ends the upstream stream', async () => {
    const pod = (await ctx.api.get(`/environments/${name}/pods`)).body.items[0]
      .name;
    const logs = `/environments/${name}/pods/${pod}/logs`;
    const tooOld = await ctx.api.get(
      `${logs}?sinceTime=${new Date(Date.now() - 2 * 3600_000).toISOString()}`,
    );
    expect(tooOld.status).toBe(400);
    expect(tooOld.body.error.message).toMatch(
      /^sinceTime: must be within the last 3600 seconds/,
    );
    expect((await ctx.api.get(`${logs}?sinceSeconds=7200`)).status).toBe(400);

    // Two followed logs at once are allowed here (limits.logFollowsPerUser: 2).
    const follow = () => {
      const controller = new AbortController();
      const response = fetch(`${ctx.baseUrl}${logs}?follow=true`, {
        headers: { Authorization: ctx.auth },
        signal: controller.signal,
      });
      return { controller, response };
    };
    const first = follow();
    const second = follow();
    expect((await first.response).status).toBe(200);
    expect((await second.response).status).toBe(200);
    await eventually('both upstream streams', async () =>
      proxy.openLogs.size === 2 ? true : undefined,
    );
    const third = await ctx.api.get(`${logs}?follow=true`);
    expect(third.status).toBe(409);
    expect(third.body.error.message).toMatch(
      /^follow: you already follow 2 logs/,
    );

    // A client that leaves ends the stream to the API server, and frees its place.
    first.controller.abort();
    second.controller.abort();
    await eventually('the upstream streams to close', async () =>
      proxy.openLogs.size === 0 ? true : undefined,
    );
    const again = follow();
    expect((await again.response).status).toBe(200);
    again.controller.abort();
    await eventually('the last upstream stream to close', async () =>
      proxy.openLogs.size === 0 ? true : undefined,
    );
  });

  it('pages revisions', async () => {
    for (const version of ['1.1', '1.2']) {
      const op = await ctx.api.post(`/environments/${name}/operations`, {
        type: 'deploy',
        services: [{ name: 'global', version }],
      });
      expect(op.status).toBe(202);
    }
    const page1 = (await ctx.api.get(`/environments/${name}/revisions?limit=2`))
      .body;
    expect(page1.items.map((r: any) => r.revision)).toEqual([3, 2]);
    expect(page1.nextBefore).toBe(2);
    const page2 = (
      await ctx.api.get(`/environments/${name}/revisions?limit=2&before=2`)
    ).body;
    expect(page2.items.map((r: any) => r.revision)).toEqual([1]);
    expect(page2.nextBefore).toBeUndefined();
    const bad = await ctx.api.get(`/environments/${name}/revisions?limit=0`);
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.path)).toEqual(['limit']);
  });

  it('names the field of every malformed request: a body too big or not JSON, an unknown query parameter, a path no route answers', async () => {
    const big = await ctx.api.post('/environments', {
      name: 'big',
      owner: 'group:default/backend',
      purpose: 'sandbox',
      title: 'x'.repeat(2 * 1024 * 1024),
    });
    expect(big.status).toBe(413);
    expect(big.body.errors).toEqual([
      { path: 'body', message: 'must be at most 1 MB' },
    ]);
    const notJson = await request(ctx.backend.server)
      .post('/api/environments/environments')
      .set('Authorization', ctx.auth)
      .set('Content-Type', 'application/json')
      .send('{"name": "x",');
    expect(notJson.status).toBe(400);
    expect(notJson.body.errors).toEqual([
      { path: 'body', message: expect.stringMatching(/^must be JSON/) },
    ]);
    const unknown = await ctx.api.get('/environments?colour=blue');
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([
      { path: 'colour', message: 'is not a query parameter of this route' },
    ]);
    const nowhere = await ctx.api.get(`/environments/${name}/nowhere`);
    expect(nowhere.status).toBe(404);
    expect(nowhere.body.error.message).toMatch(/^path: no route answers GET/);
  });
});
