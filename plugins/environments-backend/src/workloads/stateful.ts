/*
 * socket and backend (seed 003): stateful servers, a StatefulSet per version with a headless
 * Service of its own (`connector-v1-0-0000-0`), and the plain headless Service over every
 * version. They are never rolled in place: a new version comes up beside the old one, new
 * connections go to it, and the old one goes once the new one is ready (docs/releases.md).
 * With persistent volumes a service keeps one StatefulSet, named after the service, whose
 * claim templates never change after creation (the API server refuses that).
 */
import type { WorkloadDriver } from './types';
import {
  configMap,
  isStopped,
  podRequests,
  podTemplate,
  replicated,
  service,
  serviceMeta,
} from './shared';
import {
  isVersioned,
  routes,
  trackReplicas,
  trackSelector,
  tracksOf,
  versionService,
} from '../releases/render';
import { ownershipLabels, prune } from '../render/common';
import { SERVICE_LABEL } from '@archipelago/plugin-environments-common';

export const statefulDriver: WorkloadDriver = {
  kinds: ['socket', 'backend'],
  workload: 'statefulsets',
  owns: ['statefulsets', 'services', 'ingresses', 'httproutes', 'configmaps'],
  update: 'in-place',
  addressable: true,

  render(svc, input) {
    const persistent = svc.volumes.filter(v => v.type === 'persistent');
    const tracks = tracksOf(svc);
    const versioned = isVersioned(svc);
    return [
      ...configMap(svc, input),
      ...tracks.flatMap(t => [
        {
          apiVersion: 'apps/v1',
          kind: 'StatefulSet',
          metadata: serviceMeta(t.svc, input, t.name),
          spec: prune({
            replicas: trackReplicas(t, input),
            // Each version's pods get their DNS names from its own headless Service.
            serviceName: t.name,
            podManagementPolicy: 'Parallel',
            revisionHistoryLimit: 10,
            selector: { matchLabels: trackSelector(input, t) },
            updateStrategy: { type: 'RollingUpdate' },
            template: podTemplate(t.svc, input, {
              persistent: 'claimTemplates',
            }),
            // Labels here are ownership only: claim templates are immutable once created.
            volumeClaimTemplates: persistent.length
              ? persistent.map(v => ({
                  metadata: {
                    name: `vol-${v.name}`,
                    labels: {
                      ...ownershipLabels(input.spec),
                      [SERVICE_LABEL]: svc.name,
                    },
                  },
                  spec: {
                    accessModes: ['ReadWriteOnce'],
                    resources: { requests: { storage: v.size ?? '1Gi' } },
                  },
                }))
              : undefined,
          }),
        },
        ...(versioned ? [versionService(t, input, true)] : []),
      ]),
      service(svc, input, true),
      ...routes(svc, tracks, input),
    ];
  },

  ...replicated,
  requests: (svc, input) =>
    podRequests(
      svc,
      input,
      isStopped(svc, input)
        ? 0
        : tracksOf(svc).reduce((n, t) => n + t.replicas, 0),
    ),
};
