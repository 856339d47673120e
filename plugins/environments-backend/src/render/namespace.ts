/*
 * The namespace-level objects of an environment: the Namespace, its quota and container
 * defaults, its NetworkPolicy, and the code volumes its services share.
 */
import {
  BASE_ANNOTATION,
  OWNER_ANNOTATION,
  PURPOSE_LABEL,
} from '@archipelago/plugin-environments-common';
import type { ResourceName } from '../cluster/resources';
import { compareSize, environmentLabels, objectMeta, prune } from './common';
import type { Manifest, RenderInput } from './types';

/** What this renderer creates, for the watch cache and prune. */
export const NAMESPACE_RESOURCES: readonly ResourceName[] = [
  'resourcequotas',
  'limitranges',
  'networkpolicies',
  'persistentvolumeclaims',
];

/** The label a namespace carries for each environment in its base chain. */
export const chainLabel = (environment: string) =>
  `base.archipelago.dev/${environment}`;

export function renderNamespace(input: RenderInput): Manifest[] {
  const { spec, namespace, sizing } = input;
  const labels = environmentLabels(spec, input.revision);
  const meta = (name: string, extra: Record<string, string> = {}) =>
    objectMeta(namespace, name, { ...labels, ...extra });
  const allowedFrom: Array<Record<string, unknown>> = [
    { podSelector: {} },
    // Environments that fall back to this one call into it (seed 001), directly or through
    // bases of their own: each namespace is labelled with its whole base chain.
    { namespaceSelector: { matchLabels: { [chainLabel(spec.name)]: 'true' } } },
    // Direct dependants rendered before the chain labels existed.
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
  return [
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: namespace,
        labels: {
          ...labels,
          [PURPOSE_LABEL]: spec.purpose,
          ...(spec.base ? { [BASE_ANNOTATION]: spec.base } : {}),
          ...Object.fromEntries(
            (input.bases ?? []).map(b => [chainLabel(b), 'true']),
          ),
          ...spec.labels,
        },
        annotations: prune({
          [OWNER_ANNOTATION]: spec.owner,
          [BASE_ANNOTATION]: spec.base,
        }),
      },
    },
    {
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
