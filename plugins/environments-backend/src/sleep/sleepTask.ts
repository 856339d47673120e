/*
 * Sleep (issue #15): an environment nobody has used for its purpose's sleepAfter is stopped
 * and marked asleep; a start wakes it. "Used" is an operation asked by a person, a read of its
 * logs, or a keystroke in one of its terminals. The stop is an ordinary stop operation on the
 * one desired-state path, so volumes, config and the spec stay as they were.
 */
import type {
  LoggerService,
  SchedulerService,
} from '@backstage/backend-plugin-api';
import type { NotificationService } from '@backstage/plugin-notifications-node';
import {
  environmentPath,
  parseDuration,
} from '@archipelago/plugin-environments-common';
import type {
  EnvironmentRecord,
  EnvironmentStore,
} from '../store/EnvironmentStore';
import type { EnvironmentsConfig } from '../config';
import type { EnvironmentsService } from '../service/EnvironmentsService';
import { timeLeft } from '../alerts/rules';

/** Who asks for a sleep's stop (system:* operations do not count as use). */
export const SLEEP_ACTOR = 'system:archipelago-sleep';

export interface SleepOptions {
  store: EnvironmentStore;
  service: EnvironmentsService;
  logger: LoggerService;
  config: EnvironmentsConfig;
  notifications?: NotificationService;
  now?: Date;
}

export async function scheduleSleep(
  options: SleepOptions & { scheduler: SchedulerService; everySeconds: number },
) {
  await options.scheduler.scheduleTask({
    id: 'environments-sleep',
    scope: 'global',
    frequency: { seconds: options.everySeconds },
    timeout: { minutes: 5 },
    initialDelay: { seconds: 10 },
    fn: async () => {
      await putToSleep(options);
    },
  });
}

/**
 * Stops and marks asleep every environment unused for its sleepAfter (its spec's, else its
 * purpose's); returns their names.
 */
export async function putToSleep(options: SleepOptions): Promise<string[]> {
  const { store, service, logger, config, notifications } = options;
  // An environment's own sleepAfter wins over its purpose's.
  const windowOf = (env: EnvironmentRecord) => {
    const own = env.spec.sleepAfter;
    if (own !== undefined) return parseDuration(own) ?? 0;
    return (
      config.purposes[env.spec.purpose as keyof typeof config.purposes]
        ?.sleepAfterSeconds ?? 0
    );
  };
  const now = options.now ?? new Date();
  const slept: string[] = [];
  // The shortest sleepAfter any environment can have: 1m.
  for (const env of await store.listSleepy(windowOf, 60, now)) {
    const running = env.spec.services
      .map(s => s.name)
      .filter(s => !env.stopped.includes(s));
    // Nothing runs: nothing to save, and nothing for a start to wake.
    if (!running.length) continue;
    // One replica wins; the others see it asleep.
    if (!(await store.claimSleep(env.id, running, now))) continue;
    const idle = timeLeft(now.getTime() - env.idleSince.getTime());
    try {
      await service.requestOperation(
        env.name,
        { type: 'stop', services: running },
        SLEEP_ACTOR,
      );
    } catch (e) {
      await store.wake(env.id);
      logger.warn(`could not put ${env.name} to sleep: ${String(e)}`);
      continue;
    }
    slept.push(env.name);
    logger.info(
      `${env.name} is asleep: unused for ${idle}; stopped ${running.join(
        ', ',
      )}`,
    );
    await notifications
      ?.send({
        recipients: { type: 'entity', entityRef: env.owner },
        payload: {
          title: `Environment ${env.name} is asleep`,
          description: `Nobody used it for ${idle}, so ${running.join(
            ', ',
          )} stopped. Its volumes and config are kept: start it to wake it.`,
          link: environmentPath(env.name),
          severity: 'low',
          topic: `environment:${env.name}:sleep`,
          scope: `environment:${env.name}:sleep`,
        },
      })
      .catch(err =>
        logger.warn(
          `could not tell ${env.owner} that ${env.name} sleeps: ${String(err)}`,
        ),
      );
  }
  return slept;
}
