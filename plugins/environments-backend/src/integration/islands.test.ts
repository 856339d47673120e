/*
 * Game-server islands on the test cluster (issue #12): concurrent requests across
 * environments get unique ids and ports on branch=dev nodes; a crashed island stays down with
 * its reason and comes back with the same id and ports when restarted; a clock change reaches
 * the ConfigMap with no restart; destroy gives every port back.
 */
import type { IslandView } from '@archipelago/plugin-environments-common';
import {
  eventually,
  startEnvironmentsBackend,
  testKube,
  uniqueName,
} from '../__testUtils__/harness';

jest.setTimeout(420_000);

describe('islands', () => {
  let ctx: Awaited<ReturnType<typeof startEnvironmentsBackend>> | undefined;
  const names: string[] = [0, 1, 2, 3].map(i => uniqueName(`isl${i}`));
  const { core } = testKube();

  beforeAll(async () => {
    // A range of its own on the shared test cluster: a host port another suite's islands
    // still hold on a node would keep an island of this one off that node.
    ctx = await startEnvironmentsBackend({
      cluster: { islands: { ports: '8000-8999' } },
    });
  });
  afterAll(async () => {
    // Destroyed for real before the backend stops, so that no island holds its ports on.
    const api = ctx?.api;
    if (api)
      await Promise.all(
        names.map(async n => {
          const res = await api.delete(`/environments/${n}`);
          if (res.status !== 202) return;
          await eventually(`${n} to be destroyed`, async () =>
            (
              await api.get(`/environments/${n}`)
            ).body.destroyedAt
              ? true
              : undefined,
          ).catch(() => undefined);
        }),
      );
    await ctx?.backend.stop();
  });

  const islands = async (name: string): Promise<IslandView[]> =>
    (await ctx!.api.get(`/environments/${name}/islands`)).body.items;
  const finished = (name: string, id: string) =>
    eventually(
      `operation ${id} on ${name} to finish`,
      async () => {
        const op = (
          await ctx!.api.get(`/environments/${name}/operations/${id}`)
        ).body;
        return op.status === 'succeeded' || op.status === 'failed'
          ? op
          : undefined;
      },
      180_000,
    );

  it('gives 20 islands requested at once across 4 environments unique ids and ports, on branch=dev nodes, and a crashed one stays down until restarted', async () => {
    const api = ctx!.api;
    const created = await Promise.all(
      names.map(name =>
        api.post('/environments', {
          name,
          owner: 'group:default/backend',
          purpose: 'sandbox',
          services: [{ name: 'altraserver' }],
        }),
      ),
    );
    expect(created.map(r => r.status)).toEqual([202, 202, 202, 202]);
    // 20 requests at once, 5 per environment.
    const adds = await Promise.all(
      names.flatMap(name =>
        Array.from({ length: 5 }, () =>
          api.post(`/environments/${name}/operations`, {
            type: 'island-add',
            service: 'altraserver',
            count: 1,
          }),
        ),
      ),
    );
    expect(adds.map(r => r.status)).toEqual(Array(20).fill(202));
    for (const [i, r] of adds.entries()) {
      const op = await finished(names[Math.floor(i / 5)], r.body.id);
      expect([op.status, op.error]).toEqual(['succeeded', undefined]);
    }
    const all = (await Promise.all(names.map(islands))).flat();
    expect(all).toHaveLength(20);
    expect(all.map(i => i.phase)).toEqual(Array(20).fill('Ready'));
    const ports = all.flatMap(i => i.ports.map(p => p.port));
    expect(new Set(all.map(i => i.id)).size).toBe(20);
    expect(new Set(ports).size).toBe(60);
    for (const p of ports) expect(p >= 8000 && p <= 8999).toBe(true);

    // What the cluster holds: bare Pods with hostPort = containerPort, on branch=dev nodes.
    const nodes = new Map(
      (await core.listNode()).items.map(n => [
        n.metadata!.name!,
        n.metadata!.labels ?? {},
      ]),
    );
    for (const name of names) {
      const pods = (
        await core.listNamespacedPod({ namespace: `env-${name}` })
      ).items.filter(p => p.metadata?.labels?.['archipelago.dev/island']);
      expect(pods).toHaveLength(5);
      for (const p of pods) {
        expect(p.metadata?.ownerReferences ?? []).toEqual([]);
        expect(p.spec?.restartPolicy).toBe('Never');
        expect(nodes.get(p.spec!.nodeName!)?.branch).toBe('dev');
        const c = p.spec!.containers[0];
        for (const port of c.ports ?? [])
          expect(port.hostPort).toBe(port.containerPort);
        const env = Object.fromEntries(
          (c.env ?? []).map(e => [e.name, e.value]),
        );
        const view = all.find(
          i => String(i.id) === p.metadata!.labels!['archipelago.dev/island'],
        )!;
        expect(env.ISLAND_ID).toBe(String(view.id));
        expect(env.SERVER_PORT).toBe(
          String(view.ports.find(x => x.name === 'server-port')!.port),
        );
        expect(c.command).toEqual([
          'sh',
          '/home/seed.sh',
          String(view.id),
          'false',
          env.SERVER_PORT,
          '',
        ]);
        expect(view.connect.map(x => x.address)).toEqual(
          view.ports.map(x => `${p.status!.hostIP}:${x.port}`),
        );
      }
    }

    // Registered: the node's address and the host ports.
    await eventually('the islands to be registered', async () => {
      const reg = (await api.get(`/environments/${names[0]}/registry`)).body
        .items;
      return reg.filter((e: any) => e.island && e.ready).length === 5
        ? reg
        : undefined;
    });

    // The cluster's failure switch crashes one island: it stays down, with its reason.
    const [victim] = await islands(names[0]);
    const ns = `env-${names[0]}`;
    await core.patchNamespacedPod({
      namespace: ns,
      name: victim.pod!,
      body: [
        {
          op: 'add',
          path: '/metadata/labels/archipelago.dev~1simulate',
          value: 'exit',
        },
      ],
    });
    const down = await eventually(
      `island ${victim.id} to be Down`,
      async () => {
        const v = (await islands(names[0])).find(i => i.id === victim.id)!;
        return v.phase === 'Down' ? v : undefined;
      },
    );
    expect(down).toMatchObject({ exitCode: 1, pod: victim.pod });
    expect(down.reason).toMatch(/exited with code 1: Error/);
    // Restarting it gives it a new Pod with the same id and ports; the exited one stays for
    // its logs (it holds no host port).
    const restart = await api.post(`/environments/${names[0]}/operations`, {
      type: 'island-restart',
      island: victim.id,
    });
    expect(restart.status).toBe(202);
    expect((await finished(names[0], restart.body.id)).status).toBe(
      'succeeded',
    );
    const back = (await islands(names[0])).find(i => i.id === victim.id)!;
    expect(back).toMatchObject({
      phase: 'Ready',
      ports: victim.ports,
      restarts: 1,
      previous: { pod: victim.pod, exitCode: 1 },
    });
    expect(back.pod).not.toBe(victim.pod);
    const previousLogs = await api.get(
      `/environments/${names[0]}/pods/${victim.pod}/logs?tailLines=5`,
    );
    expect(previousLogs.status).toBe(200);

    // Deleting its Pod does not bring it back: it shows Lost, and nothing recreates it.
    await core.deleteNamespacedPod({ namespace: ns, name: back.pod! });
    const lost = await eventually(
      `island ${victim.id} to be Lost`,
      async () => {
        const v = (await islands(names[0])).find(i => i.id === victim.id)!;
        return v.phase === 'Lost' ? v : undefined;
      },
    );
    expect(lost.reason).toMatch(/gone/);
    await new Promise(r => setTimeout(r, 5000));
    const islandPods = async () =>
      (await core.listNamespacedPod({ namespace: ns })).items
        .filter(
          p =>
            p.metadata?.labels?.['archipelago.dev/island'] ===
            String(victim.id),
        )
        .map(p => p.metadata!.name);
    expect(await islandPods()).toEqual([victim.pod]);
    const again = await api.post(`/environments/${names[0]}/operations`, {
      type: 'island-restart',
      island: victim.id,
    });
    expect((await finished(names[0], again.body.id)).status).toBe('succeeded');
    const third = (await islands(names[0])).find(i => i.id === victim.id)!;
    expect(third).toMatchObject({ phase: 'Ready', ports: victim.ports });
    // Only the launch before is kept, and it was lost: the first exited Pod is gone now.
    expect(await islandPods()).toEqual([third.pod]);

    // A clock change reaches the ConfigMap, and no Pod is recreated.
    const uids = (await core.listNamespacedPod({ namespace: ns })).items
      .map(p => p.metadata!.uid)
      .sort();
    const clock = await api.post(`/environments/${names[0]}/operations`, {
      type: 'clock',
      clock: { start: '2021-09-18 23:30:07' },
    });
    expect(clock.status).toBe(202);
    expect((await finished(names[0], clock.body.id)).status).toBe('succeeded');
    const cm = await core.readNamespacedConfigMap({
      namespace: ns,
      name: 'altraserver-islands',
    });
    expect(Object.values(cm.data ?? {})).toEqual(
      Array(5).fill('@2021-09-18 23:30:07\n'),
    );
    expect(
      (await core.listNamespacedPod({ namespace: ns })).items
        .map(p => p.metadata!.uid)
        .sort(),
    ).toEqual(uids);
    const one = await api.post(`/environments/${names[0]}/operations`, {
      type: 'clock',
      island: back.id,
      clock: { offset: '+3d' },
    });
    expect((await finished(names[0], one.body.id)).status).toBe('succeeded');
    const cm2 = await core.readNamespacedConfigMap({
      namespace: ns,
      name: 'altraserver-islands',
    });
    expect(cm2.data?.[String(back.id)]).toBe('+3d\n');
    expect(
      (await islands(names[0])).find(i => i.id === back.id)!.clock,
    ).toMatchObject({
      source: 'island',
      effective: { offset: '+3d' },
    });

    // Remove one: its ports return once its Pod is gone. Destroy returns all of them.
    const ledger = async () => (await api.get('/clusters/local/islands')).body;
    const before = await ledger();
    const remove = await api.post(`/environments/${names[1]}/operations`, {
      type: 'island-remove',
      island: (await islands(names[1]))[0].id,
    });
    expect((await finished(names[1], remove.body.id)).status).toBe('succeeded');
    expect((await ledger()).used).toBe(before.used - 3);
    expect(await islands(names[1])).toHaveLength(4);
    const destroyed = await api.delete(`/environments/${names[2]}`);
    expect(destroyed.status).toBe(202);
    await finished(names[2], destroyed.body.id);
    const after = await ledger();
    expect(after.used).toBe(before.used - 3 - 15);
    expect(after.holders.some((h: any) => h.environment === names[2])).toBe(
      false,
    );

    // More islands than the sandbox quota's 20 Pods: refused now, with the numbers, and
    // nothing is claimed.
    const tooMany = await api.post(`/environments/${names[1]}/operations`, {
      type: 'island-add',
      service: 'altraserver',
      count: 17,
    });
    expect([tooMany.status, tooMany.body.error?.message]).toEqual([
      409,
      expect.stringMatching(/^count: .*21 pods wanted, 20 allowed/),
    ]);
    expect((await ledger()).used).toBe(after.used);

    // A running island does not start again (that would replace it); restart does.
    const [running] = await islands(names[1]);
    const start = await api.post(`/environments/${names[1]}/operations`, {
      type: 'island-start',
      island: running.id,
    });
    expect([start.status, start.body.error?.message]).toEqual([
      409,
      expect.stringMatching(/^island: island \d+ is not stopped/),
    ]);

    // With a Lost island in it (names[0]'s victim was Lost before its restart), an add
    // finishes: Lost and Down islands are settled, not waited for.
    const pods0 = (await islands(names[0])).find(i => i.id !== victim.id)!;
    await core.deleteNamespacedPod({ namespace: ns, name: pods0.pod! });
    await eventually('an island to be Lost', async () =>
      (await islands(names[0])).some(i => i.phase === 'Lost')
        ? true
        : undefined,
    );
    const addAfterLost = await api.post(
      `/environments/${names[0]}/operations`,
      {
        type: 'island-add',
        service: 'altraserver',
        count: 1,
      },
    );
    expect((await finished(names[0], addAfterLost.body.id)).status).toBe(
      'succeeded',
    );

    // Stopping the whole service stops every island and ends Stopped; starting it brings each
    // back in a new Pod, with the same ports.
    const before1 = await islands(names[1]);
    const stop = await api.post(`/environments/${names[1]}/operations`, {
      type: 'stop',
      services: ['altraserver'],
    });
    expect((await finished(names[1], stop.body.id)).status).toBe('succeeded');
    expect(
      (await api.get(`/environments/${names[1]}`)).body.status.services[0]
        .health,
    ).toBe('Stopped');
    const startAll = await api.post(`/environments/${names[1]}/operations`, {
      type: 'start',
      services: ['altraserver'],
    });
    expect((await finished(names[1], startAll.body.id)).status).toBe(
      'succeeded',
    );
    const after1 = await islands(names[1]);
    expect(after1.map(i => [i.id, i.phase, i.ports])).toEqual(
      before1.map(i => [i.id, 'Ready', i.ports]),
    );

    // At the quota's 20 Pods, a restart (of one island, or of the whole service) still works:
    // each island's old Pod goes before its new one comes.
    const full = uniqueName('islfull');
    names.push(full);
    const createdFull = await api.post('/environments', {
      name: full,
      owner: 'group:default/backend',
      purpose: 'sandbox',
      services: [{ name: 'altraserver', island: { count: 20 } }],
    });
    expect((await finished(full, createdFull.body.operation.id)).status).toBe(
      'succeeded',
    );
    const fullIslands = await islands(full);
    expect(fullIslands.map(i => i.phase)).toEqual(Array(20).fill('Ready'));
    const restartOne = await api.post(`/environments/${full}/operations`, {
      type: 'island-restart',
      island: fullIslands[3].id,
    });
    const r1 = await finished(full, restartOne.body.id);
    expect([r1.status, r1.error]).toEqual(['succeeded', undefined]);
    const restartAll = await api.post(`/environments/${full}/operations`, {
      type: 'restart',
      services: ['altraserver'],
    });
    const r2 = await finished(full, restartAll.body.id);
    expect([r2.status, r2.error]).toEqual(['succeeded', undefined]);
    const afterFull = await islands(full);
    expect(afterFull.map(i => [i.id, i.phase, i.ports])).toEqual(
      fullIslands.map(i => [i.id, 'Ready', i.ports]),
    );
    const fullPods = (
      await core.listNamespacedPod({ namespace: `env-${full}` })
    ).items.filter(p => p.status?.phase === 'Running');
    expect(fullPods).toHaveLength(20);

    // An environment clock of {} is real time, stated.
    const real = await api.post(`/environments/${names[1]}/operations`, {
      type: 'clock',
      clock: {},
    });
    expect((await finished(names[1], real.body.id)).status).toBe('succeeded');
    const cm1 = await core.readNamespacedConfigMap({
      namespace: `env-${names[1]}`,
      name: 'altraserver-islands',
    });
    expect(new Set(Object.values(cm1.data ?? {}))).toEqual(new Set(['+0\n']));
  });

  it('refuses bad island requests with the field named, and changes nothing', async () => {
    const api = ctx!.api;
    const name = names[3];
    const before = await islands(name);
    const bad = [
      [{ type: 'island-add', service: 'altraserver', count: 0 }, 'count'],
      [{ type: 'island-add', service: 'nope', count: 1 }, 'service'],
      [{ type: 'island-restart', island: 'x' }, 'island'],
      [
        { type: 'clock', clock: { start: '2021-13-40 99:00:00' } },
        'clock.start',
      ],
      [{ type: 'clock', clock: { offset: 'tomorrow' } }, 'clock.offset'],
    ] as const;
    for (const [body, field] of bad) {
      const res = await api.post(`/environments/${name}/operations`, body);
      expect([res.status, JSON.stringify(res.body)]).toEqual([
        400,
        expect.stringContaining(field),
      ]);
    }
    const missing = await api.post(`/environments/${name}/operations`, {
      type: 'island-stop',
      island: 999999,
    });
    expect(missing.status).toBe(404);
    expect(missing.body.error.message).toMatch(/^island: /);
    const created = await api.post('/environments', {
      name: uniqueName('islbad'),
      owner: 'group:default/backend',
      purpose: 'sandbox',
      services: [
        {
          name: 'altraserver',
          replicas: 2,
          island: { command: ['{{port:nope}}'] },
        },
      ],
    });
    expect(created.status).toBe(400);
    expect(JSON.stringify(created.body)).toContain('services[0].replicas');
    expect(JSON.stringify(created.body)).toContain(
      'services[0].island.command[0]',
    );
    expect(await islands(name)).toEqual(before);
  });
});
