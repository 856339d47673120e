/*
 * socket and backend (seed 003): stateful servers as a StatefulSet with a headless Service.
 * Each replica has a stable name (game-0) and, for persistent volumes, a claim of its own from
 * the claim templates, which never change after creation (the API server refuses that).
 */
import type { WorkloadDriver } from './types';
import {
  configMap,
  ingress,
  isStopped,
  podTemplate,
  replicated,
  service,
  serviceMeta,
} from './shared';
import { ownershipLabels, prune, selectorLabels } from '../render/common';
import { SERVICE_LABEL } from '@archipelago/plugin-environments-common';

export const statefulDriver: WorkloadDriver = {
  kinds: ['socket', 'backend'],
  workload: 'statefulsets',
  owns: ['statefulsets', 'services', 'ingresses', 'configmaps'],
  update: 'in-place',
  addressable: true,

  render(svc, input) {
    const persistent = svc.volumes.filter(v => v.type === 'persistent');
    return [
      ...configMap(svc, input),
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: serviceMeta(svc, input),
        spec: prune({
          replicas: isStopped(svc, input) ? 0 : svc.replicas,
          serviceName: svc.name,
          podManagementPolicy: 'Parallel',
          revisionHistoryLimit: 10,
          selector: { matchLabels: selectorLabels(input.spec, svc.name) },
          updateStrategy: { type: 'RollingUpdate' },
          template: podTemplate(svc, input, { persistent: 'claimTemplates' }),
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
      service(svc, input, true),
      ...ingress(svc, input),
    ];
  },

  ...replicated,
};
