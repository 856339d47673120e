import {
  AppsV1Api,
  BatchV1Api,
  CoreV1Api,
  DiscoveryV1Api,
  Informer,
  KubeConfig,
  KubernetesObject,
  makeInformer,
} from '@kubernetes/client-node';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { MANAGED_SELECTOR } from '@archipelago/plugin-environments-common';

export type CachedKind =
  | 'pods'
  | 'deployments'
  | 'statefulsets'
  | 'cronjobs'
  | 'jobs'
  | 'services'
  | 'endpointslices'
  | 'events';

/** A namespace's objects as the cache sees them. */
export type NamespaceSnapshot = Record<CachedKind, KubernetesObject[]>;

type Listener = (namespace: string) => void;

interface Source {
  kind: CachedKind;
  path: string;
  list: () => Promise<any>;
  selector?: string;
}

/**
 * One watch-based cache per cluster, covering the objects Archipelago manages (by label) and
 * the events in their namespaces. Views read from it, so a page view costs the API server
 * nothing. Informers restart with backoff on error and re-list periodically, since informers
 * have been seen to stop silently.
 */
export class WatchCache {
  private readonly store = new Map<
    CachedKind,
    Map<string, Map<string, KubernetesObject>>
  >();
  private readonly informers: Array<{
    source: Source;
    informer: Informer<KubernetesObject>;
    failures: number;
    timer?: NodeJS.Timeout;
  }> = [];
  private readonly listeners = new Set<Listener>();
  private resyncTimer?: NodeJS.Timeout;
  private healthTimer?: NodeJS.Timeout;
  private apiReachable = true;
  private stopped = false;
  private synced = new Set<CachedKind>();
  private syncWaiters: Array<() => void> = [];

  constructor(
    readonly cluster: string,
    private readonly kc: KubeConfig,
    private readonly logger: LoggerService,
    private readonly options: {
      namespacePrefix: string;
      resyncMs?: number;
      healthCheckMs?: number;
    } = {
      namespacePrefix: 'env-',
    },
  ) {}

  async start(): Promise<void> {
    const core = this.kc.makeApiClient(CoreV1Api);
    const apps = this.kc.makeApiClient(AppsV1Api);
    const batch = this.kc.makeApiClient(BatchV1Api);
    const discovery = this.kc.makeApiClient(DiscoveryV1Api);
    const labelSelector = MANAGED_SELECTOR;
    const sources: Source[] = [
      {
        kind: 'pods',
        path: '/api/v1/pods',
        list: () => core.listPodForAllNamespaces({ labelSelector }),
        selector: labelSelector,
      },
      {
        kind: 'deployments',
        path: '/apis/apps/v1/deployments',
        list: () => apps.listDeploymentForAllNamespaces({ labelSelector }),
        selector: labelSelector,
      },
      {
        kind: 'statefulsets',
        path: '/apis/apps/v1/statefulsets',
        list: () => apps.listStatefulSetForAllNamespaces({ labelSelector }),
        selector: labelSelector,
      },
      {
        kind: 'cronjobs',
        path: '/apis/batch/v1/cronjobs',
        list: () => batch.listCronJobForAllNamespaces({ labelSelector }),
        selector: labelSelector,
      },
      {
        kind: 'jobs',
        path: '/apis/batch/v1/jobs',
        list: () => batch.listJobForAllNamespaces({ labelSelector }),
        selector: labelSelector,
      },
      {
        kind: 'services',
        path: '/api/v1/services',
        list: () => core.listServiceForAllNamespaces({ labelSelector }),
        selector: labelSelector,
      },
      // EndpointSlices carry their Service's labels.
      {
        kind: 'endpointslices',
        path: '/apis/discovery.k8s.io/v1/endpointslices',
        list: () =>
          discovery.listEndpointSliceForAllNamespaces({ labelSelector }),
        selector: labelSelector,
      },
      // Events have no labels: the cache keeps those in Archipelago's namespaces.
      {
        kind: 'events',
        path: '/api/v1/events',
        list: () => core.listEventForAllNamespaces(),
      },
    ];
    for (const source of sources) {
      this.store.set(source.kind, new Map());
      const informer = makeInformer(
        this.kc,
        source.path,
        source.list,
        source.selector,
      );
      const entry = {
        source,
        informer,
        failures: 0,
      } as (typeof this.informers)[number];
      const put = (obj: KubernetesObject) => {
        const ns = obj.metadata?.namespace ?? '';
        if (
          source.kind === 'events' &&
          !ns.startsWith(this.options.namespacePrefix)
        )
          return;
        let bucket = this.store.get(source.kind)!.get(ns);
        if (!bucket) this.store.get(source.kind)!.set(ns, (bucket = new Map()));
        bucket.set(obj.metadata?.name ?? '', obj);
        this.emit(ns);
      };
      informer.on('add', put);
      informer.on('update', put);
      informer.on('delete', obj => {
        const ns = obj.metadata?.namespace ?? '';
        this.store
          .get(source.kind)!
          .get(ns)
          ?.delete(obj.metadata?.name ?? '');
        this.emit(ns);
      });
      informer.on('connect', () => {
        entry.failures = 0;
        this.markSynced(source.kind);
      });
      informer.on('error', err => {
        if (this.stopped) return;
        entry.failures++;
        const delay = Math.min(30_000, 500 * 2 ** Math.min(entry.failures, 6));
        this.logger.warn(
          `watch of ${source.kind} on cluster ${this.cluster} failed (${String(
            err,
          )}); restarting in ${delay}ms`,
        );
        clearTimeout(entry.timer);
        entry.timer = setTimeout(() => this.restart(entry), delay);
      });
      this.informers.push(entry);
      await informer.start().catch(err => {
        this.logger.warn(
          `initial list of ${source.kind} on cluster ${
            this.cluster
          } failed: ${String(err)}`,
        );
        entry.timer = setTimeout(() => this.restart(entry), 1000);
      });
    }
    // Informers can stop silently when the API server goes away. Probe it cheaply; when it
    // answers again after failing, restart every watch with a fresh list.
    this.healthTimer = setInterval(async () => {
      try {
        // A request to a restarting API server can hang; a hung probe counts as unreachable.
        await Promise.race([
          core.getAPIResources(),
          new Promise((_, reject) =>
            setTimeout(
              () => reject(new Error('no answer in 3s')),
              3000,
            ).unref?.(),
          ),
        ]);
        if (!this.apiReachable) {
          this.apiReachable = true;
          this.logger.info(
            `API server of cluster ${this.cluster} is back; re-listing every watch`,
          );
          for (const entry of this.informers) void this.restart(entry);
        }
      } catch (e) {
        if (this.apiReachable)
          this.logger.warn(
            `API server of cluster ${this.cluster} is unreachable: ${String(
              e,
            )}`,
          );
        this.apiReachable = false;
      }
    }, this.options.healthCheckMs ?? 5000);
    this.healthTimer.unref?.();
    // Re-list periodically: a resync heals anything a silently stopped watch missed.
    const resyncMs = this.options.resyncMs ?? 5 * 60_000;
    this.resyncTimer = setInterval(() => {
      for (const entry of this.informers) this.restart(entry);
    }, resyncMs);
    this.resyncTimer.unref?.();
  }

  private async restart(entry: (typeof this.informers)[number]) {
    if (this.stopped) return;
    try {
      await entry.informer.stop();
    } catch {
      // already stopped
    }
    try {
      await entry.informer.start();
    } catch (err) {
      this.logger.warn(
        `restarting the ${entry.source.kind} watch on cluster ${
          this.cluster
        } failed: ${String(err)}`,
      );
      entry.failures++;
      clearTimeout(entry.timer);
      entry.timer = setTimeout(
        () => this.restart(entry),
        Math.min(30_000, 500 * 2 ** Math.min(entry.failures, 6)),
      );
    }
  }

  private markSynced(kind: CachedKind) {
    this.synced.add(kind);
    if (this.synced.size === this.store.size) {
      this.syncWaiters.splice(0).forEach(r => r());
    }
  }

  /** Resolves once every watch has listed at least once. */
  waitForSync(timeoutMs = 30_000): Promise<void> {
    if (this.store.size && this.synced.size === this.store.size)
      return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () =>
          reject(
            new Error(
              `watch cache of cluster ${this.cluster} did not sync in ${timeoutMs}ms`,
            ),
          ),
        timeoutMs,
      );
      this.syncWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.resyncTimer);
    clearInterval(this.healthTimer);
    for (const e of this.informers) {
      clearTimeout(e.timer);
      await e.informer.stop().catch(() => undefined);
    }
  }

  /** Everything cached for a namespace. */
  snapshot(namespace: string): NamespaceSnapshot {
    const out = {} as NamespaceSnapshot;
    for (const [kind, byNs] of this.store) {
      out[kind] = [...(byNs.get(namespace)?.values() ?? [])];
    }
    return out;
  }

  /** Called (debounced by the caller) whenever something in a namespace changes. */
  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(namespace: string) {
    for (const l of this.listeners) {
      try {
        l(namespace);
      } catch (e) {
        this.logger.warn(`watch cache listener failed: ${String(e)}`);
      }
    }
  }
}
