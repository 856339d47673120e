/*
 * The pieces several drivers render the same way: the pod template, a service's ConfigMap,
 * its Service and Ingress, what its pods request, and the registry entries of its pods.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  REVISION_LABEL,
  RESTARTED_AT_ANNOTATION,
  ResolvedService,
  SERVICE_LABEL,
  VERSION_LABEL,
  parseCpu,
  parseMemory,
} from '@archipelago/plugin-environments-common';
import { SERVER_TYPE_LABEL } from '@archipelago/plugin-environments-common';
import {
  nonEmpty,
  objectMeta,
  prune,
  selectorLabels,
  serviceIdentityLabels,
  shortHash,
} from '../render/common';
import type { Manifest, RenderInput } from '../render/types';
import type { ObservedRegistryEntry, Requests } from './types';

/** The labels on a service's own objects: its identity and the revision that wrote them. */
export function serviceObjectLabels(svc: ResolvedService, input: RenderInput) {
  return {
    ...serviceIdentityLabels(input.spec, svc),
    [REVISION_LABEL]: String(input.revision),
  };
}

export function serviceMeta(
  svc: ResolvedService,
  input: RenderInput,
  name = svc.name,
) {
  return objectMeta(input.namespace, name, serviceObjectLabels(svc, input));
}

export const isStopped = (svc: ResolvedService, input: RenderInput) =>
  input.stopped.includes(svc.name);

const plainKey = (path: string) =>
  path
    .replace(/^\/+/, '')
    .replace(/[^-._a-zA-Z0-9]/g, '_')
    .slice(-253);

/**
 * The limits a container gets: those asked for; and where a request is above the namespace's
 * default limit (the LimitRange, per purpose) and no limit is asked for, the request itself.
 * Otherwise the API server would refuse every pod: a request may not exceed its limit.
 */
function limitsFor(
  resources: NonNullable<ResolvedService['resources']>,
  input: RenderInput,
): Record<string, string> | undefined {
  const limits: Record<string, string> = { ...resources.limits };
  const requests = resources.requests ?? {};
  const defaults = input.sizing.defaultLimits;
  if (
    requests.cpu &&
    !limits.cpu &&
    (parseCpu(requests.cpu) ?? 0) > (parseCpu(defaults.cpu) ?? Infinity)
  )
    limits.cpu = requests.cpu;
  if (
    requests.memory &&
    !limits.memory &&
    (parseMemory(requests.memory) ?? 0) >
      (parseMemory(defaults.memory) ?? Infinity)
  )
    limits.memory = requests.memory;
  return Object.keys(limits).length ? limits : undefined;
}

/**
 * Each config file's key in the ConfigMap: its path with "/" and other characters a key cannot
 * hold made "_". Two paths can make the same key (/etc/a/b and /etc/a_b): every path after the
 * first to take a key gets a hash of its path added, so that no file overwrites another.
 */
export function fileKeys(paths: string[]): Map<string, string> {
  const keys = new Map<string, string>();
  const taken = new Set<string>();
  for (const path of paths) {
    let key = plainKey(path);
    if (taken.has(key)) key = `${key.slice(-240)}-${shortHash(path, 10)}`;
    taken.add(key);
    keys.set(path, key);
  }
  return keys;
}

export const configMapName = (svc: ResolvedService) => `${svc.name}-config`;

/** The service's config files as a ConfigMap, when it has any. */
export function configMap(
  svc: ResolvedService,
  input: RenderInput,
): Manifest[] {
  if (!svc.configFiles.length) return [];
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: serviceMeta(svc, input, configMapName(svc)),
      data: (() => {
        const keys = fileKeys(svc.configFiles.map(f => f.path));
        return Object.fromEntries(
          svc.configFiles.map(f => [keys.get(f.path)!, f.content]),
        );
      })(),
    },
  ];
}

/** A claim of the service's own, per persistent volume (for services without claim templates). */
export const claimName = (svc: ResolvedService, volume: string) =>
  `${svc.name}-${volume}`;

export function ownClaims(
  svc: ResolvedService,
  input: RenderInput,
): Manifest[] {
  return svc.volumes
    .filter(v => v.type === 'persistent')
    .map(v => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: serviceMeta(svc, input, claimName(svc, v.name)),
      spec: {
        accessModes: ['ReadWriteOnce'],
        resources: { requests: { storage: v.size ?? '1Gi' } },
      },
    }));
}

function probe(
  p: NonNullable<NonNullable<ResolvedService['probes']>['readiness']>,
) {
  const out: Record<string, unknown> = {
    initialDelaySeconds: p.initialDelaySeconds,
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    failureThreshold: p.failureThreshold,
  };
  if (p.http) out.httpGet = { path: p.http.path, port: p.http.port };
  if (p.tcp) out.tcpSocket = { port: p.tcp.port };
  if (p.exec) out.exec = { command: p.exec.command };
  return prune(out);
}

export interface PodTemplateOptions {
  /** How persistent volumes are mounted: own claims, or the StatefulSet's claim templates. */
  persistent: 'claims' | 'claimTemplates';
  restartPolicy?: 'Never' | 'OnFailure';
}

/** The size limit of a scratch volume that names none. */
export const SCRATCH_DEFAULT_SIZE = '1Gi';

/**
 * The pod template of a service. It depends on the service alone, never on the revision, so
 * a deploy of one service leaves every other service's pods alone.
 */
export function podTemplate(
  svc: ResolvedService,
  input: RenderInput,
  options: PodTemplateOptions,
) {
  const env: Array<Record<string, unknown>> = [
    // The Downward API carries identity into the process, as seed 003 does.
    {
      name: 'SERVER_ID',
      valueFrom: { fieldRef: { fieldPath: 'metadata.name' } },
    },
    {
      name: 'SERVER_TYPE',
      valueFrom: {
        fieldRef: { fieldPath: `metadata.labels['${SERVER_TYPE_LABEL}']` },
      },
    },
    {
      name: 'VERSION',
      valueFrom: {
        fieldRef: { fieldPath: `metadata.labels['${VERSION_LABEL}']` },
      },
    },
    { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
    { name: 'ENVIRONMENT', value: input.spec.name },
    { name: 'SERVICE_NAME', value: svc.name },
    ...Object.entries(svc.env)
      .sort(([a], [b]) => a.localeCompare(b))
      // The API server stores an empty value as no value: render it the way it is kept.
      .map(([name, value]) => (value === '' ? { name } : { name, value })),
    ...Object.entries(svc.secrets ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, ref]) => ({
        name,
        valueFrom: { secretKeyRef: { name: ref.name, key: ref.key } },
      })),
  ];
  const volumeMounts: Array<Record<string, unknown>> = [];
  const volumes: Array<Record<string, unknown>> = [];
  if (svc.configFiles.length) {
    volumes.push({
      name: 'config-files',
      configMap: { name: configMapName(svc) },
    });
    const keys = fileKeys(svc.configFiles.map(f => f.path));
    for (const f of svc.configFiles) {
      volumeMounts.push({
        name: 'config-files',
        mountPath: f.path,
        subPath: keys.get(f.path),
        readOnly: true,
      });
    }
  }
  for (const v of svc.volumes) {
    volumeMounts.push(
      prune({
        name: `vol-${v.name}`,
        mountPath: v.mountPath,
        readOnly: v.type === 'code' ? v.readOnly ?? true : v.readOnly,
      }),
    );
    if (v.type === 'scratch') {
      volumes.push({
        name: `vol-${v.name}`,
        // Bounded, so one pod cannot fill its node's disk.
        emptyDir: { sizeLimit: v.size ?? SCRATCH_DEFAULT_SIZE },
      });
    } else if (v.type === 'code') {
      volumes.push({
        name: `vol-${v.name}`,
        persistentVolumeClaim: {
          claimName: `code-${v.name}`,
          readOnly: v.readOnly ?? true,
        },
      });
    } else if (options.persistent === 'claims') {
      volumes.push({
        name: `vol-${v.name}`,
        persistentVolumeClaim: { claimName: claimName(svc, v.name) },
      });
    }
    // With claim templates, the StatefulSet mounts each replica's own claim.
  }
  const annotations: Record<string, string> = {};
  if (input.restartedAt[svc.name])
    annotations[RESTARTED_AT_ANNOTATION] = input.restartedAt[svc.name];
  if (svc.configFiles.length) {
    annotations['archipelago.dev/config-checksum'] = shortHash(
      JSON.stringify(svc.configFiles),
      16,
    );
  }
  const container = prune({
    name: svc.name,
    image: svc.image,
    command: svc.command,
    args: svc.args,
    ports: svc.ports.length
      ? svc.ports.map(p => ({
          name: p.name,
          containerPort: p.port,
          protocol: p.protocol,
        }))
      : undefined,
    env,
    resources: svc.resources
      ? nonEmpty(
          prune({
            requests: nonEmpty(svc.resources.requests),
            limits: nonEmpty(limitsFor(svc.resources, input)),
          }),
        )
      : undefined,
    readinessProbe: svc.probes?.readiness
      ? probe(svc.probes.readiness)
      : undefined,
    livenessProbe: svc.probes?.liveness
      ? probe(svc.probes.liveness)
      : undefined,
    volumeMounts: volumeMounts.length ? volumeMounts : undefined,
    // Hardened by default; root and capabilities come only from the service definition
    // (checked against the cluster's allowedCapabilities before anything is recorded).
    securityContext: {
      allowPrivilegeEscalation: false,
      capabilities: prune({
        drop: ['ALL'],
        add: svc.security?.capabilities?.length
          ? [...svc.security.capabilities].sort()
          : undefined,
      }),
    },
  });
  return {
    metadata: prune({
      labels: serviceIdentityLabels(input.spec, svc),
      annotations: Object.keys(annotations).length ? annotations : undefined,
    }),
    spec: prune({
      automountServiceAccountToken: false,
      securityContext: prune({
        runAsNonRoot: svc.security?.runAsRoot ? undefined : true,
        seccompProfile: { type: 'RuntimeDefault' },
      }),
      containers: [container],
      volumes: volumes.length ? volumes : undefined,
      nodeSelector: svc.nodeSelector,
      hostAliases: svc.hostAliases,
      restartPolicy: options.restartPolicy,
      enableServiceLinks: false,
    }),
  };
}

/** The Service that gives a service its stable name; headless for stateful services. */
export function service(
  svc: ResolvedService,
  input: RenderInput,
  headless: boolean,
): Manifest {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: serviceMeta(svc, input),
    spec: prune({
      type: 'ClusterIP',
      clusterIP: headless ? 'None' : undefined,
      selector: selectorLabels(input.spec, svc.name),
      ports: svc.ports.length
        ? svc.ports.map(p => ({
            name: p.name,
            port: p.port,
            targetPort: p.name,
            protocol: p.protocol,
          }))
        : undefined,
    }),
  };
}

/** What `pods` replicas of the service request, with the purpose's defaults for unset values. */
export function podRequests(
  svc: ResolvedService,
  input: RenderInput,
  pods: number,
): Requests {
  const cpu =
    parseCpu(svc.resources?.requests?.cpu ?? '') ??
    parseCpu(input.sizing.defaultRequests.cpu) ??
    0;
  const mem =
    parseMemory(svc.resources?.requests?.memory ?? '') ??
    parseMemory(input.sizing.defaultRequests.memory) ??
    0;
  return { pods, cpuMillis: pods * cpu, memoryBytes: pods * mem };
}

export function isPodReady(p: any): boolean {
  return (
    p.status?.phase === 'Running' &&
    !!p.status?.conditions?.some(
      (c: any) => c.type === 'Ready' && c.status === 'True',
    )
  );
}

/** Every scheduled pod with an address is an instance of its service. */
export function podRegistryEntries(
  environment: string,
  serviceName: string,
  pods: KubernetesObject[],
): ObservedRegistryEntry[] {
  return (pods as any[])
    .filter(p => p.status?.podIP && !p.metadata?.deletionTimestamp)
    .map(p => ({
      environment,
      service: serviceName,
      instance: p.metadata.name,
      version: p.metadata?.labels?.[VERSION_LABEL] ?? '',
      address: p.status.podIP,
      ports: (p.spec?.containers?.[0]?.ports ?? []).map((c: any) => ({
        name: c.name ?? String(c.containerPort),
        port: c.containerPort,
      })),
      ready: isPodReady(p),
      node: p.spec?.nodeName,
      uid: p.metadata.uid,
    }));
}

/** Health of a replicated workload (Deployment or StatefulSet) from its status and pods. */
export function replicatedHealth(
  obj: any,
  ctx: {
    pods: KubernetesObject[];
    podReasons: string[];
    operationRunning: boolean;
  },
) {
  const reasons = [...ctx.podReasons];
  const desired = obj.spec?.replicas ?? 1;
  const ready = obj.status?.readyReplicas ?? 0;
  const updated = obj.status?.updatedReplicas ?? 0;
  const generationSeen =
    (obj.status?.observedGeneration ?? 0) >= (obj.metadata?.generation ?? 0);
  let health: 'Ready' | 'Progressing' | 'Degraded' | 'Stopped';
  if (desired === 0) health = ctx.pods.length ? 'Progressing' : 'Stopped';
  else if (
    reasons.length &&
    (!ctx.operationRunning ||
      reasons.some(r => /CrashLoop|Err|Error|exit code/.test(r)))
  )
    health = 'Degraded';
  else if (
    ready >= desired &&
    updated >= desired &&
    generationSeen &&
    ctx.pods.length <= desired
  )
    health = 'Ready';
  else health = 'Progressing';
  if (health === 'Progressing' && !reasons.length)
    reasons.push(`${ready}/${desired} ready`);
  return { desiredReplicas: desired, readyReplicas: ready, health, reasons };
}

export const serviceOf = (o: KubernetesObject) =>
  o.metadata?.labels?.[SERVICE_LABEL];

/** What every replicated driver (Deployment, StatefulSet) does the same way. */
export const replicated = {
  requests: (svc: ResolvedService, input: RenderInput) =>
    podRequests(svc, input, isStopped(svc, input) ? 0 : svc.replicas),
  isService: (o: KubernetesObject) => !!serviceOf(o),
  health: replicatedHealth,
  registry: podRegistryEntries,
};

/**
 * The parts of a run-to-completion driver (cron, job): a batch/v1 object around a pod
 * template that never restarts in place, next to the service's ConfigMap. Its pods are runs,
 * not instances: nothing is addressable or registered.
 */
export function runToCompletion(options: {
  kind: 'CronJob' | 'Job';
  /** Render nothing but the ConfigMap while the service is stopped. */
  absentWhenStopped?: boolean;
  name?: (
    svc: ResolvedService,
    input: RenderInput,
    template: unknown,
  ) => string;
  spec: (
    svc: ResolvedService,
    input: RenderInput,
    template: ReturnType<typeof podTemplate>,
  ) => Record<string, unknown>;
}) {
  return {
    addressable: false,
    registry: () => [],
    render(svc: ResolvedService, input: RenderInput): Manifest[] {
      const template = podTemplate(svc, input, {
        persistent: 'claims',
        restartPolicy: 'Never',
      });
      if (options.absentWhenStopped && isStopped(svc, input))
        return configMap(svc, input);
      return [
        ...configMap(svc, input),
        {
          apiVersion: 'batch/v1',
          kind: options.kind,
          metadata: serviceMeta(
            svc,
            input,
            options.name?.(svc, input, template),
          ),
          spec: options.spec(svc, input, template),
        },
      ];
    },
  };
}
