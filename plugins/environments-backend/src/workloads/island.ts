/*
 * island: game-server islands (seed 002). Each island is one bare Pod with its own id and a
 * block of host ports (allocated in the database, see islands/IslandStore.ts), restartPolicy
 * Never, and a clock of its own through libfaketime.
 *
 * A Pod is created once per launch and never patched; a restart is a new launch, so a new Pod
 * with the same id and ports. An island that exits, crashes or loses its Pod stays down: the
 * reconciler leaves out of every apply the Pods of launches it already created (see
 * islandsAlreadyLaunched), so nothing recreates it behind a person's back.
 *
 * The service's one object of its own is its clock ConfigMap, `<service>-islands`: one key per
 * island, holding what libfaketime reads, projected into each Pod. Changing a clock changes
 * only that ConfigMap, and the kubelet updates the file in the running Pods.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  ResolvedService,
  VERSION_LABEL,
  fillTemplate,
  faketimeSpec,
  portVariable,
} from '@archipelago/plugin-environments-common';
import type { Manifest, RenderInput, RenderIsland } from '../render/types';
import { manifestKey } from '../render/common';
import {
  isPodReady,
  podRequests,
  podTemplate,
  serviceMeta,
  serviceOf,
} from './shared';
import type { ObservedHealth, WorkloadDriver } from './types';

/** The island id on its Pod. */
export const ISLAND_LABEL = 'archipelago.dev/island';
/** The launch of the island a Pod runs. */
export const ISLAND_LAUNCH_LABEL = 'archipelago.dev/island-launch';
/** On the clock ConfigMap: it is an island service's own object. */
export const ISLANDS_LABEL = 'archipelago.dev/islands';
/** On the clock ConfigMap: the islands that should run, as [{id, launch}] JSON. */
export const RUNNING_ISLANDS_ANNOTATION = 'archipelago.dev/running-islands';

/** On the clock ConfigMap: the whole service is stopped. */
export const STOPPED_ANNOTATION = 'archipelago.dev/islands-stopped';

/** Where each Pod finds its clock, projected from the ConfigMap. */
export const CLOCK_DIR = '/etc/archipelago/clock';
export const CLOCK_FILE = `${CLOCK_DIR}/faketime`;

export const clocksName = (service: string) => `${service}-islands`;
export const islandPodName = (service: string, island: RenderIsland) =>
  `${service}-${island.id}-${island.launch}`;

const islandsOf = (svc: ResolvedService, input: RenderInput) =>
  (input.islands ?? []).filter(i => i.service === svc.name);

/** The islands of the service that run as the input says: none while the service is stopped. */
export const runningIslands = (svc: ResolvedService, input: RenderInput) =>
  input.stopped.includes(svc.name)
    ? []
    : islandsOf(svc, input).filter(i => i.desired === 'running');

function islandPod(
  svc: ResolvedService,
  input: RenderInput,
  island: RenderIsland,
): Manifest {
  const settings = svc.island!;
  const template = podTemplate(svc, input, {
    persistent: 'claims',
    restartPolicy: 'Never',
  });
  const spec = template.spec as Record<string, any>;
  const [base] = spec.containers as Array<Record<string, any>>;
  const ports = settings.ports.map(name => ({
    name,
    containerPort: island.ports[name],
    hostPort: island.ports[name],
    protocol: 'TCP',
  }));
  const env = [
    ...(base.env as unknown[]),
    { name: 'ISLAND_ID', value: String(island.id) },
    {
      name: 'HOST_IP',
      valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } },
    },
    ...settings.ports.map(name => ({
      name: portVariable(name),
      value: String(island.ports[name]),
    })),
    // libfaketime, as seed 002 sets it up; the cache is short so a change shows in seconds.
    { name: 'LD_PRELOAD', value: settings.faketimeLibrary },
    { name: 'FAKETIME_TIMESTAMP_FILE', value: CLOCK_FILE },
    { name: 'FAKETIME_CACHE_DURATION', value: '1' },
    { name: 'FAKETIME_DONT_RESET', value: '1' },
    { name: 'FAKETIME_DONT_FAKE_MONOTONIC', value: '1' },
  ];
  const readiness = svc.probes?.readiness
    ? base.readinessProbe
    : {
        tcpSocket: { port: settings.readinessPort },
        periodSeconds: 5,
        timeoutSeconds: 10,
        failureThreshold: 10,
      };
  const container: Record<string, unknown> = {
    ...base,
    ports,
    env,
    readinessProbe: readiness,
    volumeMounts: [
      ...((base.volumeMounts as unknown[]) ?? []),
      { name: 'island-clock', mountPath: CLOCK_DIR, readOnly: true },
    ],
  };
  if (settings.command)
    container.command = fillTemplate(settings.command, island);
  const meta = serviceMeta(svc, input, islandPodName(svc.name, island));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...meta,
      labels: {
        ...meta.labels,
        ...(template.metadata.labels as Record<string, string>),
        [ISLAND_LABEL]: String(island.id),
        [ISLAND_LAUNCH_LABEL]: String(island.launch),
      },
    },
    spec: {
      ...spec,
      containers: [container],
      volumes: [
        ...((spec.volumes as unknown[]) ?? []),
        {
          name: 'island-clock',
          configMap: {
            name: clocksName(svc.name),
            items: [{ key: String(island.id), path: 'faketime' }],
          },
        },
      ],
    },
  };
}

const islandOfPod = (input: RenderInput, m: Manifest) => {
  if (m.kind !== 'Pod') return undefined;
  const id = Number(m.metadata.labels[ISLAND_LABEL]);
  const launch = Number(m.metadata.labels[ISLAND_LAUNCH_LABEL]);
  return (input.islands ?? []).find(i => i.id === id && i.launch === launch);
};

/**
 * The rendered island Pods whose launch was already created once: they are never applied
 * again (and their absence is not drift), so an island that exited or lost its Pod stays down.
 */
export function islandsAlreadyLaunched(
  input: RenderInput,
  objects: Manifest[],
): Set<string> {
  return new Set(
    objects
      .filter(m => {
        const island = islandOfPod(input, m);
        return island && island.launched >= island.launch;
      })
      .map(manifestKey),
  );
}

/** The launches whose Pods the cache holds but the database does not know as created. */
export function islandsSeenRunning(
  input: RenderInput,
  pods: KubernetesObject[],
): Array<{ id: number; launch: number }> {
  return (input.islands ?? []).flatMap(i =>
    i.launched < i.launch &&
    pods.some(
      p =>
        p.metadata?.labels?.[ISLAND_LABEL] === String(i.id) &&
        p.metadata?.labels?.[ISLAND_LAUNCH_LABEL] === String(i.launch),
    )
      ? [{ id: i.id, launch: i.launch }]
      : [],
  );
}

/**
 * The island Pods still running that the desired state no longer has: older launches of islands
 * that restart or start, and the Pods of stopped or removed islands. They go before the new
 * Pods are created, so a restart never needs room for two Pods (the quota, the host ports).
 */
export function islandPodsToReplace(
  objects: Manifest[],
  pods: KubernetesObject[],
): string[] {
  const wanted = new Set(
    objects.filter(m => m.kind === 'Pod').map(m => m.metadata.name),
  );
  return (pods as any[])
    .filter(
      p =>
        p.metadata?.labels?.[ISLAND_LABEL] &&
        !p.metadata?.deletionTimestamp &&
        p.status?.phase !== 'Failed' &&
        p.status?.phase !== 'Succeeded' &&
        !wanted.has(p.metadata.name),
    )
    .map(p => p.metadata.name as string);
}

/** The launches whose Pods these applied objects create. */
export function islandsToMarkLaunched(
  input: RenderInput,
  applied: Manifest[],
): Array<{ id: number; launch: number }> {
  return applied.flatMap(m => {
    const island = islandOfPod(input, m);
    return island && island.launched < island.launch
      ? [{ id: island.id, launch: island.launch }]
      : [];
  });
}

/**
 * The exited Pods of islands' previous launches, kept through a restart so that their logs can
 * still be read ("previous"): a terminated Pod holds no host port, so it never stands in its
 * successor's way. Only the one launch before the current is kept; a removed island keeps none.
 */
export function previousLaunchesToKeep(
  input: RenderInput,
  pods: KubernetesObject[],
): Manifest[] {
  return (pods as any[])
    .filter(p => {
      const id = Number(p.metadata?.labels?.[ISLAND_LABEL]);
      const launch = Number(p.metadata?.labels?.[ISLAND_LAUNCH_LABEL]);
      const island = (input.islands ?? []).find(i => i.id === id);
      const phase = p.status?.phase;
      return (
        island &&
        launch === island.launch - 1 &&
        (phase === 'Failed' || phase === 'Succeeded')
      );
    })
    .map(p => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: p.metadata.name,
        namespace: p.metadata.namespace,
        labels: {},
      },
    }));
}

interface IslandState {
  id: number;
  launch: number;
  pod?: any;
  state: 'Starting' | 'Ready' | 'Down' | 'Lost';
  reason?: string;
  exitCode?: number;
}

const terminated = (p: any) =>
  p?.status?.containerStatuses?.[0]?.state?.terminated ??
  p?.status?.containerStatuses?.[0]?.lastState?.terminated;

/** How one running island stands, from its Pod (or the lack of one). */
export function islandState(
  island: { id: number; launch: number; launched?: boolean },
  pods: KubernetesObject[],
): IslandState {
  const pod = (pods as any[]).find(
    p =>
      p.metadata?.labels?.[ISLAND_LABEL] === String(island.id) &&
      p.metadata?.labels?.[ISLAND_LAUNCH_LABEL] === String(island.launch),
  );
  const base = { id: island.id, launch: island.launch, pod };
  // A launch whose Pod was created once and is gone now is lost: nothing creates it again.
  if (!pod)
    return island.launched
      ? {
          ...base,
          state: 'Lost',
          reason: 'its Pod is gone (deleted, or its node went away)',
        }
      : {
          ...base,
          state: 'Starting',
          reason: 'its Pod is not created yet (its operation has not run)',
        };
  const phase = pod.status?.phase;
  const term = terminated(pod);
  if (phase === 'Failed' || phase === 'Succeeded' || term) {
    const code = term?.exitCode;
    return {
      ...base,
      state: 'Down',
      exitCode: code,
      reason: [
        code !== undefined ? `exited with code ${code}` : 'exited',
        term?.reason,
        term?.message ?? pod.status?.message,
      ]
        .filter(Boolean)
        .join(': '),
    };
  }
  if (pod.status?.reason === 'NodeLost' || phase === 'Unknown')
    return {
      ...base,
      state: 'Lost',
      reason: pod.spec?.nodeName
        ? `its node ${pod.spec.nodeName} went away`
        : 'its node went away',
    };
  const ready = pod.status?.conditions?.find((c: any) => c.type === 'Ready');
  if (isPodReady(pod)) return { ...base, state: 'Ready' };
  const scheduled = pod.status?.conditions?.find(
    (c: any) => c.type === 'PodScheduled',
  );
  const waiting = pod.status?.containerStatuses?.[0]?.state?.waiting;
  return {
    ...base,
    state: 'Starting',
    reason:
      scheduled?.status === 'False'
        ? `${scheduled.reason}: ${scheduled.message}`
        : waiting?.reason ?? ready?.message,
  };
}

/** The running islands the clock ConfigMap lists. */
export function runningIslandsOf(
  anchor: KubernetesObject,
): Array<{ id: number; launch: number; launched?: boolean }> {
  try {
    const v = JSON.parse(
      anchor.metadata?.annotations?.[RUNNING_ISLANDS_ANNOTATION] ?? '[]',
    );
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

export const islandDriver: WorkloadDriver = {
  kinds: ['island'],
  workload: 'configmaps',
  owns: ['configmaps', 'pods'],
  createOnce: ['pods'],
  update: 'in-place',
  addressable: false,

  render(svc, input) {
    const all = islandsOf(svc, input);
    const running = runningIslands(svc, input);
    const meta = serviceMeta(svc, input, clocksName(svc.name));
    return [
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          ...meta,
          labels: { ...meta.labels, [ISLANDS_LABEL]: 'true' },
          annotations: {
            [RUNNING_ISLANDS_ANNOTATION]: JSON.stringify(
              running.map(i => ({
                id: i.id,
                launch: i.launch,
                launched: i.launched >= i.launch,
              })),
            ),
            ...(input.stopped.includes(svc.name)
              ? { [STOPPED_ANNOTATION]: 'true' }
              : {}),
          },
        },
        // The API server keeps no empty data map: render none rather than {} (no false drift).
        ...(all.length
          ? {
              data: Object.fromEntries(
                all.map(i => [String(i.id), `${faketimeSpec(i.clock)}\n`]),
              ),
            }
          : {}),
      },
      ...running.map(i => islandPod(svc, input, i)),
    ];
  },

  requests: (svc, input) =>
    podRequests(svc, input, runningIslands(svc, input).length),

  isService: o =>
    !!serviceOf(o) && o.metadata?.labels?.[ISLANDS_LABEL] === 'true',

  health(anchor, ctx): ObservedHealth {
    const running = runningIslandsOf(anchor);
    const states = running.map(i => islandState(i, ctx.pods));
    const ready = states.filter(s => s.state === 'Ready').length;
    const down = states.filter(s => s.state === 'Down' || s.state === 'Lost');
    const starting = states.filter(s => s.state === 'Starting');
    let health: ObservedHealth['health'];
    // Exited Pods kept for their logs (previousLaunchesToKeep) are not on their way out.
    const live = (ctx.pods as any[]).filter(
      p => p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded',
    );
    const stopped =
      anchor.metadata?.annotations?.[STOPPED_ANNOTATION] === 'true';
    if (!running.length) {
      if (live.length) health = 'Progressing';
      else health = stopped ? 'Stopped' : 'Ready';
    } else if (starting.length) health = 'Progressing';
    else if (down.length) health = 'Degraded';
    else health = 'Ready';
    return {
      desiredReplicas: running.length,
      readyReplicas: ready,
      health,
      reasons: [
        ...down.map(
          s => `island ${s.id} ${s.state.toLowerCase()}: ${s.reason}`,
        ),
        ...starting
          .filter(s => s.reason)
          .map(s => `island ${s.id} starting: ${s.reason}`),
      ],
    };
  },

  /** A game client connects to the node's address and the island's host ports. */
  registry(environment, service, pods) {
    return (pods as any[])
      .filter(
        p =>
          p.status?.hostIP &&
          p.status?.phase === 'Running' &&
          !p.metadata?.deletionTimestamp &&
          p.metadata?.labels?.[ISLAND_LABEL],
      )
      .map(p => ({
        environment,
        service,
        // Stable across restarts (a new launch is a new Pod): a restart updates the entry.
        instance: `${service}-${p.metadata.labels[ISLAND_LABEL]}`,
        island: Number(p.metadata.labels[ISLAND_LABEL]),
        version: p.metadata?.labels?.[VERSION_LABEL] ?? '',
        address: p.status.hostIP,
        ports: (p.spec?.containers?.[0]?.ports ?? []).map((c: any) => ({
          name: c.name ?? String(c.hostPort),
          port: c.hostPort ?? c.containerPort,
        })),
        ready: isPodReady(p),
        node: p.spec?.nodeName,
        uid: p.metadata.uid,
      }));
  },
};
