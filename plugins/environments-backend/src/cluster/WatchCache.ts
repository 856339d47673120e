import { KubeConfig, KubernetesObject, Watch } from '@kubernetes/client-node';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { MANAGED_SELECTOR } from '@archipelago/plugin-environments-common';
import { setTimeout as delay } from 'node:timers/promises';
import { ENVIRONMENT_RESOURCES } from '../render/render';
import { KubeHttp, RequestLimiter } from './KubeHttp';
import { foreignEntries } from './foreignFields';
import { KubeApiError, errorMessage } from '../errors';
import {
  RESOURCES,
  ResourceName,
  ResourceType,
  resourceOf,
  resourcePath,
} from './resources';

/** The bucket an object is kept in: its namespace, or for a Namespace, its own name. */
const bucketOf = (kind: CachedKind, obj: KubernetesObject) =>
  (kind === 'namespaces' ? obj.metadata?.name : obj.metadata?.namespace) ?? '';

/**
 * What the cache watches: every resource an environment's objects can be of (the drivers',
 * discovery's and the namespace's), plus pods, their endpoint slices and events.
 */
export const CACHED_RESOURCES: readonly ResourceName[] = [
  ...new Set<ResourceName>([
    'namespaces',
    'pods',
    'endpointslices',
    'events',
    // Islands own their Pods: once in this list is once watched.
    ...ENVIRONMENT_RESOURCES,
  ]),
];
export type CachedKind = ResourceName;

/** A namespace's objects as the cache sees them (empty lists for what it does not watch). */
export type NamespaceSnapshot = Record<ResourceName, KubernetesObject[]>;

/** The cached object that stands for a manifest (same resource and name), if any. */
export function observedObject(
  snapshot: NamespaceSnapshot,
  m: { apiVersion?: string; kind?: string; metadata?: { name?: string } },
): KubernetesObject | undefined {
  const r = resourceOf(m);
  return r
    ? snapshot[r.name].find(o => o.metadata?.name === m.metadata?.name)
    : undefined;
}

/** A snapshot of a namespace that holds nothing (a destroyed environment's, say). */
export function emptySnapshot(): NamespaceSnapshot {
  return Object.fromEntries(
    Object.keys(RESOURCES).map(k => [k, []]),
  ) as unknown as NamespaceSnapshot;
}

type Listener = (namespace: string) => void;

interface Source {
  kind: CachedKind;
  path: string;
  /** One page of the kind's list, from a continue token (none: the first page). */
  list: (from?: string) => Promise<{
    items: KubernetesObject[];
    metadata?: { resourceVersion?: string; continue?: string };
  }>;
  labelSelector?: string;
  fieldSelector?: string;
}

/** Objects per page of a list (client-go's reflector asks for 500). */
const LIST_PAGE_SIZE = 500;

/** Pods that hold resources: not finished. */
const UNFINISHED_PODS = 'status.phase!=Succeeded,status.phase!=Failed';

/**
 * What the capacity cache keeps of a node or a pod: what it offers or requests, never more
 * (the capacity cache holds every pod of the cluster).
 */
function capacityProjection(
  kind: CachedKind,
  obj: KubernetesObject,
): KubernetesObject {
  const o = obj as any;
  const metadata = {
    name: o.metadata?.name,
    namespace: o.metadata?.namespace,
    uid: o.metadata?.uid,
    resourceVersion: o.metadata?.resourceVersion,
  };
  if (kind === 'services')
    return {
      metadata,
      spec: { clusterIP: o.spec?.clusterIP, clusterIPs: o.spec?.clusterIPs },
    } as KubernetesObject;
  if (kind === 'servicecidrs')
    return { metadata, spec: { cidrs: o.spec?.cidrs } } as KubernetesObject;
  if (kind === 'nodes')
    return {
      metadata,
      spec: { unschedulable: o.spec?.unschedulable },
      status: {
        allocatable: o.status?.allocatable,
        conditions: (o.status?.conditions ?? [])
          .filter((c: any) => c.type === 'Ready')
          .map((c: any) => ({ type: c.type, status: c.status })),
      },
    } as KubernetesObject;
  return {
    metadata,
    spec: {
      containers: (o.spec?.containers ?? []).map((c: any) => ({
        resources: { requests: c.resources?.requests },
      })),
    },
    status: { phase: o.status?.phase },
  } as KubernetesObject;
}

/**
 * What the environments cache keeps of an Event (core/v1 or events.k8s.io/v1 shape): what the
 * events view shows (status/derive.ts eventViews), never more. Events are most of the objects
 * of a busy namespace, and their source, series, managedFields and regarding uid are unread.
 */
export function eventProjection(obj: KubernetesObject): KubernetesObject {
  const e = obj as any;
  const involved = e.involvedObject ?? e.regarding;
  return {
    metadata: {
      name: e.metadata?.name,
      namespace: e.metadata?.namespace,
      uid: e.metadata?.uid,
      resourceVersion: e.metadata?.resourceVersion,
      creationTimestamp: e.metadata?.creationTimestamp,
    },
    type: e.type,
    reason: e.reason,
    message: e.message ?? e.note,
    involvedObject: involved && { kind: involved.kind, name: involved.name },
    count: e.count ?? e.series?.count,
    lastTimestamp: e.lastTimestamp ?? e.eventTime ?? undefined,
  } as KubernetesObject;
}

/**
 * An object as the environments cache keeps it: of its managedFields, only the entries of
 * other writers (foreignEntries), which is all a repair reads. Our own apply's and the
 * cluster's entries are most of an object's size, and the cache holds every object of every
 * environment.
 */
export function withoutOwnManagedFields(
  obj: KubernetesObject,
): KubernetesObject {
  const managed = obj.metadata?.managedFields;
  if (!managed?.length) return obj;
  const foreign = foreignEntries(obj);
  if (foreign.length === managed.length) return obj;
  const { managedFields: _all, ...metadata } = obj.metadata!;
  return {
    ...obj,
    metadata: foreign.length
      ? { ...metadata, managedFields: foreign as typeof managed }
      : metadata,
  };
}

export interface WatchCacheOptions {
  namespacePrefix: string;
  /**
   * How long the API server keeps one watch open before it ends it and the cache watches again
   * from where it was (jittered by up to a third). Default 60 s.
   */
  watchSeconds?: number;
  /**
   * A watch that says nothing (no event, no bookmark, no end) for this long is presumed dead:
   * the cache drops it and lists again. Default: watchSeconds + 30 s.
   */
  idleMs?: number;
  /** Objects per page of a list (500). */
  listPageSize?: number;
  /** A list (all its pages) that has not answered in this long failed. Default 30 s. */
  listTimeoutMs?: number;
  /** The longest pause between retries while the API server is away. Default 30 s. */
  retryMaxMs?: number;
  /**
   * `capacity`: instead of Archipelago's objects, every node, unfinished pod and Service of
   * the cluster and its Service IP ranges, reduced to what they offer and take (see
   * capacity/capacity.ts).
   */
  mode?: 'environments' | 'capacity';
  /** The cluster's request limiter: lists take a slot like any other request. */
  limiter?: RequestLimiter;
}

/** Counters for health checks and tests. */
export interface WatchCacheStats {
  lists: number;
  watches: number;
  failures: number;
  reachable: boolean;
  /** Since when a watch has been failing, while one is. */
  unreachableSince?: string;
  /** The last failure, while a watch is failing. */
  lastError?: string;
  /** Every kind has been listed once. */
  synced: boolean;
  /** Objects the cache holds now. */
  objects: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  delay(ms, undefined, { signal }).catch(() => undefined);

/**
 * One watch-based cache per cluster, covering the objects Archipelago manages (by label) and
 * the events in their namespaces. Views read from it, so a page view costs the API server
 * nothing.
 *
 * Each kind runs its own reflector loop: list, then watch from the list's resourceVersion with
 * bookmarks, watch again from the last resourceVersion seen when the server ends the watch, and
 * list again after any failure (so nothing that changed while the API server was away is
 * missed). A watch that goes silent for longer than the server's own timeout is presumed dead
 * and dropped; this is what heals a watch opened against an API server that was restarting.
 */
export class WatchCache {
  private readonly store = new Map<
    CachedKind,
    Map<string, Map<string, KubernetesObject>>
  >();
  private readonly listeners = new Set<Listener>();
  /** Snapshots handed out since their namespace last changed. */
  private readonly snapshots = new Map<string, NamespaceSnapshot>();
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private synced = new Set<CachedKind>();
  private syncWaiters: Array<() => void> = [];
  private kinds = 0;
  private readonly failing = new Set<CachedKind>();
  private failingSince?: Date;
  private lastError?: string;
  private readonly counters = { lists: 0, watches: 0, failures: 0 };

  constructor(
    readonly cluster: string,
    private readonly kc: KubeConfig,
    private readonly logger: LoggerService,
    private readonly options: WatchCacheOptions = { namespacePrefix: 'env-' },
  ) {}

  async start(): Promise<void> {
    const http = new KubeHttp(this.kc, this.options.limiter);
    const capacity = this.options.mode === 'capacity';
    const kinds: readonly CachedKind[] = capacity
      ? ['nodes', 'pods', 'services', 'servicecidrs']
      : CACHED_RESOURCES;
    const sources: Source[] = kinds.map(kind => {
      const path = resourcePath(RESOURCES[kind]);
      // Events have no labels: the cache keeps those in Archipelago's namespaces.
      // EndpointSlices carry their Service's labels.
      const labelSelector =
        capacity || kind === 'events' ? undefined : MANAGED_SELECTOR;
      const fieldSelector =
        capacity && kind === 'pods' ? UNFINISHED_PODS : undefined;
      return {
        kind,
        path,
        labelSelector,
        fieldSelector,
        list: (from?: string) =>
          http.request('GET', path, {
            query: {
              labelSelector,
              fieldSelector,
              limit: this.options.listPageSize ?? LIST_PAGE_SIZE,
              continue: from,
            },
            timeoutMs: this.options.listTimeoutMs ?? 30_000,
          }),
      };
    });
    this.kinds = sources.length;
    for (const source of sources) {
      this.store.set(source.kind, new Map());
      this.snapshots.clear();
      this.loops.push(this.reflect(source));
    }
  }

  /** While a watch is failing: since when, and its last error (cheap: no counting). */
  unreachable(): { since: string; error?: string } | undefined {
    return this.failing.size && this.failingSince
      ? { since: this.failingSince.toISOString(), error: this.lastError }
      : undefined;
  }

  /** Counters: lists and watches made, failures, and whether every kind's last call worked. */
  stats(): WatchCacheStats {
    let objects = 0;
    for (const kind of this.store.values())
      for (const bucket of kind.values()) objects += bucket.size;
    return {
      ...this.counters,
      reachable: this.failing.size === 0,
      ...(this.unreachable() && {
        unreachableSince: this.unreachable()!.since,
        lastError: this.unreachable()!.error,
      }),
      synced: this.isSynced(),
      objects,
    };
  }

  /** What the cache stores of an object. */
  private kept(kind: CachedKind, obj: KubernetesObject): KubernetesObject {
    if (this.options.mode === 'capacity') return capacityProjection(kind, obj);
    if (kind === 'events') return eventProjection(obj);
    return withoutOwnManagedFields(obj);
  }

  private keep(kind: CachedKind, obj: KubernetesObject) {
    return (
      kind !== 'events' ||
      (obj.metadata?.namespace ?? '').startsWith(this.options.namespacePrefix)
    );
  }

  private async reflect(source: Source): Promise<void> {
    const signal = this.abort.signal;
    const retryMaxMs = this.options.retryMaxMs ?? 30_000;
    let resourceVersion = '';
    let failures = 0;
    while (!signal.aborted) {
      try {
        if (!resourceVersion) {
          resourceVersion = await this.list(source).catch(async e => {
            // A CRD-based kind this cluster does not serve holds nothing: look again now
            // and then, in case its CRD is installed later.
            if (!(e instanceof KubeApiError && e.code === 404)) throw e;
            if (!(RESOURCES[source.kind] as ResourceType).optional) throw e;
            this.store.set(source.kind, new Map());
            this.snapshots.clear();
            this.markSynced(source.kind);
            this.failing.delete(source.kind);
            await sleep(60_000, signal);
            return '';
          });
          if (!resourceVersion) continue;
          this.markSynced(source.kind);
          if (this.failing.delete(source.kind)) {
            this.logger.info(
              `watch of ${source.kind} on cluster ${this.cluster} recovered after ${failures} failure(s)`,
            );
          }
        }
        resourceVersion = await this.watch(source, resourceVersion);
        // Only a watch that ran its course resets the backoff.
        failures = 0;
      } catch (err) {
        if (signal.aborted) return;
        // List again after any failure: whatever changed meanwhile was not seen.
        resourceVersion = '';
        failures++;
        this.counters.failures++;
        if (!this.failing.size) this.failingSince = new Date();
        this.failing.add(source.kind);
        this.lastError = errorMessage(err).slice(0, 500);
        const pause = Math.min(retryMaxMs, 250 * 2 ** Math.min(failures, 8));
        if (failures === 1 || failures % 10 === 0) {
          this.logger.warn(
            `watch of ${source.kind} on cluster ${
              this.cluster
            } failed (${String(
              err,
            )}); listing again in ${pause}ms (failure ${failures})`,
          );
        }
        await sleep(pause, signal);
      }
    }
  }

  /** Lists a kind, replaces what the cache holds for it, and returns the list's resourceVersion. */
  private async list(source: Source): Promise<string> {
    const timeoutMs = this.options.listTimeoutMs ?? 30_000;
    this.counters.lists++;
    // In pages, as client-go's reflector lists: each page is kept (projected) before the next
    // is asked for, so a list of ten thousand pods never sits in memory whole, as one answer
    // and its parse. Every page comes from the first one's snapshot; an expired continue
    // token fails the list, which starts again.
    const fresh = new Map<string, Map<string, KubernetesObject>>();
    let resourceVersion = '';
    let from: string | undefined;
    const deadline = Date.now() + timeoutMs;
    const pageOf = (token: string | undefined) => {
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([
        source.list(token),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`list did not answer in ${timeoutMs}ms`)),
            Math.max(0, deadline - Date.now()),
          );
        }),
      ]).finally(() => clearTimeout(timer));
    };
    do {
      const page = await pageOf(from);
      for (const obj of page.items ?? []) {
        if (!this.keep(source.kind, obj)) continue;
        const ns = bucketOf(source.kind, obj);
        let bucket = fresh.get(ns);
        if (!bucket) fresh.set(ns, (bucket = new Map()));
        bucket.set(obj.metadata?.name ?? '', this.kept(source.kind, obj));
      }
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      from = page.metadata?.continue || undefined;
    } while (from);
    const old = this.store.get(source.kind)!;
    const changed = new Set<string>();
    for (const ns of new Set([...old.keys(), ...fresh.keys()])) {
      const a = old.get(ns) ?? new Map();
      const b = fresh.get(ns) ?? new Map();
      if (
        a.size !== b.size ||
        [...b].some(
          ([name, obj]) =>
            a.get(name)?.metadata?.resourceVersion !==
            obj.metadata?.resourceVersion,
        )
      ) {
        changed.add(ns);
      }
    }
    this.store.set(source.kind, fresh);
    changed.forEach(ns => this.emit(ns));
    return resourceVersion;
  }

  /**
   * Watches a kind from a resourceVersion until the server ends the watch; resolves with the
   * last resourceVersion seen, or '' when the server says it is too old to resume from.
   */
  private watch(source: Source, from: string): Promise<string> {
    const watchSeconds = this.options.watchSeconds ?? 60;
    const seconds = Math.round(watchSeconds * (1 + Math.random() / 3));
    const idleMs = this.options.idleMs ?? (seconds + 30) * 1000;
    let resourceVersion = from;
    this.counters.watches++;
    return new Promise<string>((resolve, reject) => {
      let settled = false;
      let controller: AbortController | undefined;
      let idle: NodeJS.Timeout | undefined;
      const unsubscribe = new AbortController();
      const finish = (err?: unknown) => {
        if (settled) return;
        settled = true;
        clearTimeout(idle);
        unsubscribe.abort();
        controller?.abort();
        if (err) reject(err);
        else resolve(resourceVersion);
      };
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(
          () =>
            finish(
              new Error(
                `the watch said nothing for ${idleMs}ms; presumed dead`,
              ),
            ),
          idleMs,
        );
      };
      this.abort.signal.addEventListener('abort', () => finish(), {
        signal: unsubscribe.signal,
      });
      arm();
      new Watch(this.kc)
        .watch(
          source.path,
          {
            resourceVersion: from,
            allowWatchBookmarks: true,
            timeoutSeconds: seconds,
            ...(source.labelSelector
              ? { labelSelector: source.labelSelector }
              : {}),
            ...(source.fieldSelector
              ? { fieldSelector: source.fieldSelector }
              : {}),
          },
          (type: string, obj: any) => {
            if (settled) return;
            arm();
            if (type === 'ERROR') {
              // 410 Gone: too old to resume from; list again without counting it a failure.
              if (obj?.code === 410) {
                resourceVersion = '';
                finish();
              } else {
                finish(new Error(obj?.message ?? 'watch error'));
              }
              return;
            }
            resourceVersion = obj?.metadata?.resourceVersion ?? resourceVersion;
            if (type === 'BOOKMARK' || !this.keep(source.kind, obj)) return;
            const ns = bucketOf(source.kind, obj);
            const byNs = this.store.get(source.kind)!;
            let bucket = byNs.get(ns);
            if (type === 'DELETED') {
              bucket?.delete(obj.metadata?.name ?? '');
            } else {
              if (!bucket) byNs.set(ns, (bucket = new Map()));
              bucket.set(obj.metadata?.name ?? '', this.kept(source.kind, obj));
            }
            this.emit(ns);
          },
          (err: unknown) => finish(err ?? undefined),
        )
        .then(
          c => {
            controller = c;
            if (settled) c.abort();
          },
          err => finish(err),
        );
    });
  }

  private markSynced(kind: CachedKind) {
    this.synced.add(kind);
    if (this.synced.size === this.kinds) {
      this.syncWaiters.splice(0).forEach(r => r());
    }
  }

  /** Whether every kind has listed at least once and its last call worked. */
  isSynced(): boolean {
    return (
      this.kinds > 0 &&
      this.synced.size === this.kinds &&
      this.failing.size === 0
    );
  }

  /** Resolves once every kind has listed at least once. */
  waitForSync(timeoutMs = 30_000): Promise<void> {
    if (this.kinds && this.synced.size === this.kinds) return Promise.resolve();
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
    this.abort.abort();
    await Promise.all(this.loops);
  }

  /** Everything cached for a namespace. */
  /**
   * What the cache holds of a namespace. The same object until the namespace changes, so
   * what is derived from it can be kept with it (see derivedFrom); its lists are frozen.
   */
  snapshot(namespace: string): NamespaceSnapshot {
    const kept = this.snapshots.get(namespace);
    if (kept) return kept;
    const out = emptySnapshot();
    for (const [kind, byNs] of this.store) {
      out[kind] = Object.freeze([
        ...(byNs.get(namespace)?.values() ?? []),
      ]) as KubernetesObject[];
    }
    this.snapshots.set(namespace, out);
    return out;
  }

  /** Every cached object of a kind, in every namespace. */
  all(kind: CachedKind): KubernetesObject[] {
    return [...(this.store.get(kind)?.values() ?? [])].flatMap(b => [
      ...b.values(),
    ]);
  }

  /** Called (debounced by the caller) whenever something in a namespace changes. */
  /**
   * Resolves when something in the namespace changes, or after timeoutMs, or when signal
   * aborts: a wait for pods is woken by their watch events instead of polling the cache.
   */
  changed(
    namespace: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    return new Promise<void>(resolve => {
      const cleanup: Array<() => void> = [];
      const done = () => {
        cleanup.forEach(c => c());
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      cleanup.push(() => clearTimeout(timer));
      cleanup.push(
        this.onChange(ns => {
          if (ns === namespace) done();
        }),
      );
      signal?.addEventListener('abort', done);
      cleanup.push(() => signal?.removeEventListener('abort', done));
    });
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(namespace: string) {
    this.snapshots.delete(namespace);
    for (const l of this.listeners) {
      try {
        l(namespace);
      } catch (e) {
        this.logger.warn(`watch cache listener failed: ${String(e)}`);
      }
    }
  }
}

const derived = new WeakMap<NamespaceSnapshot, Map<string, unknown>>();

/**
 * A value computed from a snapshot, computed once per snapshot: reading an unchanged
 * environment again (its page, a list, a sweep) costs a lookup.
 */
export function derivedFrom<T>(
  snapshot: NamespaceSnapshot,
  key: string,
  compute: () => T,
): T {
  let values = derived.get(snapshot);
  if (!values) derived.set(snapshot, (values = new Map()));
  if (!values.has(key)) values.set(key, compute());
  return values.get(key) as T;
}
