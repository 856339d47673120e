/*
 * The TTL task: one scheduled task across replicas queues `expire` for what is past its expiry.
 * The warning before an expiry is the alert rule `expiring` (alerts/rules.ts), whose default is
 * the purpose's expiryWarning.
 */
import type {
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import type { EnvironmentStore } from '../store/EnvironmentStore';
import type { EnvironmentsService } from '../service/EnvironmentsService';

export async function scheduleExpiry(options: {
  scheduler: SchedulerService;
  store: EnvironmentStore;
  service: EnvironmentsService;
  logger: LoggerService;
  everySeconds: number;
}) {
  const { store, service, logger } = options;
  await options.scheduler.scheduleTask({
    id: 'environments-expire',
    scope: 'global',
    frequency: { seconds: options.everySeconds },
    timeout: { minutes: 5 },
    initialDelay: { seconds: 5 },
    fn: async () => {
      for (const e of await store.listExpired()) {
        try {
          await service.destroy(e.name, 'system:archipelago-ttl', 'expire');
          logger.info(
            `environment ${
              e.name
            } expired at ${e.expiresAt?.toISOString()}; destroying it`,
          );
        } catch (err) {
          logger.warn(`could not expire ${e.name}: ${String(err)}`);
        }
      }
    },
  });
}
