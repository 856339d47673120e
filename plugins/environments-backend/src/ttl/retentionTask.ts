/*
 * The retention task: one scheduled task across replicas deletes the revisions of environments
 * destroyed longer ago than environments.retention.destroyedRevisions. Their secret values go
 * at destroy already.
 */
import type {
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import type { EnvironmentStore } from '../store/EnvironmentStore';

export async function scheduleRetention(options: {
  scheduler: SchedulerService;
  store: EnvironmentStore;
  logger: LoggerService;
  retentionSeconds: number;
}) {
  const { store, logger, retentionSeconds } = options;
  await options.scheduler.scheduleTask({
    id: 'environments-retention',
    scope: 'global',
    frequency: { minutes: 30 },
    timeout: { minutes: 5 },
    initialDelay: { seconds: 30 },
    fn: async () => {
      const cutoff = new Date(Date.now() - retentionSeconds * 1000);
      const purged = await store.purgeDestroyedRevisions(cutoff);
      if (purged)
        logger.info(
          `purged ${purged} revision(s) of environments destroyed before ${cutoff.toISOString()}`,
        );
    },
  });
}
