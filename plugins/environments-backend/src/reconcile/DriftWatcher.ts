/*
 * Level-triggered reconcile. Whenever the watch cache sees a change in an environment's
 * namespace, and on a periodic resync, the desired state is rendered again and compared with
 * what the cache holds. Where they differ, a `repair` operation is queued: it runs through the
 * same path as every other operation (render, apply, prune, wait) and shows in History, so
 * nobody wonders why something changed.
 *
 * Left alone: destroyed environments, environments with an operation under way (it converges
 * them anyway), fully stopped environments, and environments whose last operation failed (a
 * person must act; repeating the failure would only hide it). The same drift right after its
 * repair is repaired again after a growing pause, so a fight with another writer stays bounded.
 */
import type { LoggerService } from '@backstage/backend-plugin-api';
import { manifestKey, renderEnvironment } from '../render/render';
import type {
  EnvironmentRecord,
  EnvironmentStore,
  OperationRecord,
} from '../store/EnvironmentStore';
import { detectDrift } from './drift';
import { EnvironmentTrigger } from '../observe/EnvironmentTrigger';
import { Cluster, Reconciler, createOnlyKeys } from './Reconciler';
import { islandsAlreadyLaunched } from '../workloads/island';

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
  /**
   * The drift a repair last tried to fix, per environment, and how often in a row. The same
   * drift again is repaired again, after a backoff (someone keeps scaling by hand, or a
   * controller fights the repair): 10 s, 20 s, 40 s, … up to the resync interval.
   */
  private readonly lastRepaired = new Map<
    string,
    { signature: string; count: number }
  >();
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
    const input = await this.reconciler.renderInput(env);
    // An island whose Pod exited or went away stays down: its absence is not drift.
    const rendered = renderEnvironment(input);
    const launched = islandsAlreadyLaunched(input, rendered);
    const desired = rendered.filter(m => !launched.has(manifestKey(m)));
    const drift = detectDrift(
      desired,
      cluster.cache.snapshot(env.namespace),
      createOnlyKeys(input, desired),
    );
    if (!drift.length) {
      this.lastRepaired.delete(env.name);
      return [];
    }
    const signature = `${env.revision}:${drift.join('\n')}`;
    const last = this.lastRepaired.get(env.name);
    const again = latest.type === 'repair' && last?.signature === signature;
    if (again) {
      const backoff = Math.min(
        this.options.resyncMs,
        10_000 * 2 ** Math.min(last.count - 1, 10),
      );
      const wait = finished + backoff - Date.now();
      if (wait > 0) {
        this.trigger.schedule(env.name, wait + 100);
        return drift;
      }
      this.logger.warn(
        `environment ${env.name} drifted the same way again after a repair (${
          last.count
        } in a row): ${drift.join('; ')}`,
      );
    }
    const op = await this.store.requestRepair(env.name, drift);
    if (op) {
      this.lastRepaired.set(env.name, {
        signature,
        count: again ? last!.count + 1 : 1,
      });
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
