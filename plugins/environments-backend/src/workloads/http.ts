/*
 * http: stateless servers. Each version is a rolling Deployment behind a Service of its own
 * (seed 003's `http-prod-v100000`); the plain Service selects every version, a route sends
 * each Version header to its version and the rest by weight, and with autoscaling an HPA per
 * version owns the replicas (see ../releases/render.ts).
 */
import type { WorkloadDriver } from './types';
import {
  configMap,
  isStopped,
  ownClaims,
  podRequests,
  podTemplate,
  replicated,
  service,
  serviceMeta,
} from './shared';
import {
  autoscalers,
  routes,
  trackReplicas,
  trackSelector,
  tracksOf,
  versionService,
} from '../releases/render';
import { prune } from '../render/common';

export const httpDriver: WorkloadDriver = {
  kinds: ['http'],
  workload: 'deployments',
  owns: [
    'deployments',
    'services',
    'ingresses',
    'httproutes',
    'horizontalpodautoscalers',
    'configmaps',
    'persistentvolumeclaims',
  ],
  update: 'in-place',
  addressable: true,

  render(svc, input) {
    const tracks = tracksOf(svc);
    return [
      ...configMap(svc, input),
      ...ownClaims(svc, input),
      ...tracks.flatMap(t => [
        {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: serviceMeta(t.svc, input, t.name),
          spec: prune({
            replicas: trackReplicas(t, input),
            revisionHistoryLimit: 10,
            selector: { matchLabels: trackSelector(input, t) },
            strategy: {
              type: 'RollingUpdate',
              rollingUpdate: { maxSurge: '10%', maxUnavailable: '10%' },
            },
            template: podTemplate(t.svc, input, { persistent: 'claims' }),
          }),
        },
        versionService(t, input, false),
      ]),
      service(svc, input, false),
      ...routes(svc, tracks, input),
      ...autoscalers(svc, tracks, input),
    ];
  },

  ...replicated,
  // An autoscaled version may reach its maximum: capacity counts that.
  requests: (svc, input) =>
    podRequests(
      svc,
      input,
      isStopped(svc, input)
        ? 0
        : tracksOf(svc).reduce(
            (n, t) => n + (svc.autoscaling ? svc.autoscaling.max : t.replicas),
            0,
          ),
    ),
};
