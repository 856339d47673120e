/* http: a stateless, rolling Deployment behind a ClusterIP Service, with an optional Ingress. */
import type { WorkloadDriver } from './types';
import {
  configMap,
  ingress,
  isStopped,
  ownClaims,
  podTemplate,
  replicated,
  service,
  serviceMeta,
} from './shared';
import { selectorLabels } from '../render/common';

export const httpDriver: WorkloadDriver = {
  kinds: ['http'],
  workload: 'deployments',
  owns: [
    'deployments',
    'services',
    'ingresses',
    'configmaps',
    'persistentvolumeclaims',
  ],
  update: 'in-place',
  addressable: true,

  render(svc, input) {
    return [
      ...configMap(svc, input),
      ...ownClaims(svc, input),
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: serviceMeta(svc, input),
        spec: {
          replicas: isStopped(svc, input) ? 0 : svc.replicas,
          revisionHistoryLimit: 10,
          selector: { matchLabels: selectorLabels(input.spec, svc.name) },
          strategy: {
            type: 'RollingUpdate',
            rollingUpdate: { maxSurge: '10%', maxUnavailable: '10%' },
          },
          template: podTemplate(svc, input, { persistent: 'claims' }),
        },
      },
      service(svc, input, false),
      ...ingress(svc, input),
    ];
  },

  ...replicated,
};
