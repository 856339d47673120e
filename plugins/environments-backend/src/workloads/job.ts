/*
 * job: a run-to-completion Job. A Job's pod template is immutable, so the driver replaces
 * instead of updating: the name carries a digest of the template (and of the last restart),
 * a new version or a restart renders a new Job, and the old one is pruned. An existing Job is
 * never patched, so deploying another service never touches it.
 */
import type { ObservedHealth, WorkloadDriver } from './types';
import { podRequests, runToCompletion, serviceOf } from './shared';
import { shortHash } from '../render/common';

export const jobDriver: WorkloadDriver = {
  kinds: ['job'],
  workload: 'jobs',
  owns: ['jobs', 'configmaps'],
  update: 'replace',
  ...runToCompletion({
    kind: 'Job',
    // A stopped job is not running: its Job (and pods) go; start creates it again, and it runs.
    absentWhenStopped: true,
    name: (svc, input, template) =>
      `${svc.name}-${shortHash(
        JSON.stringify(template) + (input.restartedAt[svc.name] ?? ''),
        8,
      )}`,
    spec: (_svc, _input, template) => ({ backoffLimit: 2, template }),
  }),

  requests: (svc, input) =>
    podRequests(svc, input, input.stopped.includes(svc.name) ? 0 : 1),
  // Jobs that a CronJob started are that CronJob's runs, not services of their own.
  isService: o =>
    !!serviceOf(o) &&
    !o.metadata?.ownerReferences?.some(r => r.kind === 'CronJob'),

  health(obj) {
    const failed = obj.status?.failed ?? 0;
    const succeeded = !!obj.status?.succeeded;
    let health: ObservedHealth['health'] = 'Progressing';
    if (succeeded) health = 'Ready';
    else if (failed > (obj.spec?.backoffLimit ?? 6)) health = 'Failed';
    else if (failed) health = 'Degraded';
    return {
      desiredReplicas: 1,
      readyReplicas: succeeded ? 1 : 0,
      health,
      reasons: failed ? [`${failed} failed attempt(s)`] : [],
    };
  },
};
