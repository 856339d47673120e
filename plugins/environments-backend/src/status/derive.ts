/*
 * Pure functions from what the watch cache holds to what people see: status with reasons per
 * service, pods, topology, events and observed registry entries. No I/O.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  EnvironmentEvent,
  EnvironmentStatus,
  PodView,
  ResolvedService,
  SERVICE_LABEL,
  SERVER_TYPE_LABEL,
  ServiceHealth,
  ServiceStatus,
  Topology,
  VERSION_LABEL,
  VersionStatus,
  WorkloadKind,
} from '@archipelago/plugin-environments-common';
import { type NamespaceSnapshot, derivedFrom } from '../cluster/WatchCache';
import type {
  EnvironmentRecord,
  OperationRecord,
} from '../store/EnvironmentStore';
import type { Fallback } from '../render/render';
import { DRIVERS } from '../workloads';
import { isPodReady } from '../workloads/shared';
import type { ObservedRegistryEntry, WorkloadDriver } from '../workloads/types';
import { tracksOf } from '../releases/render';

const BAD_WAITING = new Set([
  'CrashLoopBackOff',
  'ErrImagePull',
  'ImagePullBackOff',
  'CreateContainerConfigError',
  'CreateContainerError',
  'InvalidImageName',
  'RunContainerError',
]);

const toIso = (v: unknown) =>
  v ? new Date(v as any).toISOString() : undefined;

function containerState(
  c: any,
): 'running' | 'waiting' | 'terminated' | 'unknown' {
  if (c.state?.running) return 'running';
  if (c.state?.waiting) return 'waiting';
  if (c.state?.terminated) return 'terminated';
  return 'unknown';
}

const labels = (o: KubernetesObject) => o.metadata?.labels ?? {};

/** Why a pod is unhealthy, in one line, or undefined when it is fine. */
export function podReason(p: any): string | undefined {
  if (p.metadata?.deletionTimestamp) return undefined;
  for (const c of p.status?.containerStatuses ?? []) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && BAD_WAITING.has(waiting.reason)) {
      const exit = c.lastState?.terminated?.exitCode;
      return `${waiting.reason}${
        exit !== undefined
          ? ` (exit code ${exit}, ${c.restartCount} restarts)`
          : ''
      }`;
    }
    if (
      c.state?.terminated &&
      c.state.terminated.exitCode !== 0 &&
      p.spec?.restartPolicy !== 'Never'
    ) {
      return `${c.state.terminated.reason ?? 'Terminated'} (exit code ${
        c.state.terminated.exitCode
      })`;
    }
  }
  if (p.status?.phase === 'Failed') return p.status?.reason ?? 'Failed';
  if (p.status?.phase === 'Pending') {
    const sched = p.status?.conditions?.find(
      (c: any) => c.type === 'PodScheduled' && c.status === 'False',
    );
    if (sched) return `Unschedulable: ${sched.message ?? sched.reason}`;
    return undefined;
  }
  if (p.status?.phase === 'Running' && !isPodReady(p)) {
    const ready = p.status?.conditions?.find((c: any) => c.type === 'Ready');
    return `NotReady${ready?.message ? `: ${ready.message}` : ''}`;
  }
  return undefined;
}

export function podViews(snapshot: NamespaceSnapshot): PodView[] {
  return derivedFrom(snapshot, 'podViews', () => computePodViews(snapshot));
}

function computePodViews(snapshot: NamespaceSnapshot): PodView[] {
  return snapshot.pods
    .map((p: any) => {
      const containers = (p.status?.containerStatuses ?? []).map((c: any) => ({
        name: c.name,
        ready: !!c.ready,
        restarts: c.restartCount ?? 0,
        state: containerState(c),
        reason: c.state?.waiting?.reason ?? c.state?.terminated?.reason,
        message: c.state?.waiting?.message ?? c.state?.terminated?.message,
      }));
      return {
        name: p.metadata?.name ?? '',
        service: labels(p)[SERVICE_LABEL] ?? '',
        version: labels(p)[VERSION_LABEL] ?? '',
        phase: p.metadata?.deletionTimestamp
          ? 'Terminating'
          : p.status?.phase ?? 'Unknown',
        ready: isPodReady(p),
        restarts: containers.reduce((n: number, c: any) => n + c.restarts, 0),
        createdAt: p.metadata?.creationTimestamp
          ? new Date(p.metadata.creationTimestamp).toISOString()
          : undefined,
        node: p.spec?.nodeName,
        ip: p.status?.podIP,
        reason: podReason(p),
        containers: containers.length
          ? containers
          : (p.spec?.containers ?? []).map((c: any) => ({
              name: c.name,
              ready: false,
              restarts: 0,
              state: 'unknown',
            })),
      } as PodView;
    })
    .sort(
      (a, b) =>
        a.service.localeCompare(b.service) || a.name.localeCompare(b.name),
    );
}

const podsOf = (snapshot: NamespaceSnapshot, service: string) =>
  snapshot.pods.filter(
    p => labels(p)[SERVICE_LABEL] === service && !p.metadata?.deletionTimestamp,
  );

/** Each service's workload object in a snapshot, with its driver, name and live pods. */
function* serviceWorkloads(snapshot: NamespaceSnapshot) {
  for (const driver of DRIVERS) {
    for (const obj of snapshot[driver.workload]) {
      const name = labels(obj)[SERVICE_LABEL];
      if (name && driver.isService(obj))
        yield { driver, obj, name, pods: podsOf(snapshot, name) };
    }
  }
}

/** Each service with its workload objects: one per version it runs. */
function servicesOf(snapshot: NamespaceSnapshot) {
  const out = new Map<
    string,
    {
      driver: WorkloadDriver;
      name: string;
      pods: KubernetesObject[];
      objects: KubernetesObject[];
    }
  >();
  for (const { driver, obj, name, pods } of serviceWorkloads(snapshot)) {
    const entry = out.get(name);
    if (entry) entry.objects.push(obj);
    else out.set(name, { driver, name, pods, objects: [obj] });
  }
  return [...out.values()];
}

/** The pods a workload selects (its selector's labels), of the service's live pods. */
function podsSelected(obj: any, pods: KubernetesObject[]) {
  const match: Record<string, string> | undefined =
    obj.spec?.selector?.matchLabels;
  if (!match) return pods;
  return pods.filter(p =>
    Object.entries(match).every(([k, v]) => labels(p)[k] === v),
  );
}

const HEALTH_ORDER: ServiceHealth[] = [
  'Failed',
  'Degraded',
  'Missing',
  'Progressing',
  'Ready',
  'Stopped',
];
const worst = (list: ServiceHealth[]) =>
  HEALTH_ORDER.find(h => list.includes(h)) ?? 'Missing';

/** What the environment's revision wants of each service's versions. */
export type DesiredVersions = Map<string, ResolvedService>;

function serviceStatuses(
  snapshot: NamespaceSnapshot,
  operationRunning: boolean,
  desired: DesiredVersions = new Map(),
): ServiceStatus[] {
  return servicesOf(snapshot)
    .map(({ driver, objects, name, pods }) => {
      const kind = (labels(objects[0])[SERVER_TYPE_LABEL] ??
        driver.kinds[0]) as WorkloadKind;
      const health = (obj: KubernetesObject, own: KubernetesObject[]) =>
        driver.health(obj, {
          snapshot,
          pods: own,
          podReasons: own
            .map(p => [p.metadata?.name, podReason(p)])
            .filter(([, r]) => r)
            .map(([n, r]) => `${n}: ${r}`),
          operationRunning,
        });
      const want = desired.get(name);
      const tracks = want ? tracksOf(want) : [];
      if (objects.length === 1 && tracks.length <= 1) {
        return {
          name,
          kind,
          version: labels(objects[0])[VERSION_LABEL] ?? '',
          pods: pods.length,
          ...health(objects[0], pods),
          ...(want?.autoscaling
            ? {
                autoscaling: {
                  min: want.autoscaling.min,
                  max: want.autoscaling.max,
                },
              }
            : {}),
        } as ServiceStatus;
      }
      const versions: VersionStatus[] = objects.map(obj => {
        const version = labels(obj)[VERSION_LABEL] ?? '';
        const track = tracks.find(t => t.name === obj.metadata?.name);
        const h = health(obj, podsSelected(obj, pods));
        return {
          version,
          name: obj.metadata?.name ?? '',
          primary: !!track?.primary,
          weight: track?.weight ?? 0,
          ...(track?.header !== undefined ? { header: track.header } : {}),
          desiredReplicas: h.desiredReplicas,
          readyReplicas: h.readyReplicas,
          health: h.health,
          retiring: !!want && !track,
          reasons: h.reasons,
        };
      });
      // A desired version whose workload the cache has not seen yet.
      for (const t of tracks)
        if (!versions.some(v => v.name === t.name))
          versions.push({
            version: t.version,
            name: t.name,
            primary: t.primary,
            weight: t.weight,
            ...(t.header !== undefined ? { header: t.header } : {}),
            desiredReplicas: 0,
            readyReplicas: 0,
            health: 'Missing',
            retiring: false,
            reasons: [`version ${t.version} not applied yet`],
          } as VersionStatus & { reasons: string[] });
      const order = (v: VersionStatus) => {
        if (v.retiring) return 2;
        return v.primary ? 0 : 1;
      };
      versions.sort((a, b) => order(a) - order(b));
      const live = versions.filter(v => !v.retiring);
      const counted = live.length ? live : versions;
      const primary = versions.find(v => v.primary) ?? versions[0];
      return {
        name,
        kind,
        version: primary.version,
        pods: pods.length,
        desiredReplicas: counted.reduce((n, v) => n + v.desiredReplicas, 0),
        readyReplicas: counted.reduce((n, v) => n + v.readyReplicas, 0),
        health: worst(counted.map(v => v.health)),
        reasons: counted.flatMap(
          v => (v as VersionStatus & { reasons: string[] }).reasons,
        ),
        versions: versions.map(({ reasons: _, ...v }: any) => v),
        ...(want?.autoscaling
          ? {
              autoscaling: {
                min: want.autoscaling.min,
                max: want.autoscaling.max,
              },
            }
          : {}),
      } as ServiceStatus;
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The environment's status from the cache and its operations. */
export function deriveStatus(
  env: EnvironmentRecord,
  snapshot: NamespaceSnapshot,
  operations: OperationRecord[],
  now = new Date(),
): EnvironmentStatus {
  const observedAt = now.toISOString();
  if (env.destroyedAt) {
    return {
      phase: env.destroyReason === 'expire' ? 'Expired' : 'Destroyed',
      reasons: [],
      services: [],
      observedAt,
    };
  }
  const unfinished = operations.filter(
    o => o.status === 'pending' || o.status === 'running',
  );
  // Computed once per snapshot, revision and whether an operation runs; copied, since the
  // missing services are added to the list below.
  const services = derivedFrom(
    snapshot,
    `services:${env.id}:${env.revision}:${unfinished.length > 0}`,
    () =>
      serviceStatuses(
        snapshot,
        unfinished.length > 0,
        new Map((env.services ?? []).map(s => [s.name, s])),
      ),
  ).map(s => ({ ...s }));
  const expected = new Set(env.spec.services.map(s => s.name));
  for (const name of expected) {
    if (!services.some(s => s.name === name)) {
      // A stopped service whose driver removes it while stopped (a job) is simply stopped.
      const stopped = env.stopped.includes(name);
      services.push({
        name,
        // The kind may come from the service definition: the pinned services know it.
        kind:
          env.services?.find(s => s.name === name)?.kind ??
          env.spec.services.find(s => s.name === name)?.kind ??
          'http',
        version: '',
        desiredReplicas: 0,
        readyReplicas: 0,
        pods: 0,
        health: stopped ? 'Stopped' : 'Missing',
        reasons: stopped ? [] : ['not applied yet'],
      });
    }
  }
  const reasons = services
    .filter(s => s.health !== 'Ready' && s.health !== 'Stopped')
    .flatMap(s => s.reasons.map(r => `${s.name}: ${r}`));
  if (unfinished.some(o => o.type === 'destroy' || o.type === 'expire'))
    return { phase: 'Destroying', reasons: [], services, observedAt };
  if (unfinished.some(o => o.type === 'create'))
    return { phase: 'Creating', reasons, services, observedAt };
  const latest = [...operations].sort((a, b) =>
    b.createdAt.localeCompare(a.createdAt),
  )[0];
  if (latest?.status === 'failed') {
    return {
      phase: 'Failed',
      reasons: [
        `${latest.type} failed: ${latest.error ?? 'unknown error'}`,
        ...reasons,
      ],
      services,
      observedAt,
    };
  }
  const relevant = services.filter(s => expected.has(s.name));
  if (relevant.length && relevant.every(s => s.health === 'Stopped'))
    return { phase: 'Stopped', reasons: [], services, observedAt };
  if (relevant.some(s => s.health === 'Degraded' || s.health === 'Failed'))
    return { phase: 'Degraded', reasons, services, observedAt };
  if (
    relevant.some(s => s.health === 'Missing' || s.health === 'Progressing')
  ) {
    return {
      phase: unfinished.length ? 'Ready' : 'Degraded',
      reasons,
      services,
      observedAt,
    };
  }
  return { phase: 'Ready', reasons, services, observedAt };
}

/** Instances as observed now, of the services this environment runs, as their drivers register them. */
export function observedRegistry(
  environment: string,
  snapshot: NamespaceSnapshot,
): ObservedRegistryEntry[] {
  return servicesOf(snapshot).flatMap(({ driver, name, pods }) =>
    driver.registry(environment, name, pods),
  );
}

export function eventViews(snapshot: NamespaceSnapshot): EnvironmentEvent[] {
  return derivedFrom(snapshot, 'eventViews', () => computeEventViews(snapshot));
}

function computeEventViews(snapshot: NamespaceSnapshot): EnvironmentEvent[] {
  return (snapshot.events as any[])
    .map(e => ({
      type: e.type ?? 'Normal',
      reason: e.reason ?? '',
      message: e.message ?? e.note ?? '',
      object: {
        kind: e.involvedObject?.kind ?? e.regarding?.kind ?? '',
        name: e.involvedObject?.name ?? e.regarding?.name ?? '',
      },
      count: e.count ?? e.series?.count ?? 1,
      lastTimestamp: toIso(
        e.lastTimestamp ?? e.eventTime ?? e.metadata?.creationTimestamp,
      ),
    }))
    .sort((a, b) =>
      String(b.lastTimestamp).localeCompare(String(a.lastTimestamp)),
    );
}

/** The services graph: own services, their dependencies, and edges that fall back to a base. */
export function deriveTopology(
  env: EnvironmentRecord,
  status: EnvironmentStatus,
  fallbacks: Fallback[],
  clusterDomain: string,
  baseStatus: (
    environment: string,
    service: string,
  ) => ServiceStatus | undefined,
): Topology {
  const nodes: Topology['nodes'] = [];
  const own = new Map(status.services.map(s => [s.name, s]));
  for (const svc of env.spec.services) {
    const s = own.get(svc.name);
    nodes.push({
      id: svc.name,
      service: svc.name,
      environment: env.name,
      kind: s?.kind ?? svc.kind,
      version: s?.version || svc.version,
      ready: s?.readyReplicas ?? 0,
      total: s?.desiredReplicas ?? 0,
      health: s?.health ?? 'Missing',
      address: `${svc.name}.${env.namespace}.svc.${clusterDomain}`,
      fallback: false,
      ...(s?.versions
        ? {
            versions: s.versions.map(v => ({
              version: v.version,
              primary: v.primary,
              weight: v.weight,
              ...(v.header !== undefined ? { header: v.header } : {}),
              readyReplicas: v.readyReplicas,
              desiredReplicas: v.desiredReplicas,
              retiring: v.retiring,
            })),
          }
        : {}),
    });
  }
  const edges: Topology['edges'] = [];
  const fallbackBy = new Map(fallbacks.map(f => [f.service, f]));
  for (const svc of env.spec.services) {
    for (const dep of svc.dependsOn ?? []) {
      if (own.has(dep) || env.spec.services.some(s => s.name === dep)) {
        edges.push({ from: svc.name, to: dep, fallback: false });
      } else {
        const fb = fallbackBy.get(dep);
        const id = `${fb?.environment ?? 'base'}/${dep}`;
        if (!nodes.some(n => n.id === id)) {
          const bs = fb ? baseStatus(fb.environment, dep) : undefined;
          nodes.push({
            id,
            service: dep,
            environment: fb?.environment ?? '(no base runs it)',
            kind: bs?.kind,
            version: bs?.version,
            ready: bs?.readyReplicas ?? 0,
            total: bs?.desiredReplicas ?? 0,
            health: bs?.health ?? 'Missing',
            address: fb ? `${dep}.${fb.namespace}.svc.${clusterDomain}` : '',
            fallback: true,
          });
        }
        edges.push({ from: svc.name, to: id, fallback: true });
      }
    }
  }
  return { nodes, edges };
}
