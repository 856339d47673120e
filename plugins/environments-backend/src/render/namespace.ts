/*
 * The namespace-level objects of an environment: the Namespace, its quota and container
 * defaults, its NetworkPolicy, and the code volumes its services share.
 */
import {
  BASE_ANNOTATION,
  BRANCH_LABEL,
  environmentNameForBranch,
  ENVIRONMENT_ID_ANNOTATION,
  MANAGED_SECRET_NAME,
  OWNER_ANNOTATION,
  PURPOSE_LABEL,
} from '@archipelago/plugin-environments-common';
import type { ResourceName } from '../cluster/resources';
import { compareSize, environmentLabels, objectMeta, prune } from './common';
import { parseCpu, parseMemory } from '@archipelago/plugin-environments-common';
import type { Manifest, RenderInput } from './types';

/** What this renderer creates, for the watch cache and prune. */
export const NAMESPACE_RESOURCES: readonly ResourceName[] = [
  'secrets',
  'resourcequotas',
  'limitranges',
  'networkpolicies',
  'persistentvolumeclaims',
];

/**
 * The label a namespace carries for each environment in its base chain, by the base's id: a
 * later environment of a destroyed base's name does not let the old dependants in.
 */
export const chainLabel = (environmentId: string) =>
  `base.archipelago.dev/${environmentId}`;

/**
 * The room a rolling update takes on top of the purpose's quota: new pods come up (maxSurge
 * 10%, workloads/http.ts) before old ones go. Without it a full environment cannot roll out:
 * its surge pods are refused by the quota, and the ReplicaSet controller backs off for
 * minutes. The capacity check (capacity/fits.ts) holds the environment itself to the quota.
 */
export const ROLLOUT_ROOM = 0.1;

const withRolloutRoom = {
  pods: (n: number) => String(n + Math.ceil(n * ROLLOUT_ROOM)),
  cpu: (q: string) => {
    const m = parseCpu(q);
    return m === undefined ? q : `${Math.ceil(m * (1 + ROLLOUT_ROOM))}m`;
  },
  memory: (q: string) => {
    const b = parseMemory(q);
    return b === undefined
      ? q
      : `${Math.ceil((b * (1 + ROLLOUT_ROOM)) / 2 ** 20)}Mi`;
  },
};

export function renderNamespace(input: RenderInput): Manifest[] {
  const { spec, namespace, sizing } = input;
  const labels = environmentLabels(spec, input.revision);
  const meta = (name: string, extra: Record<string, string> = {}) =>
    objectMeta(namespace, name, { ...labels, ...extra });
  const allowedFrom: Array<Record<string, unknown>> = [
    { podSelector: {} },
    // Environments that fall back to this one call into it (seed 001), directly or through
    // bases of their own: each namespace is labelled with its whole base chain.
    {
      namespaceSelector: {
        matchLabels: { [chainLabel(input.environmentId)]: 'true' },
      },
    },
    {
      namespaceSelector: {
        matchLabels: { 'kubernetes.io/metadata.name': input.ingressNamespace },
      },
    },
  ];
  // The Gateway's own namespace, where its data plane usually runs, may reach routed services.
  const gateway = input.routing?.gateway?.namespace;
  if (
    input.routing?.type === 'gateway' &&
    gateway &&
    gateway !== input.ingressNamespace
  )
    allowedFrom.push({
      namespaceSelector: {
        matchLabels: { 'kubernetes.io/metadata.name': gateway },
      },
    });
  if (input.baseNamespace) {
    allowedFrom.push({
      namespaceSelector: {
        matchLabels: { 'kubernetes.io/metadata.name': input.baseNamespace },
      },
    });
  }
  // Calls go to the environment itself, to the bases it falls back to, and to DNS; anything
  // else only to the cluster's configured CIDRs.
  const baseNamespaces = [
    ...new Set(
      [input.baseNamespace, ...input.fallbacks.map(f => f.namespace)].filter(
        (n): n is string => !!n,
      ),
    ),
  ].sort();
  const egress: Array<Record<string, unknown>> = [
    { to: [{ podSelector: {} }] },
    ...baseNamespaces.map(n => ({
      to: [
        {
          namespaceSelector: {
            matchLabels: { 'kubernetes.io/metadata.name': n },
          },
        },
      ],
    })),
    {
      to: [
        {
          namespaceSelector: {
            matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
          },
        },
      ],
      ports: [
        { protocol: 'UDP', port: 53 },
        { protocol: 'TCP', port: 53 },
      ],
    },
    ...(input.egressCidrs?.length
      ? [{ to: input.egressCidrs.map(cidr => ({ ipBlock: { cidr } })) }]
      : []),
  ];
  const configured = input.podSecurity ?? {
    enforce: 'baseline',
    warn: 'restricted',
  };
  // Islands bind host ports (and may add NET_ADMIN or SYS_TIME), which no Pod Security level
  // but privileged admits. Only clusters with an island range take island services, and the
  // capabilities are still only those the cluster's policy allows.
  const podSecurity = input.services.some(s => s.kind === 'island')
    ? { ...configured, enforce: 'privileged' }
    : configured;
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: namespace,
        labels: {
          ...spec.labels,
          ...labels,
          // Pod Security admission, per purpose (config purposes.<p>.podSecurity).
          'pod-security.kubernetes.io/enforce': podSecurity.enforce,
          'pod-security.kubernetes.io/warn': podSecurity.warn,
          [PURPOSE_LABEL]: spec.purpose,
          ...(input.baseName ? { [BASE_ANNOTATION]: input.baseName } : {}),
          // The branch as a label value (its environment name); the annotation holds it whole.
          ...(spec.branch
            ? { [BRANCH_LABEL]: environmentNameForBranch(spec.branch) }
            : {}),
          ...Object.fromEntries(
            (input.bases ?? []).map(b => [chainLabel(b), 'true']),
          ),
        },
        annotations: prune({
          [ENVIRONMENT_ID_ANNOTATION]: input.environmentId,
          [OWNER_ANNOTATION]: spec.owner,
          [BASE_ANNOTATION]: input.baseName,
          [BRANCH_LABEL]: spec.branch,
        }),
      },
    },
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: meta('environment-quota'),
      spec: {
        hard: {
          'requests.cpu': withRolloutRoom.cpu(sizing.quota.cpu),
          'requests.memory': withRolloutRoom.memory(sizing.quota.memory),
          pods: withRolloutRoom.pods(sizing.quota.pods),
          'requests.storage': sizing.quota.storage,
          persistentvolumeclaims: String(sizing.quota.claims),
        },
      },
    },
    {
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
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('environment-isolation'),
      spec: {
        podSelector: {},
        policyTypes: ['Ingress'],
        ingress: [{ from: allowedFrom }],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('environment-egress'),
      spec: { podSelector: {}, policyTypes: ['Egress'], egress },
    },
    // Secret values, by key; pods read them through secretKeyRef (the spec holds only that).
    ...(input.secretValues && Object.keys(input.secretValues).length
      ? [
          {
            apiVersion: 'v1',
            kind: 'Secret',
            metadata: meta(MANAGED_SECRET_NAME),
            type: 'Opaque',
            data: Object.fromEntries(
              Object.entries(input.secretValues)
                .sort(([a], [b]) => a.localeCompare(b))
                .map(([k, v]) => [
                  k,
                  Buffer.from(v, 'utf8').toString('base64'),
                ]),
            ),
          },
        ]
      : []),
    ...codeVolumes(input).map(([name, size]) => ({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: meta(`code-${name}`, { 'archipelago.dev/volume': 'code' }),
      spec: {
        accessModes: ['ReadWriteMany'],
        resources: { requests: { storage: size } },
      },
    })),
  ];
}

/** Shared code volumes (seed 002): one claim per volume name, the largest size asked for. */
function codeVolumes(input: RenderInput): Array<[string, string]> {
  const sizes = new Map<string, string>();
  for (const svc of input.services) {
    for (const v of svc.volumes) {
      if (v.type !== 'code') continue;
      const size = v.size ?? '1Gi';
      const prev = sizes.get(v.name);
      sizes.set(v.name, prev && compareSize(prev, size) > 0 ? prev : size);
    }
  }
  return [...sizes].sort();
}
