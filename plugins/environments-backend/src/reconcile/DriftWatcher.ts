/*
 * Level-triggered reconcile. Whenever the watch cache sees a change in an environment's
 * namespace, and on a periodic resync, the desired state is rendered again and compared with
 * what the cache holds. Where they differ, a `repair` operation is queued: it runs through the
 * same path as every other operation (render, apply, prune, wait) and shows in History, so
 * nobody wonders why something changed.
 *
 * Left alone: destroyed environments, environments with an operation under way (it converges
 * them anyway), fully stopped environments, and environments whose last operation failed (a
 * person must act; repeating the failure would only hide it).
 */
import type { LoggerService } from '@backstage/backend-plugin-api';
import { renderEnvironment } from '../render/render';
import type {
  EnvironmentRecord,
  EnvironmentStore,
  OperationRecord,
} from '../store/EnvironmentStore';
import { detectDrift } from './drift';
import { EnvironmentTrigger } from '../observe/EnvironmentTrigger';
import type { Cluster, Reconciler } from './Reconciler';

export interface DriftWatcherOptions {
  /** Environments' namespaces are this prefix and their name. */
  namespacePrefix: string;
  /** How often every environment is compared, whatever the watch saw. */
  resyncMs: number;
  /** Quiet time after a change before comparing (changes come in bursts). */
  debounceMs?: number;
  /** After an operation finishes, the cache may still be catching up: wait this long. */
  settleMs?: number;
}

export class DriftWatcher {
  /** The drift a repair last tried to fix, per environment: the same again is not retried. */
  private readonly lastRepaired = new Map<string, string>();
  private readonly trigger: EnvironmentTrigger;

  constructor(
    private readonly store: EnvironmentStore,
    private readonly reconciler: Reconciler,
    private readonly clusters: Map<string, Cluster>,
    private readonly logger: LoggerService,
    private readonly options: DriftWatcherOptions,
    private readonly onQueued: (op: OperationRecord) => void,
  ) {
    this.trigger = new EnvironmentTrigger({
      store,
      clusters,
      logger,
      namespacePrefix: options.namespacePrefix,
      what: 'drift check',
      sweepMs: options.resyncMs,
      debounceMs: options.debounceMs ?? 1000,
      check: async env => {
        await this.checkEnv(env);
      },
    });
  }

  start() {
    this.trigger.start();
  }

  stop() {
    this.trigger.stop();
  }

  /** Compares one environment and queues a repair when it drifted; returns the drift. */
  async checkEnv(env: EnvironmentRecord): Promise<string[]> {
    if (!this.trigger.running || env.destroyedAt) return [];
    const cluster = this.clusters.get(env.cluster);
    // Before the cache has listed everything, everything would look deleted.
    if (!cluster?.cache.isSynced()) return [];
    if (
      env.stopped.length >= env.spec.services.length &&
      env.spec.services.length
    )
      return [];
    const [latest] = await this.store.queue.listOperations(env.id, 1);
    if (!latest || latest.status === 'pending' || latest.status === 'running')
      return [];
    if (latest.status === 'failed') return [];
    const settle = this.options.settleMs ?? 2000;
    const finished = latest.finishedAt ? Date.parse(latest.finishedAt) : 0;
    if (Date.now() - finished < settle) {
      this.trigger.schedule(env.name, settle - (Date.now() - finished) + 100);
      return [];
    }
    const desired = renderEnvironment(await this.reconciler.renderInput(env));
    const drift = detectDrift(desired, cluster.cache.snapshot(env.namespace));
    if (!drift.length) {
      this.lastRepaired.delete(env.name);
      return [];
    }
    const signature = `${env.revision}:${drift.join('\n')}`;
    if (
      latest.type === 'repair' &&
      this.lastRepaired.get(env.name) === signature
    ) {
      // A repair just ran and the same difference remains: something keeps it that way
      // (an admission webhook, a controller). Repeating would loop; say so once.
      this.logger.warn(
        `environment ${env.name} still differs after a repair: ${drift.join(
          '; ',
        )}`,
      );
      return drift;
    }
    const op = await this.store.requestRepair(env.name, drift);
    if (op) {
      this.lastRepaired.set(env.name, signature);
      this.logger.info(
        `environment ${env.name} drifted (${drift.join('; ')}); queued repair ${
          op.id
        }`,
      );
      this.onQueued(op);
    }
    return drift;
  }
}
