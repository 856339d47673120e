/*
 * The environment lifecycle through the REST API, against the real local test cluster:
 * create (seed 000 style) to Ready, registry, base fallback (API and in-cluster), deploy and
 * rollback, stop and start, restart, a failing pod, capacity refusal, bad input, TTL expiry
 * and destroy.
 */
import { AppsV1Api } from '@kubernetes/client-node';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ENVIRONMENT_LABEL,
  SERVICE_LABEL,
} from '@archipelago/plugin-environments-common';
import {
  eventually,
  startEnvironmentsBackend,
  testKube,
  uniqueName,
} from '../__testUtils__/harness';

jest.setTimeout(240_000);

describe('environments lifecycle on the local cluster', () => {
  let ctx: Awaited<ReturnType<typeof startEnvironmentsBackend>>;
  const { kc, core } = testKube();
  const integration = uniqueName('int');
  const feature = uniqueName('feat');

  const envOf = async (name: string) =>
    (await ctx.api.get(`/environments/${name}`)).body;
  const phase = (name: string, wanted: string) =>
    eventually(`${name} to be ${wanted}`, async () => {
      const env = await envOf(name);
      return env.status?.phase === wanted ? env : undefined;
    });
  const operationDone = (name: string, id: string) =>
    eventually(`operation ${id} to finish`, async () => {
      const op = (await ctx.api.get(`/environments/${name}/operations/${id}`))
        .body;
      return op.status === 'succeeded' || op.status === 'failed'
        ? op
        : undefined;
    });
  const pods = async (ns: string, selector: string) =>
    (await core.listNamespacedPod({ namespace: ns, labelSelector: selector }))
      .items;

  // The studio's registry, as the built-in webhook registrar sees it (seed 002).
  const webhookEvents: Array<{ action: string; entry: any }> = [];
  const webhook = http.createServer((req, res) => {
    let body = '';
    req.on('data', c => (body += c));
    req.on('end', () => {
      webhookEvents.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });

  beforeAll(async () => {
    await new Promise<void>(r => webhook.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${
      (webhook.address() as AddressInfo).port
    }/register`;
    ctx = await startEnvironmentsBackend({
      config: { registrars: { webhook: { url } } },
    });
  });

  afterAll(async () => {
    for (const name of [feature, integration]) {
      await ctx.api.delete(`/environments/${name}`);
    }
    await eventually(
      'cleanup',
      async () => {
        const left = await core.listNamespace({
          labelSelector: `${ENVIRONMENT_LABEL} in (${feature},${integration})`,
        });
        return left.items.length === 0 ? true : undefined;
      },
      120_000,
    ).catch(() => undefined);
    await ctx?.backend.stop();
    webhook.close();
  });

  it('creates an environment from a request as short as seed 000, to Ready, and registers its instances', async () => {
    const res = await ctx.api.post('/environments', {
      name: integration,
      owner: 'group:default/backend',
      purpose: 'integration',
      services: [
        { name: 'global' },
        { name: 'matching' },
        { name: 'game', version: '20210422' },
      ],
    });
    expect(res.status).toBe(202);
    expect(res.body.operation).toMatchObject({
      type: 'create',
      status: 'pending',
      revision: 1,
    });

    const env = await phase(integration, 'Ready');
    expect(env.namespace).toBe(`env-${integration}`);
    expect(
      env.status.services.map((s: any) => [s.name, s.health, s.readyReplicas]),
    ).toEqual([
      ['game', 'Ready', 1],
      ['global', 'Ready', 1],
      ['matching', 'Ready', 1],
    ]);
    // Browsers learn of the change through signals, on the environment's channel.
    const signalled = await eventually('a status signal', async () =>
      ctx.signals.find(
        sig =>
          sig.channel === `environments:${integration}` &&
          (sig.message as any).change === 'status',
      ),
    );
    expect(signalled.recipients).toEqual({ type: 'broadcast' });
    // Signals reach any subscriber, so they say only that something changed, never what.
    for (const sig of ctx.signals)
      expect(Object.keys(sig.message as object)).toEqual(['change']);
    expect(
      ctx.signals.some(
        sig =>
          sig.channel === 'environments' &&
          (sig.message as any).change === 'status',
      ),
    ).toBe(true);
    const op = (await ctx.api.get(`/environments/${integration}/operations`))
      .body.items[0];
    expect(op.steps.map((s: any) => [s.name, s.status])).toEqual([
      ['render', 'succeeded'],
      ['capacity', 'succeeded'],
      ['apply', 'succeeded'],
      ['prune', 'succeeded'],
      ['wait', 'succeeded'],
    ]);
    // The create made the namespace: there was nothing in it to list or delete.
    expect(op.steps.find((s: any) => s.name === 'prune').message).toBe(
      'nothing to delete (a namespace new with this apply)',
    );

    const registry = await eventually('registry entries', async () => {
      const r = (await ctx.api.get(`/environments/${integration}/registry`))
        .body;
      return r.items.length === 3 ? r : undefined;
    });
    for (const entry of registry.items) {
      expect(entry).toMatchObject({ environment: integration, ready: true });
      expect(entry.address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(entry.registeredAt).toBeTruthy();
    }
    const registered = await eventually(
      'the webhook registrar to receive the registrations',
      async () => {
        const mine = webhookEvents.filter(
          e =>
            e.entry.environment === integration &&
            e.action === 'register' &&
            e.entry.ready,
        );
        return new Set(mine.map(e => e.entry.service)).size === 3
          ? mine
          : undefined;
      },
    );
    expect(registered.map(e => e.entry.instance)).toEqual(
      expect.arrayContaining(['game-v20210422-0', 'matching-0']),
    );
    expect(registry.items.find((e: any) => e.service === 'game')).toMatchObject(
      {
        version: '20210422',
        instance: 'game-v20210422-0',
        ports: [{ name: 'game', port: 10001 }],
      },
    );
  });

  it('falls back to the base for services a feature environment does not run, in the API and in the cluster', async () => {
    const res = await ctx.api.post('/environments', {
      name: feature,
      owner: 'group:default/backend',
      purpose: 'feature',
      base: integration,
      ttl: '8h',
      services: [{ name: 'game', version: '20211001' }],
    });
    expect(res.status).toBe(202);
    await phase(feature, 'Ready');

    // The registry follows the cache a moment after the environment turns Ready.
    const own = await eventually(
      'the feature environment to resolve its own game instance',
      async () => {
        const r = (await ctx.api.get(`/environments/${feature}/resolve/game`))
          .body;
        return r.instances?.length === 1 ? r : undefined;
      },
    );
    expect(own).toMatchObject({
      answeredBy: feature,
      chain: [feature],
      address: `game.env-${feature}.svc.cluster.local`,
    });
    expect(own.instances.map((i: any) => i.version)).toEqual(['20211001']);
    const fallback = (
      await ctx.api.get(`/environments/${feature}/resolve/global`)
    ).body;
    expect(fallback).toMatchObject({
      answeredBy: integration,
      chain: [feature, integration],
    });
    expect(fallback.instances).toHaveLength(1);
    expect(
      (await ctx.api.get(`/environments/${feature}/resolve/nothing`)).status,
    ).toBe(404);

    // Inside the cluster, the plain name "global" resolves to the base's Service.
    const svc = await core.readNamespacedService({
      name: 'global',
      namespace: `env-${feature}`,
    });
    expect(svc.spec).toMatchObject({
      type: 'ExternalName',
      externalName: `global.env-${integration}.svc.cluster.local`,
    });

    const topology = (await ctx.api.get(`/environments/${feature}/topology`))
      .body;
    expect(topology.edges).toEqual(
      expect.arrayContaining([
        { from: 'game', to: `${integration}/global`, fallback: true },
      ]),
    );
  });

  it('deploys a new version as a new revision, then rolls back', async () => {
    const deploy = await ctx.api.post(`/environments/${feature}/operations`, {
      type: 'deploy',
      services: [{ name: 'game', version: '20211002' }],
    });
    expect(deploy.status).toBe(202);
    expect(deploy.body.revision).toBe(2);
    const deployed = await operationDone(feature, deploy.body.id);
    expect(deployed.status).toBe('succeeded');
    // Success means the new version runs: its wait step did not pass on the old pods the
    // watch cache still held right after the apply.
    const running = (
      await pods(`env-${feature}`, 'archipelago.dev/service=game')
    ).filter(p => !p.metadata?.deletionTimestamp);
    expect(
      running.map(p => p.metadata?.labels?.['archipelago.dev/version']),
    ).toEqual(['20211002']);

    const rollback = await ctx.api.post(`/environments/${feature}/operations`, {
      type: 'rollback',
      revision: 1,
    });
    expect(rollback.status).toBe(202);
    expect(rollback.body.revision).toBe(3);
    expect((await operationDone(feature, rollback.body.id)).status).toBe(
      'succeeded',
    );
    const env = await envOf(feature);
    expect(env.status.services[0]).toMatchObject({
      name: 'game',
      version: '20211001',
      health: 'Ready',
    });
    const revisions = (await ctx.api.get(`/environments/${feature}/revisions`))
      .body.items;
    expect(revisions.map((r: any) => [r.revision, r.reason])).toEqual([
      [3, 'rollback to revision 1'],
      [2, 'deploy game@20211002'],
      [1, 'create'],
    ]);
  });

  it('stops services to zero and starts them again, deregistering and re-registering', async () => {
    const stop = await ctx.api.post(`/environments/${feature}/operations`, {
      type: 'stop',
    });
    expect((await operationDone(feature, stop.body.id)).status).toBe(
      'succeeded',
    );
    await phase(feature, 'Stopped');
    await eventually('no game pods', async () =>
      (await pods(`env-${feature}`, 'archipelago.dev/service=game')).length ===
      0
        ? true
        : undefined,
    );
    await eventually('deregistration', async () => {
      const r = (await ctx.api.get(`/environments/${feature}/registry`)).body;
      return r.items.length === 0 ? r : undefined;
    });
    // Stopping keeps volumes and config.
    const claims = await core.listNamespacedPersistentVolumeClaim({
      namespace: `env-${feature}`,
    });
    expect(claims.items.map(c => c.metadata?.name)).toContain(
      'code-server-code',
    );

    const start = await ctx.api.post(`/environments/${feature}/operations`, {
      type: 'start',
    });
    expect((await operationDone(feature, start.body.id)).status).toBe(
      'succeeded',
    );
    await phase(feature, 'Ready');
    await eventually('re-registration', async () => {
      const r = (await ctx.api.get(`/environments/${feature}/registry`)).body;
      return r.items.length === 1 && r.items[0].ready ? r : undefined;
    });
  });

  it('restarts a service by replacing its pods', async () => {
    const signalsBefore = ctx.signals.length;
    const [before] = await pods(
      `env-${feature}`,
      'archipelago.dev/service=game',
    );
    const restart = await ctx.api.post(`/environments/${feature}/operations`, {
      type: 'restart',
      services: ['game'],
    });
    expect((await operationDone(feature, restart.body.id)).status).toBe(
      'succeeded',
    );
    const after = await eventually('a new game pod', async () => {
      const [p] = await pods(`env-${feature}`, 'archipelago.dev/service=game');
      return p && p.metadata?.uid !== before.metadata?.uid ? p : undefined;
    });
    expect(
      after.metadata?.annotations?.['archipelago.dev/restarted-at'],
    ).toBeTruthy();
    // The portal follows the operation step by step, and hears of the new pod although the
    // environment's phase never left Ready: both come on the environment's channel.
    const onChannel = () =>
      ctx.signals
        .slice(signalsBefore)
        .filter(sig => sig.channel === `environments:${feature}`)
        .map(sig => sig.message as any);
    const running = onChannel().filter(m => m.change === 'operation');
    // One when the worker claims it, one per step start and end.
    expect(running.length).toBeGreaterThanOrEqual(3);
    await eventually('a signal for the replaced pod', async () =>
      onChannel().some(m => m.change === 'pods') ? true : undefined,
    );
  });

  it('shows Degraded with the reason when a pod crash-loops', async () => {
    const [pod] = await pods(
      `env-${integration}`,
      'archipelago.dev/service=global',
    );
    await core.patchNamespacedPod({
      name: pod.metadata!.name!,
      namespace: `env-${integration}`,
      body: [
        {
          op: 'add',
          path: '/metadata/labels/archipelago.dev~1simulate',
          value: 'crashloop',
        },
      ],
    });
    const env = await phase(integration, 'Degraded');
    expect(env.status.reasons).toEqual([
      expect.stringMatching(
        new RegExp(
          `^global: ${pod.metadata!.name}: CrashLoopBackOff \\(exit code 1`,
        ),
      ),
    ]);
    const podView = (
      await ctx.api.get(`/environments/${integration}/pods`)
    ).body.items.find((p: any) => p.name === pod.metadata!.name);
    expect(podView).toMatchObject({
      ready: false,
      restarts: 5,
      reason: expect.stringMatching(/CrashLoopBackOff/),
    });

    const restart = await ctx.api.post(
      `/environments/${integration}/operations`,
      { type: 'restart', services: ['global'] },
    );
    expect((await operationDone(integration, restart.body.id)).status).toBe(
      'succeeded',
    );
    await phase(integration, 'Ready');
  });

  it('streams the logs of a pod through the API, and follows new lines', async () => {
    const tail = await ctx.api.get(
      `/environments/${integration}/pods/game-v20210422-0/logs?tailLines=5`,
    );
    expect({ status: tail.status, error: tail.body?.error?.message }).toEqual({
      status: 200,
      error: undefined,
    });
    expect(tail.headers['content-type']).toMatch(/^text\/plain/);
    const lines = tail.text.trim().split('\n');
    // kwok's simulated log serves tailLines=N as at most N lines.
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(5);
    // Each line carries its timestamp, then the simulated game-server message.
    expect(lines[0]).toMatch(
      /^\d{4}-\d\d-\d\dT\S+Z (server tick|handled request|match queue|registered|cron heartbeat)/,
    );

    // Following keeps the response open and delivers lines as they are written.
    const abort = new AbortController();
    const res = await fetch(
      `${ctx.baseUrl}/environments/${integration}/pods/game-v20210422-0/logs?follow=true&sinceSeconds=1`,
      {
        headers: { Authorization: ctx.auth },
        signal: abort.signal,
      },
    );
    expect({
      status: res.status,
      body: res.status === 200 ? '' : await res.text(),
    }).toEqual({ status: 200, body: '' });
    // Browsers ask for compressed answers; the stream says that it must stay as it is, or the
    // app's compression middleware holds the followed lines back (the browser tests read it).
    expect(res.headers.get('cache-control')).toContain('no-transform');
    const reader = res.body!.getReader();
    const started = Date.now();
    let followed = '';
    while (
      followed.split('\n').filter(Boolean).length < 3 &&
      Date.now() - started < 15_000
    ) {
      const { value, done } = await reader.read();
      if (done) break;
      followed += new TextDecoder().decode(value);
    }
    abort.abort();
    // The simulated log grows by a line a second, so three lines took a couple of seconds.
    expect(followed.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(
      3,
    );
    expect(Date.now() - started).toBeGreaterThan(1000);

    expect(
      (await ctx.api.get(`/environments/${integration}/pods/nope/logs`)).status,
    ).toBe(404);
    const badContainer = await ctx.api.get(
      `/environments/${integration}/pods/game-v20210422-0/logs?container=nope`,
    );
    expect(badContainer.status).toBe(400);
    expect(badContainer.body.error.message).toMatch(
      /^container: game-v20210422-0 has no container "nope"/,
    );
  });

  it('refuses bad input with errors that name the field, and changes nothing', async () => {
    const bad = await ctx.api.post('/environments', {
      name: 'Bad Name',
      owner: 'someone',
      purpose: 'feature',
      services: [
        { name: 'game', version: 'v 2', replicas: 500 },
        { name: 'ghost' },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.path)).toEqual(
      expect.arrayContaining([
        'name',
        'services[0].version',
        'services[0].replicas',
      ]),
    );
    const unresolved = await ctx.api.post('/environments', {
      name: uniqueName('bad'),
      owner: 'group:default/backend',
      purpose: 'feature',
      base: 'no-such-env',
      services: [{ name: 'ghost' }],
    });
    expect(unresolved.status).toBe(400);
    expect(unresolved.body.errors).toEqual(
      expect.arrayContaining([
        {
          path: 'services[0]',
          message: expect.stringMatching(/no service definition/),
        },
        {
          path: 'base',
          message: 'there is no environment named "no-such-env"',
        },
      ]),
    );
    const badOp = await ctx.api.post(`/environments/${feature}/operations`, {
      type: 'deploy',
      services: [{ name: 'nope', version: '1' }],
    });
    expect(badOp.status).toBe(400);
    expect(badOp.body.errors).toEqual([
      {
        path: 'services[0].name',
        message: `"nope" is not a service of ${feature}`,
      },
    ]);
    expect(
      (
        await ctx.api.post(`/environments/${feature}/operations`, {
          type: 'rollback',
          revision: 99,
        })
      ).status,
    ).toBe(400);
    expect((await ctx.api.get('/environments/does-not-exist')).status).toBe(
      404,
    );

    const taken = await ctx.api.post('/environments', {
      name: feature,
      owner: 'group:default/backend',
      purpose: 'feature',
      services: [{ name: 'global' }],
    });
    expect(taken.status).toBe(409);

    expect((await envOf(feature)).revision).toBe(3);
    const namespaces = await core.listNamespace({
      labelSelector: ENVIRONMENT_LABEL,
    });
    expect(
      namespaces.items
        .map(n => n.metadata?.name)
        .filter(n => /bad|ghost/.test(n ?? '')),
    ).toEqual([]);
  });

  it('refuses a change the cluster cannot hold, saying how much is short, and applies nothing', async () => {
    const name = uniqueName('huge');
    const res = await ctx.api.post('/environments', {
      name,
      owner: 'group:default/backend',
      purpose: 'perf',
      services: [
        {
          name: 'global',
          replicas: 20,
          resources: { requests: { cpu: '16', memory: '1Gi' } },
        },
      ],
    });
    expect(res.status).toBe(202);
    const op = await operationDone(name, res.body.operation.id);
    expect(op.status).toBe('failed');
    expect(op.error).toMatch(
      /^Not enough capacity on cluster "local": 320 CPU requested, .* free\. Nothing was applied\.$/,
    );
    expect((await envOf(name)).status.phase).toBe('Failed');
    await expect(
      core.readNamespace({ name: `env-${name}` }),
    ).rejects.toMatchObject({ code: 404 });
    await ctx.api.delete(`/environments/${name}`);
  });

  it("refuses an environment over its purpose's quota, naming the quota, and applies nothing", async () => {
    const name = uniqueName('quota');
    const res = await ctx.api.post('/environments', {
      name,
      owner: 'group:default/backend',
      purpose: 'sandbox',
      services: [{ name: 'global', replicas: 20 }, { name: 'matching' }],
    });
    expect(res.status).toBe(202);
    const op = await operationDone(name, res.body.operation.id);
    expect(op.status).toBe('failed');
    expect(op.error).toBe(
      'Over the quota of sandbox environments: 21 pods wanted, 20 allowed. Ask for fewer replicas, or another purpose. Nothing was applied.',
    );
    await expect(
      core.readNamespace({ name: `env-${name}` }),
    ).rejects.toMatchObject({ code: 404 });
    await ctx.api.delete(`/environments/${name}`);
  });

  it('never rolls out a deploy the quota refused, not even through a later restart', async () => {
    const name = uniqueName('refused');
    const res = await ctx.api.post('/environments', {
      name,
      owner: 'group:default/backend',
      purpose: 'sandbox',
      services: [{ name: 'global' }, { name: 'matching' }],
    });
    expect((await operationDone(name, res.body.operation.id)).status).toBe(
      'succeeded',
    );
    // CI applies the whole spec with 20 replicas of each: 40 pods, over the 20 allowed.
    const over = await ctx.api.put(`/environments/${name}`, {
      owner: 'group:default/backend',
      purpose: 'sandbox',
      services: [
        { name: 'global', replicas: 20 },
        { name: 'matching', replicas: 20 },
      ],
    });
    expect(over.status).toBe(202);
    const refused = await operationDone(name, over.body.operation.id);
    expect(refused.error).toMatch(/^Over the quota of sandbox environments/);
    // The refused change stays the desired state; a restart of another service applies the
    // whole of it, so it is checked again and refused, and nothing runs over the quota.
    const restart = await ctx.api.post(`/environments/${name}/operations`, {
      type: 'restart',
      services: ['matching'],
    });
    const again = await operationDone(name, restart.body.id);
    expect(again.status).toBe('failed');
    expect(again.steps.map((st: any) => st.name)).toContain('capacity');
    expect(again.error).toMatch(/^Over the quota of sandbox environments/);
    // What runs is still revision 1: one replica each (matching, a socket, is a StatefulSet).
    const apps = kc.makeApiClient(AppsV1Api);
    const namespace = `env-${name}`;
    const workloads = [
      ...(await apps.listNamespacedDeployment({ namespace })).items,
      ...(await apps.listNamespacedStatefulSet({ namespace })).items,
    ];
    expect(
      workloads
        .map(w => [w.metadata!.labels![SERVICE_LABEL], w.spec!.replicas])
        .sort(),
    ).toEqual([
      ['global', 1],
      ['matching', 1],
    ]);
    await ctx.api.delete(`/environments/${name}`);
  });

  it('restarts a service of an environment at its quota: the namespace leaves room for the surge', async () => {
    const name = uniqueName('full');
    const res = await ctx.api.post('/environments', {
      name,
      owner: 'group:default/backend',
      purpose: 'sandbox',
      // Exactly the sandbox quota of 20 pods.
      services: [{ name: 'global', replicas: 20 }],
    });
    expect(res.status).toBe(202);
    expect((await operationDone(name, res.body.operation.id)).status).toBe(
      'succeeded',
    );
    const t0 = Date.now();
    const restart = await ctx.api.post(`/environments/${name}/operations`, {
      type: 'restart',
      services: ['global'],
    });
    expect(restart.status).toBe(202);
    const op = await operationDone(name, restart.body.id);
    expect(op.status).toBe('succeeded');
    // Refused surge pods would have left the ReplicaSet controller backing off for minutes.
    expect(Date.now() - t0).toBeLessThan(60_000);
    const quota = await core.readNamespacedResourceQuota({
      name: 'environment-quota',
      namespace: `env-${name}`,
    });
    expect(quota.spec?.hard).toMatchObject({ pods: '22' });
    await ctx.api.delete(`/environments/${name}`);
  });

  it('expires an environment at its TTL and reclaims everything', async () => {
    const name = uniqueName('ttl');
    const res = await ctx.api.post('/environments', {
      name,
      owner: 'group:default/backend',
      purpose: 'sandbox',
      expiresAt: new Date(Date.now() + 8000).toISOString(),
      services: [{ name: 'global' }],
    });
    expect(res.status).toBe(202);
    await phase(name, 'Ready');
    const extended = await ctx.api.post(`/environments/${name}/operations`, {
      type: 'extend',
      ttl: '30d',
    });
    expect(extended.status).toBe(202);
    // Extend is capped at the sandbox maximum (7d), counted from now.
    const until = Date.parse(extended.body.params.expiresAt);
    expect(until).toBeLessThanOrEqual(Date.now() + 7 * 86400_000);
    expect(until).toBeGreaterThan(Date.now() + 6 * 86400_000);

    const short = uniqueName('ttl');
    await ctx.api.post('/environments', {
      name: short,
      owner: 'group:default/backend',
      purpose: 'sandbox',
      expiresAt: new Date(Date.now() + 5000).toISOString(),
      services: [{ name: 'global' }],
    });
    const expired = await phase(short, 'Expired');
    expect(expired.destroyedAt).toBeTruthy();
    await expect(
      core.readNamespace({ name: `env-${short}` }),
    ).rejects.toMatchObject({ code: 404 });
    const ops = (await ctx.api.get(`/environments/${short}/operations`)).body
      .items;
    expect(ops[0]).toMatchObject({
      type: 'expire',
      status: 'succeeded',
      requestedBy: 'system:archipelago-ttl',
    });
    await ctx.api.delete(`/environments/${name}`);
  });

  it('destroys an environment and verifies nothing labelled for it remains', async () => {
    const res = await ctx.api.delete(`/environments/${feature}`);
    expect(res.status).toBe(202);
    expect(res.body.type).toBe('destroy');
    const op = await operationDone(feature, res.body.id);
    expect(op.status).toBe('succeeded');
    expect(op.steps.find((s: any) => s.name === 'verify').message).toBe(
      'nothing labelled for the environment remains',
    );
    expect((await envOf(feature)).status.phase).toBe('Destroyed');
    const left = await core.listPodForAllNamespaces({
      labelSelector: `${ENVIRONMENT_LABEL}=${feature}`,
    });
    expect(left.items).toEqual([]);
    await expect(
      core.readNamespace({ name: `env-${feature}` }),
    ).rejects.toMatchObject({ code: 404 });
    // A destroyed environment accepts no more operations.
    expect(
      (
        await ctx.api.post(`/environments/${feature}/operations`, {
          type: 'start',
        })
      ).status,
    ).toBe(404);
  });
});
