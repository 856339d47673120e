import fc from 'fast-check';
import { renderEnvironment, manifestKey } from '../render/render';
import { renderInput } from '../render/testFixtures';
import type { RenderIsland } from '../render/types';
import {
  CLOCK_FILE,
  ISLAND_LABEL,
  islandDriver,
  islandPodsToReplace,
  islandState,
  islandsAlreadyLaunched,
  islandsToMarkLaunched,
} from './island';

const spec = {
  name: 'isl',
  owner: 'group:default/qa',
  purpose: 'sandbox',
  services: [{ name: 'altraserver' }],
};

const island = (
  id: number,
  extra: Partial<RenderIsland> = {},
): RenderIsland => ({
  id,
  service: 'altraserver',
  ports: {
    'app-common-port': 7000 + 3 * id,
    'remote-msg-port': 7001 + 3 * id,
    'server-port': 7002 + 3 * id,
  },
  desired: 'running',
  launch: 1,
  launched: 0,
  ...extra,
});

const pods = (objects: any[]) => objects.filter(o => o.kind === 'Pod');

describe('the island driver', () => {
  it("renders one bare Pod per running island, with its host ports, id, clock and the seed's settings", () => {
    const input = renderInput(spec, {
      islands: [
        island(269, { clock: { start: '2021-09-18 23:30:07' } }),
        island(270, { desired: 'stopped' }),
      ],
    });
    const objects = renderEnvironment(input) as any[];
    const [pod] = pods(objects);
    expect(pods(objects)).toHaveLength(1);
    expect(pod.metadata.name).toBe('altraserver-269-1');
    expect(pod.metadata.labels[ISLAND_LABEL]).toBe('269');
    expect(pod.spec.restartPolicy).toBe('Never');
    expect(pod.spec.nodeSelector).toEqual({ branch: 'dev' });
    expect(pod.spec.hostAliases).toEqual([
      { ip: '10.18.1.203', hostnames: ['www.hisaobi.com'] },
    ]);
    const [c] = pod.spec.containers;
    expect(c.ports).toEqual([
      {
        name: 'app-common-port',
        containerPort: 7807,
        hostPort: 7807,
        protocol: 'TCP',
      },
      {
        name: 'remote-msg-port',
        containerPort: 7808,
        hostPort: 7808,
        protocol: 'TCP',
      },
      {
        name: 'server-port',
        containerPort: 7809,
        hostPort: 7809,
        protocol: 'TCP',
      },
    ]);
    expect(c.command).toEqual([
      'sh',
      '/home/seed.sh',
      '269',
      'false',
      '7809',
      '2021-09-18 23:30:07',
    ]);
    const env = Object.fromEntries(
      c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]),
    );
    expect(env).toMatchObject({
      ISLAND_ID: '269',
      APP_COMMON_PORT: '7807',
      REMOTE_MSG_PORT: '7808',
      SERVER_PORT: '7809',
      LD_PRELOAD: '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
      FAKETIME_TIMESTAMP_FILE: CLOCK_FILE,
      FAKETIME_CACHE_DURATION: '1',
      FAKETIME_DONT_RESET: '1',
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
      HOST_IP: { fieldRef: { fieldPath: 'status.hostIP' } },
      POD_IP: { fieldRef: { fieldPath: 'status.podIP' } },
    });
    expect(c.readinessProbe.tcpSocket).toEqual({ port: 'server-port' });
    expect(c.securityContext.capabilities.add).toEqual([
      'NET_ADMIN',
      'SYS_TIME',
    ]);
    expect(c.volumeMounts).toEqual(
      expect.arrayContaining([
        { name: 'vol-server', mountPath: '/home/server', readOnly: true },
        {
          name: 'island-clock',
          mountPath: '/etc/archipelago/clock',
          readOnly: true,
        },
      ]),
    );
    // The clocks ConfigMap holds every island's, stopped ones too; only running ones run.
    const clocks = objects.find(
      o => o.kind === 'ConfigMap' && o.metadata.name === 'altraserver-islands',
    );
    expect(clocks.data).toEqual({
      '269': '@2021-09-18 23:30:07\n',
      '270': '+0\n',
    });
    expect(
      JSON.parse(
        clocks.metadata.annotations['archipelago.dev/running-islands'],
      ),
    ).toEqual([{ id: 269, launch: 1, launched: false }]);
    // Host ports need the privileged Pod Security level in the namespace.
    const ns = objects.find(o => o.kind === 'Namespace');
    expect(ns.metadata.labels['pod-security.kubernetes.io/enforce']).toBe(
      'privileged',
    );
  });

  it('renders a restart as a new Pod with the same id and ports, and nothing while the service is stopped', () => {
    const first = pods(
      renderEnvironment(renderInput(spec, { islands: [island(5)] })) as any[],
    );
    const again = pods(
      renderEnvironment(
        renderInput(spec, { islands: [island(5, { launch: 2, launched: 1 })] }),
      ) as any[],
    );
    expect(again[0].metadata.name).not.toBe(first[0].metadata.name);
    expect(again[0].spec.containers[0].ports).toEqual(
      first[0].spec.containers[0].ports,
    );
    expect(
      pods(
        renderEnvironment(
          renderInput(spec, { islands: [island(5)], stopped: ['altraserver'] }),
        ) as any[],
      ),
    ).toEqual([]);
  });

  it('never applies again a launch whose Pod was created, and marks new launches', () => {
    const input = renderInput(spec, {
      islands: [island(1, { launched: 1 }), island(2)],
    });
    const objects = renderEnvironment(input);
    const skipped = islandsAlreadyLaunched(input, objects);
    const names = objects
      .filter(o => skipped.has(manifestKey(o)))
      .map(o => o.metadata.name);
    expect(names).toEqual(['altraserver-1-1']);
    expect(
      islandsToMarkLaunched(
        input,
        objects.filter(o => !skipped.has(manifestKey(o))),
      ),
    ).toEqual([{ id: 2, launch: 1 }]);
  });

  it('replaces first the running Pods the desired state no longer has, keeping exited ones', () => {
    const input = renderInput(spec, {
      islands: [
        island(1, { launch: 2, launched: 1 }),
        island(2),
        island(3, { desired: 'stopped' }),
      ],
    });
    const objects = renderEnvironment(input);
    const pod = (name: string, phase = 'Running') => ({
      metadata: { name, labels: { [ISLAND_LABEL]: name.split('-')[1] } },
      status: { phase },
    });
    expect(
      islandPodsToReplace(objects, [
        pod('altraserver-1-1'),
        pod('altraserver-1-0', 'Failed'),
        pod('altraserver-2-1'),
        pod('altraserver-3-1'),
      ] as any[]),
    ).toEqual(['altraserver-1-1', 'altraserver-3-1']);
  });

  it('counts the requests of running islands only', () => {
    const input = renderInput(spec, {
      islands: [island(1), island(2), island(3, { desired: 'stopped' })],
    });
    const svc = input.services[0];
    expect(islandDriver.requests(svc, input)).toMatchObject({
      pods: 2,
      memoryBytes: 2 * 1500 * 1024 ** 2,
    });
  });

  it('reads an exited island as down with its exit code, and a missing Pod as lost', () => {
    const crashed = {
      metadata: {
        labels: { [ISLAND_LABEL]: '7', 'archipelago.dev/island-launch': '1' },
      },
      status: {
        phase: 'Failed',
        containerStatuses: [
          { state: { terminated: { exitCode: 137, reason: 'OOMKilled' } } },
        ],
      },
    };
    expect(
      islandState({ id: 7, launch: 1, launched: true }, [crashed as any]),
    ).toMatchObject({
      state: 'Down',
      exitCode: 137,
      reason: 'exited with code 137: OOMKilled',
    });
    expect(
      islandState({ id: 7, launch: 2, launched: true }, [crashed as any]).state,
    ).toBe('Lost');
    expect(
      islandState({ id: 7, launch: 2, launched: false }, [crashed as any])
        .state,
    ).toBe('Starting');
  });

  it('gives every island distinct host ports and Pod names, for any set of islands (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 300 }), {
          minLength: 1,
          maxLength: 20,
        }),
        fc.array(fc.boolean(), { minLength: 20, maxLength: 20 }),
        (ids, stopped) => {
          const islands = ids.map((id, i) =>
            island(id, { desired: stopped[i] ? 'stopped' : 'running' }),
          );
          const objects = renderEnvironment(
            renderInput(spec, { islands }),
          ) as any[];
          const ps = pods(objects);
          const running = islands.filter(i => i.desired === 'running');
          expect(ps).toHaveLength(running.length);
          const ports = ps.flatMap(p =>
            p.spec.containers[0].ports.map((x: any) => x.hostPort),
          );
          expect(new Set(ports).size).toBe(ports.length);
          expect(new Set(ps.map(p => p.metadata.name)).size).toBe(ps.length);
          for (const p of ps) {
            expect(p.spec.restartPolicy).toBe('Never');
            for (const x of p.spec.containers[0].ports)
              expect(x.hostPort).toBe(x.containerPort);
          }
        },
      ),
    );
  });
});
