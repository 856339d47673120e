/* cron (seed 003): a CronJob, suspended while the service is stopped. Its runs are not instances. */
import type { ObservedHealth, WorkloadDriver } from './types';
import { runToCompletion, serviceOf } from './shared';

export const cronDriver: WorkloadDriver = {
  kinds: ['cron'],
  workload: 'cronjobs',
  owns: ['cronjobs', 'configmaps'],
  update: 'in-place',
  ...runToCompletion({
    kind: 'CronJob',
    spec: (svc, input, template) => ({
      schedule: svc.schedule,
      suspend: input.stopped.includes(svc.name),
      concurrencyPolicy: 'Forbid',
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        metadata: { labels: template.metadata.labels },
        spec: { backoffLimit: 1, template },
      },
    }),
  }),

  // A scheduled run comes and goes; nothing is held between runs.
  requests: () => ({ pods: 0, cpuMillis: 0, memoryBytes: 0 }),
  isService: o => !!serviceOf(o),

  health(obj, { snapshot }) {
    const lastJob = (snapshot.jobs as any[])
      .filter(j =>
        j.metadata?.ownerReferences?.some(
          (o: any) => o.kind === 'CronJob' && o.name === obj.metadata?.name,
        ),
      )
      .sort((a, b) =>
        String(b.metadata?.creationTimestamp).localeCompare(
          String(a.metadata?.creationTimestamp),
        ),
      )[0];
    const lastFailed = !!lastJob?.status?.failed;
    let health: ObservedHealth['health'] = lastFailed ? 'Degraded' : 'Ready';
    if (obj.spec?.suspend) health = 'Stopped';
    return {
      desiredReplicas: 0,
      readyReplicas: 0,
      health,
      reasons: lastFailed ? ['the last scheduled run failed'] : [],
    };
  },
};
