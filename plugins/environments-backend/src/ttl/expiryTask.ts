/*
 * The TTL task: one scheduled task across replicas queues `expire` for what is past its expiry,
 * and warns each owner once before an expiry, with a link that opens the Extend dialog.
 */
import type {
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import { environmentPath } from '@archipelago/plugin-environments-common';
import type { EnvironmentStore } from '../store/EnvironmentStore';
import type { EnvironmentsConfig } from '../config';
import type { EnvironmentsService } from '../service/EnvironmentsService';

export async function scheduleExpiry(options: {
  scheduler: SchedulerService;
  store: EnvironmentStore;
  service: EnvironmentsService;
  logger: LoggerService;
  everySeconds: number;
  config: EnvironmentsConfig;
  notifications?: NotificationService;
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
      await warnOfExpiry(options);
    },
  });
}

/** "45 minutes", "2 hours": how long until an instant, rounded to what a reader needs. */
export function timeLeft(ms: number): string {
  const minutes = Math.max(1, Math.round(ms / 60_000));
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.round(minutes / 60);
  return `${hours} hours`;
}

/** Warns each owner once about an expiry within their purpose's expiryWarning. */
export async function warnOfExpiry(options: {
  store: EnvironmentStore;
  logger: LoggerService;
  config: EnvironmentsConfig;
  notifications?: NotificationService;
  now?: Date;
}) {
  const { store, logger, config, notifications } = options;
  if (!notifications) return;
  const windowOf = (purpose: string) =>
    config.purposes[purpose as keyof typeof config.purposes]
      ?.expiryWarningSeconds ?? 0;
  const max = Math.max(
    0,
    ...Object.values(config.purposes).map(p => p.expiryWarningSeconds),
  );
  const now = options.now ?? new Date();
  for (const e of await store.listExpiryWarnings(windowOf, max, now)) {
    if (!(await store.claimExpiryWarning(e.id))) continue;
    const env = (await store.getEnvironmentById(e.id)) ?? e;
    if (!env.expiresAt) continue;
    const left = timeLeft(env.expiresAt.getTime() - now.getTime());
    await notifications
      .send({
        recipients: { type: 'entity', entityRef: env.owner },
        payload: {
          title: `Environment ${env.name} expires in ${left}`,
          description: `It will be destroyed at ${env.expiresAt.toISOString()}, with everything in it. Extend it to keep it: the link opens Extend.`,
          link: environmentPath(env.name, 'topology', { action: 'extend' }),
          severity: 'normal',
          topic: `environment:${env.name}:expiry`,
          scope: `environment:${env.name}:expiry`,
        },
      })
      .then(() =>
        logger.info(`warned ${env.owner} that ${env.name} expires in ${left}`),
      )
      .catch(err =>
        logger.warn(
          `could not warn ${env.owner} that ${env.name} expires: ${String(
            err,
          )}`,
        ),
      );
  }
}
