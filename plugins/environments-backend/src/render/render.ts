/*
 * Rendering is pure: an environment's spec, its resolved services and the cluster's settings go
 * in; Kubernetes manifests come out. No I/O happens here, so every branch is unit-testable and
 * the reconciler can diff, apply and prune what this returns.
 */
import {
  BASE_ANNOTATION,
  COMPONENT_LABEL,
  ENVIRONMENT_LABEL,
  EnvironmentSpec,
  FALLBACK_LABEL,
  INSTANCE_LABEL,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  NAME_LABEL,
  OWNER_ANNOTATION,
  PART_OF_LABEL,
  PURPOSE_LABEL,
  REVISION_LABEL,
  RESTARTED_AT_ANNOTATION,
  ResolvedService,
  SERVER_TYPE_LABEL,
  SERVICE_LABEL,
  VERSION_LABEL,
  VERSION_LABEL_K8S,
} from '@archipelago/plugin-environments-common';

/** A Kubernetes object as rendered: apiVersion, kind and metadata are always set. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [key: string]: unknown;
}

export interface Sizing {
  /** ResourceQuota hard limits for the namespace. */
  quota: {
    cpu: string;
    memory: string;
    pods: number;
    storage: string;
    claims: number;
  };
  /** LimitRange defaults for containers that set no resources. */
  defaultRequests: { cpu: string; memory: string };
  defaultLimits: { cpu: string; memory: string };
}

/** A service the environment does not run, answered by a base environment. */
export interface Fallback {
  service: string;
  environment: string;
  namespace: string;
}

export interface RenderInput {
  spec: EnvironmentSpec;
  services: ResolvedService[];
  revision: number;
  namespace: string;
  sizing: Sizing;
  /** Services that are stopped: scaled to zero, CronJobs suspended. */
  stopped: string[];
  /** Per service, the time of the last restart request: changes roll the pods. */
  restartedAt: Record<string, string>;
  /** Services the base chain answers for, nearest base first (see resolveFallbacks). */
  fallbacks: Fallback[];
  /** Namespace of the base environment, allowed through the NetworkPolicy. */
  baseNamespace?: string;
  /** Namespace of the ingress controller, allowed through the NetworkPolicy. */
  ingressNamespace: string;
  ingressClassName?: string;
  clusterDomain: string;
}

const STATEFUL = new Set(['socket', 'backend']);

/** FNV-1a, hex: a short, stable digest for names and checksums. */
export function shortHash(input: string, length = 8): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < input.length; i++) {
    h ^= input.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  let h2 = 0x9e3779b1;
  for (let i = input.length - 1; i >= 0; i--) {
    h2 ^= input.charCodeAt(i);
    h2 = Math.imul(h2, 0x85ebca6b) >>> 0;
  }
  return (
    h.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0')
  ).slice(0, length);
}

/** The labels every object of the environment carries. */
export function environmentLabels(
  spec: EnvironmentSpec,
  revision: number,
): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
    [PART_OF_LABEL]: spec.name,
    [ENVIRONMENT_LABEL]: spec.name,
    [REVISION_LABEL]: String(revision),
  };
}

function serviceLabels(
  spec: EnvironmentSpec,
  revision: number,
  svc: ResolvedService,
) {
  return {
    ...environmentLabels(spec, revision),
    [NAME_LABEL]: svc.name,
    [INSTANCE_LABEL]: `${spec.name}-${svc.name}`,
    [VERSION_LABEL_K8S]: svc.version,
    [COMPONENT_LABEL]: svc.kind,
    [SERVICE_LABEL]: svc.name,
    [SERVER_TYPE_LABEL]: svc.kind,
    [VERSION_LABEL]: svc.version,
  };
}

/** The labels that select a service's pods. They never change across versions or revisions. */
export function selectorLabels(spec: EnvironmentSpec, service: string) {
  return { [ENVIRONMENT_LABEL]: spec.name, [SERVICE_LABEL]: service };
}

const fileKey = (path: string) =>
  path
    .replace(/^\/+/, '')
    .replace(/[^-._a-zA-Z0-9]/g, '_')
    .slice(-253);

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

/** Drops undefined values (server-side apply treats explicit nulls as deletions). */
function prune<T extends Record<string, unknown>>(
  o: T,
): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(
    Object.entries(o).filter(([, v]) => v !== undefined),
  ) as any;
}

function podTemplate(
  input: RenderInput,
  svc: ResolvedService,
  labels: Record<string, string>,
  configMap?: string,
) {
  const { spec } = input;
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
    { name: 'ENVIRONMENT', value: spec.name },
    { name: 'SERVICE_NAME', value: svc.name },
    ...Object.entries(svc.env)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, value]) => ({ name, value })),
  ];
  const volumeMounts: Array<Record<string, unknown>> = [];
  const volumes: Array<Record<string, unknown>> = [];
  if (configMap) {
    volumes.push({ name: 'config-files', configMap: { name: configMap } });
    for (const f of svc.configFiles) {
      volumeMounts.push({
        name: 'config-files',
        mountPath: f.path,
        subPath: fileKey(f.path),
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
        emptyDir: v.size ? { sizeLimit: v.size } : {},
      });
    } else if (v.type === 'code') {
      volumes.push({
        name: `vol-${v.name}`,
        persistentVolumeClaim: {
          claimName: `code-${v.name}`,
          readOnly: v.readOnly ?? true,
        },
      });
    } else if (!STATEFUL.has(svc.kind)) {
      volumes.push({
        name: `vol-${v.name}`,
        persistentVolumeClaim: { claimName: `${svc.name}-${v.name}` },
      });
    }
    // persistent volumes of stateful services come from volumeClaimTemplates.
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
      ? prune({
          requests: nonEmpty(svc.resources.requests),
          limits: nonEmpty(svc.resources.limits),
        })
      : undefined,
    readinessProbe: svc.probes?.readiness
      ? probe(svc.probes.readiness)
      : undefined,
    livenessProbe: svc.probes?.liveness
      ? probe(svc.probes.liveness)
      : undefined,
    volumeMounts: volumeMounts.length ? volumeMounts : undefined,
  });
  return {
    metadata: prune({
      labels,
      annotations: Object.keys(annotations).length ? annotations : undefined,
    }),
    spec: prune({
      containers: [container],
      volumes: volumes.length ? volumes : undefined,
      nodeSelector: svc.nodeSelector,
      hostAliases: svc.hostAliases,
      restartPolicy:
        svc.kind === 'cron' || svc.kind === 'job' ? 'Never' : undefined,
      enableServiceLinks: false,
    }),
  };
}

function nonEmpty<T extends object>(o: T | undefined): T | undefined {
  return o && Object.keys(o).length ? o : undefined;
}

/** Renders every object of an environment, in apply order. */
export function renderEnvironment(input: RenderInput): Manifest[] {
  const { spec, namespace, revision, sizing } = input;
  const envLabels = environmentLabels(spec, revision);
  const objects: Manifest[] = [];
  const meta = (
    name: string,
    labels = envLabels,
    annotations?: Record<string, string>,
  ) => prune({ name, namespace, labels, annotations });

  objects.push({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: namespace,
      labels: {
        ...envLabels,
        [PURPOSE_LABEL]: spec.purpose,
        ...(spec.base ? { [BASE_ANNOTATION]: spec.base } : {}),
        ...spec.labels,
      },
      annotations: prune({
        [OWNER_ANNOTATION]: spec.owner,
        [BASE_ANNOTATION]: spec.base,
      }),
    },
  });
  objects.push({
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: meta('environment-quota'),
    spec: {
      hard: {
        'requests.cpu': sizing.quota.cpu,
        'requests.memory': sizing.quota.memory,
        pods: String(sizing.quota.pods),
        'requests.storage': sizing.quota.storage,
        persistentvolumeclaims: String(sizing.quota.claims),
      },
    },
  });
  objects.push({
    apiVersion: 'v1',
    kind: 'LimitRange',
    metadata: meta('environment-defaults'),
    spec: {
      limits: [
        {
          type: 'Container',
          defaultRequest: sizing.defaultRequests,
          default: sizing.defaultLimits,
        },
      ],
    },
  });
  const allowedFrom: Array<Record<string, unknown>> = [
    { podSelector: {} },
    // Environments that fall back to this one call into it (seed 001).
    { namespaceSelector: { matchLabels: { [BASE_ANNOTATION]: spec.name } } },
    {
      namespaceSelector: {
        matchLabels: { 'kubernetes.io/metadata.name': input.ingressNamespace },
      },
    },
  ];
  if (input.baseNamespace) {
    allowedFrom.push({
      namespaceSelector: {
        matchLabels: { 'kubernetes.io/metadata.name': input.baseNamespace },
      },
    });
  }
  objects.push({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta('environment-isolation'),
    spec: {
      podSelector: {},
      policyTypes: ['Ingress'],
      ingress: [{ from: allowedFrom }],
    },
  });

  // Shared code volumes: one claim per volume name, used by every service that mounts it.
  const codeVolumes = new Map<string, string>();
  for (const svc of input.services) {
    for (const v of svc.volumes) {
      if (v.type === 'code') {
        const prev = codeVolumes.get(v.name);
        codeVolumes.set(
          v.name,
          prev && compareSize(prev, v.size ?? '1Gi') > 0
            ? prev
            : v.size ?? '1Gi',
        );
      }
    }
  }
  for (const [name, size] of [...codeVolumes].sort()) {
    objects.push({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: meta(`code-${name}`, {
        ...envLabels,
        'archipelago.dev/volume': 'code',
      }),
      spec: {
        accessModes: ['ReadWriteMany'],
        resources: { requests: { storage: size } },
      },
    });
  }

  const stopped = new Set(input.stopped);
  const discovery: Record<string, { environment: string; address: string }> =
    {};
  for (const svc of input.services) {
    const labels = serviceLabels(spec, revision, svc);
    const selector = selectorLabels(spec, svc.name);
    const replicas = stopped.has(svc.name) ? 0 : svc.replicas;
    let configMap: string | undefined;
    if (svc.configFiles.length) {
      configMap = `${svc.name}-config`;
      objects.push({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: meta(configMap, labels),
        data: Object.fromEntries(
          svc.configFiles.map(f => [fileKey(f.path), f.content]),
        ),
      });
    }
    for (const v of svc.volumes) {
      if (
        v.type === 'persistent' &&
        !STATEFUL.has(svc.kind) &&
        svc.kind !== 'cron' &&
        svc.kind !== 'job'
      ) {
        objects.push({
          apiVersion: 'v1',
          kind: 'PersistentVolumeClaim',
          metadata: meta(`${svc.name}-${v.name}`, labels),
          spec: {
            accessModes: ['ReadWriteOnce'],
            resources: { requests: { storage: v.size ?? '1Gi' } },
          },
        });
      }
    }
    const template = podTemplate(input, svc, labels, configMap);
    switch (svc.kind) {
      case 'http':
        objects.push({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: meta(svc.name, labels),
          spec: {
            replicas,
            revisionHistoryLimit: 10,
            selector: { matchLabels: selector },
            strategy: {
              type: 'RollingUpdate',
              rollingUpdate: { maxSurge: '10%', maxUnavailable: '10%' },
            },
            template,
          },
        });
        break;
      case 'socket':
      case 'backend':
        objects.push({
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: meta(svc.name, labels),
          spec: prune({
            replicas,
            serviceName: svc.name,
            podManagementPolicy: 'Parallel',
            revisionHistoryLimit: 10,
            selector: { matchLabels: selector },
            updateStrategy: { type: 'RollingUpdate' },
            template,
            volumeClaimTemplates: svc.volumes.some(v => v.type === 'persistent')
              ? svc.volumes
                  .filter(v => v.type === 'persistent')
                  .map(v => ({
                    metadata: {
                      name: `vol-${v.name}`,
                      labels: { ...envLabels, [SERVICE_LABEL]: svc.name },
                    },
                    spec: {
                      accessModes: ['ReadWriteOnce'],
                      resources: { requests: { storage: v.size ?? '1Gi' } },
                    },
                  }))
              : undefined,
          }),
        });
        break;
      case 'cron':
        objects.push({
          apiVersion: 'batch/v1',
          kind: 'CronJob',
          metadata: meta(svc.name, labels),
          spec: {
            schedule: svc.schedule,
            suspend: stopped.has(svc.name),
            concurrencyPolicy: 'Forbid',
            successfulJobsHistoryLimit: 3,
            failedJobsHistoryLimit: 1,
            jobTemplate: {
              metadata: { labels },
              spec: { backoffLimit: 1, template },
            },
          },
        });
        break;
      case 'job':
        // A Job's template is immutable: each distinct template is a new Job, the old one pruned.
        objects.push({
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: meta(
            `${svc.name}-${shortHash(
              JSON.stringify(template.spec) +
                (input.restartedAt[svc.name] ?? ''),
              8,
            )}`,
            labels,
          ),
          spec: { backoffLimit: 2, template },
        });
        break;
      default:
        throw new Error(
          `unknown workload kind ${(svc as ResolvedService).kind}`,
        );
    }
    if (
      svc.kind === 'http' ||
      svc.kind === 'socket' ||
      svc.kind === 'backend'
    ) {
      const headless = svc.kind !== 'http';
      objects.push({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: meta(svc.name, labels),
        spec: prune({
          type: 'ClusterIP',
          clusterIP: headless ? 'None' : undefined,
          publishNotReadyAddresses: headless ? false : undefined,
          selector,
          ports: svc.ports.length
            ? svc.ports.map(p => ({
                name: p.name,
                port: p.port,
                targetPort: p.name,
                protocol: p.protocol,
              }))
            : undefined,
        }),
      });
      discovery[svc.name] = {
        environment: spec.name,
        address: `${svc.name}.${namespace}.svc.${input.clusterDomain}`,
      };
    }
    if (svc.ingress && svc.ports.length) {
      objects.push({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: meta(svc.name, labels),
        spec: prune({
          ingressClassName: input.ingressClassName,
          rules: [
            {
              host: svc.ingress.host,
              http: {
                paths: [
                  {
                    path: svc.ingress.path ?? '/',
                    pathType: 'Prefix',
                    backend: {
                      service: {
                        name: svc.name,
                        port: { name: svc.ports[0].name },
                      },
                    },
                  },
                ],
              },
            },
          ],
        }),
      });
    }
  }

  // Discovery: a name this environment does not run resolves to the nearest base that does,
  // through an ExternalName Service of the same name (seed 001's fallback).
  const own = new Set(input.services.map(s => s.name));
  for (const fb of input.fallbacks) {
    if (own.has(fb.service) || discovery[fb.service]) continue;
    const address = `${fb.service}.${fb.namespace}.svc.${input.clusterDomain}`;
    objects.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta(fb.service, {
        ...envLabels,
        [SERVICE_LABEL]: fb.service,
        [FALLBACK_LABEL]: fb.environment,
      }),
      spec: { type: 'ExternalName', externalName: address },
    });
    discovery[fb.service] = { environment: fb.environment, address };
  }
  objects.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta('archipelago-discovery'),
    data: {
      'services.json': JSON.stringify(
        Object.fromEntries(
          Object.entries(discovery).sort(([a], [b]) => a.localeCompare(b)),
        ),
        null,
        2,
      ),
    },
  });
  return objects;
}

function compareSize(a: string, b: string): number {
  const units: Record<string, number> = { Mi: 1, Gi: 1024, Ti: 1024 * 1024 };
  const v = (s: string) => {
    const m = /^(\d+)(Mi|Gi|Ti)?$/.exec(s);
    return m ? parseInt(m[1], 10) * (units[m[2] ?? 'Mi'] ?? 1) : 0;
  };
  return v(a) - v(b);
}

/** The identity of a manifest, for diffing and pruning. */
export const manifestKey = (m: {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
}) =>
  `${m.apiVersion}/${m.kind}/${m.metadata?.namespace ?? ''}/${
    m.metadata?.name
  }`;
