/*
 * Several versions of a service side by side (seed 003, docs/releases.md). Pure rendering:
 * each version gets its own workload and Service, named after it (`http-v1-0-0000`); the
 * service's plain Service still selects every version; a route sends each Version header to
 * its version and the rest by weight; an HPA per version scales an autoscaled http service.
 */
import {
  ResolvedService,
  ResolvedVersion,
  VERSION_HEADER,
  VERSION_LABEL,
  primaryWeight,
  versionedName,
} from '@archipelago/plugin-environments-common';
import { prune, selectorLabels } from '../render/common';
import type { Manifest, RenderInput } from '../render/types';
import { isStopped, serviceMeta } from '../workloads/shared';

/** The primary version first, then those beside it. */
export interface Track extends ResolvedVersion {
  primary: boolean;
  /** The workload's and the version Service's name. */
  name: string;
  /** The service as this version runs: its version and image. */
  svc: ResolvedService;
}

/**
 * Whether the service's workloads carry their version in their names. A stateful service with
 * persistent volumes does not: its claims belong to one StatefulSet, so it keeps one version,
 * updated in place (validation refuses versions beside it).
 */
export function isVersioned(svc: ResolvedService): boolean {
  return !(
    (svc.kind === 'socket' || svc.kind === 'backend') &&
    svc.volumes.some(v => v.type === 'persistent')
  );
}

export function tracksOf(svc: ResolvedService): Track[] {
  const others = svc.versions ?? [];
  const versioned = isVersioned(svc);
  const primary: Track = {
    primary: true,
    version: svc.version,
    image: svc.image,
    replicas: svc.replicas,
    weight: primaryWeight(others),
    name: versioned ? versionedName(svc.name, svc.version) : svc.name,
    svc,
  };
  return [
    primary,
    ...others.map(v => ({
      ...v,
      primary: false,
      name: versionedName(svc.name, v.version),
      svc: { ...svc, version: v.version, image: v.image, replicas: v.replicas },
    })),
  ];
}

/** The labels that select one version's pods. */
export function trackSelector(input: RenderInput, t: Track) {
  return isVersioned(t.svc)
    ? { ...selectorLabels(input.spec, t.svc.name), [VERSION_LABEL]: t.version }
    : selectorLabels(input.spec, t.svc.name);
}

/** Replicas the workload asks for: none when an HPA owns them, zero when stopped. */
export function trackReplicas(
  t: Track,
  input: RenderInput,
): number | undefined {
  if (isStopped(t.svc, input)) return 0;
  return t.svc.autoscaling ? undefined : t.replicas;
}

/** The Service of one version, which routes and in-cluster callers pinned to it use. */
export function versionService(
  t: Track,
  input: RenderInput,
  headless: boolean,
): Manifest {
  const svc = t.svc;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: serviceMeta(svc, input, t.name),
    spec: prune({
      type: 'ClusterIP',
      clusterIP: headless ? 'None' : undefined,
      selector: trackSelector(input, t),
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

/** An autoscaling/v2 HPA per version of an autoscaled service. */
export function autoscalers(
  svc: ResolvedService,
  tracks: Track[],
  input: RenderInput,
): Manifest[] {
  const a = svc.autoscaling;
  if (!a) return [];
  return tracks.map(t => ({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: serviceMeta(t.svc, input, t.name),
    spec: {
      scaleTargetRef: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: t.name,
      },
      minReplicas: a.min,
      maxReplicas: a.max,
      metrics: [
        {
          type: 'Resource',
          resource: {
            name: 'cpu',
            target: { type: 'Utilization', averageUtilization: a.cpu },
          },
        },
      ],
      behavior: {
        scaleDown: { stabilizationWindowSeconds: a.scaleDownSeconds ?? 300 },
      },
    },
  }));
}

const NGINX = 'nginx.ingress.kubernetes.io';

/**
 * How a service with ports is reached: an HTTPRoute (Gateway API) for a service with an
 * ingress host or versions beside its primary one; or, on ingress-nginx, its Ingress plus a
 * canary Ingress per version; or, with routing none, its Ingress alone.
 */
export function routes(
  svc: ResolvedService,
  tracks: Track[],
  input: RenderInput,
): Manifest[] {
  if (!svc.ports.length) return [];
  const routing = input.routing ?? { type: 'gateway' };
  const port = svc.ports[0];
  const path = svc.ingress?.path ?? '/';
  const versioned = isVersioned(svc);
  if (routing.type === 'gateway') {
    if (!svc.ingress && tracks.length < 2) return [];
    const gateway = svc.ingress && routing.gateway;
    // A host on a cluster that names no Gateway keeps its Ingress (to the plain Service);
    // the versions are routed for in-cluster callers by the route alone.
    const hostIngress =
      svc.ingress && !routing.gateway
        ? [classicIngress(svc, input, svc.name, svc.name)]
        : [];
    if (!gateway && tracks.length < 2) return hostIngress;
    const backend = (t: Track, w: number) => ({
      group: '',
      kind: 'Service',
      name: t.name,
      port: port.port,
      weight: w,
    });
    const pathMatch = { path: { type: 'PathPrefix', value: path } };
    return [
      ...hostIngress,
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: serviceMeta(svc, input),
        spec: prune({
          parentRefs: [
            ...(gateway
              ? [
                  prune({
                    group: 'gateway.networking.k8s.io',
                    kind: 'Gateway',
                    namespace: gateway.namespace,
                    name: gateway.name,
                    sectionName: gateway.sectionName,
                  }),
                ]
              : []),
            // The plain Service, for in-cluster callers (the Gateway API's mesh binding).
            { group: '', kind: 'Service', name: svc.name, port: port.port },
          ],
          hostnames: gateway ? [svc.ingress!.host] : undefined,
          rules: [
            ...tracks
              .filter(t => t.header !== undefined)
              .map(t => ({
                matches: [
                  {
                    ...pathMatch,
                    headers: [
                      { type: 'Exact', name: VERSION_HEADER, value: t.header },
                    ],
                  },
                ],
                backendRefs: [backend(t, 1)],
              })),
            {
              matches: [pathMatch],
              backendRefs: tracks.map(t => backend(t, t.weight)),
            },
          ],
        }),
      },
    ];
  }
  if (!svc.ingress) return [];
  const ingress = (
    t: Track | undefined,
    name: string,
    annotations?: Record<string, string>,
  ) =>
    classicIngress(
      t?.svc ?? svc,
      input,
      name,
      t && versioned ? t.name : svc.name,
      annotations,
    );
  if (routing.type === 'none') return [ingress(undefined, svc.name)];
  const [primary, ...others] = tracks;
  return [
    ingress(primary, svc.name),
    ...others.map(t =>
      ingress(t, t.name, {
        [`${NGINX}/canary`]: 'true',
        ...(t.header !== undefined
          ? {
              [`${NGINX}/canary-by-header`]: VERSION_HEADER,
              [`${NGINX}/canary-by-header-value`]: t.header,
            }
          : {}),
        [`${NGINX}/canary-weight`]: String(t.weight),
      }),
    ),
  ];
}

/** An Ingress for the service's host, to one of its Services. */
function classicIngress(
  svc: ResolvedService,
  input: RenderInput,
  name: string,
  backend: string,
  annotations?: Record<string, string>,
): Manifest {
  const port = svc.ports[0];
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: prune({ ...serviceMeta(svc, input, name), annotations }),
    spec: prune({
      ingressClassName: input.ingressClassName,
      rules: [
        {
          host: svc.ingress!.host,
          http: {
            paths: [
              {
                path: svc.ingress!.path ?? '/',
                pathType: 'Prefix',
                backend: {
                  service: { name: backend, port: { name: port.name } },
                },
              },
            ],
          },
        },
      ],
    }),
  };
}
