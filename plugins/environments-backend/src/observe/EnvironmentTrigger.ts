/*
 * Runs a check of an environment when something changes in its namespace (debounced, since
 * changes come in bursts), when asked to, and for every environment on a periodic sweep.
 * The Observer (status, registry, signals) and the DriftWatcher (repairs) both run on it.
 */
import type { LoggerService } from '@backstage/backend-plugin-api';
import type {
  EnvironmentRecord,
  EnvironmentStore,
} from '../store/EnvironmentStore';
import type { Cluster } from '../reconcile/Reconciler';

export interface EnvironmentTriggerOptions {
  store: Pick<EnvironmentStore, 'listEnvironments' | 'getEnvironment'>;
  clusters: Map<string, Cluster>;
  logger: LoggerService;
  /** Environments' namespaces are this prefix and their name. */
  namespacePrefix: string;
  /** What the check is, for log lines ("observing", "drift check"). */
  what: string;
  sweepMs: number;
  debounceMs: number;
  check: (env: EnvironmentRecord) => Promise<void>;
  /**
   * Checks every environment of a sweep at once, when one query for all of them is cheaper
   * than one each (the Observer's operations). Default: check each.
   */
  checkMany?: (envs: EnvironmentRecord[]) => Promise<void>;
}

export class EnvironmentTrigger {
  private readonly pending = new Map<string, NodeJS.Timeout>();
  private readonly nsToName = new Map<string, string>();
  private readonly unsubscribe: Array<() => void> = [];
  private sweep?: NodeJS.Timeout;
  private stopped = true;

  constructor(private readonly options: EnvironmentTriggerOptions) {}

  start() {
    this.stopped = false;
    const { clusters, namespacePrefix, sweepMs } = this.options;
    for (const cluster of clusters.values()) {
      this.unsubscribe.push(
        cluster.cache.onChange(ns => {
          const name =
            this.nsToName.get(ns) ??
            (ns.startsWith(namespacePrefix)
              ? ns.slice(namespacePrefix.length)
              : undefined);
          if (name) this.schedule(name);
        }),
      );
    }
    this.sweep = setInterval(() => void this.checkAll(), sweepMs);
    this.sweep.unref?.();
    void this.checkAll();
  }

  stop() {
    this.stopped = true;
    this.unsubscribe.splice(0).forEach(u => u());
    clearInterval(this.sweep);
    this.pending.forEach(t => clearTimeout(t));
    this.pending.clear();
  }

  get running() {
    return !this.stopped;
  }

  /** Checks an environment soon; a check already scheduled stands. */
  schedule(name: string, delayMs = this.options.debounceMs) {
    if (this.stopped || this.pending.has(name)) return;
    const t = setTimeout(() => {
      this.pending.delete(name);
      void this.check(name);
    }, delayMs);
    t.unref?.();
    this.pending.set(name, t);
  }

  async checkAll() {
    if (this.stopped) return;
    try {
      const envs = await this.options.store.listEnvironments({});
      for (const e of envs) this.nsToName.set(e.namespace, e.name);
      if (this.options.checkMany) await this.options.checkMany(envs);
      else await Promise.all(envs.map(e => this.run(e)));
    } catch (e) {
      this.options.logger.warn(
        `${this.options.what} sweep failed: ${String(e)}`,
      );
    }
  }

  async check(name: string) {
    if (this.stopped) return;
    try {
      const env = await this.options.store.getEnvironment(name);
      if (env) await this.run(env);
    } catch (e) {
      this.options.logger.warn(
        `${this.options.what} of ${name} failed: ${String(e)}`,
      );
    }
  }

  private async run(env: EnvironmentRecord) {
    if (this.stopped) return;
    this.nsToName.set(env.namespace, env.name);
    try {
      await this.options.check(env);
    } catch (e) {
      this.options.logger.warn(
        `${this.options.what} of ${env.name} failed: ${String(e)}`,
      );
    }
  }
}
