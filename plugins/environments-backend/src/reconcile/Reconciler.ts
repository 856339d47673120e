/*
 * The one reconcile path. Every mutation recorded an operation against the environment's
 * desired state (a revision with its pinned services, plus stopped and restarted services);
 * executing any of them, a drift repair included, is the same: render, check capacity, apply,
 * prune, wait for readiness, record. Destroy and expire delete and verify instead.
 */
import {
  OperationStep,
  ResolvedService,
  SERVICE_LABEL,
  VERSION_LABEL,
  describeFieldErrors,
  parseCpu,
  parseMemory,
  resolveServices,
} from '@archipelago/plugin-environments-common';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ClusterClient } from '../cluster/ClusterClient';
import { resourceOf } from '../cluster/resources';
import {
  NamespaceSnapshot,
  WatchCache,
  observedObject,
} from '../cluster/WatchCache';
import type { EnvironmentsConfig } from '../config';
import {
  ClusterUnavailableError,
  PermanentError,
  TransientError,
} from '../errors';
import { fits, sum, type FitResult } from '../capacity/fits';
import { capacityOf, serviceIPsOf } from '../capacity/capacity';
import {
  Manifest,
  RenderInput,
  RenderIsland,
  manifestKey,
  renderEnvironment,
} from '../render/render';
import {
  ISLAND_LABEL,
  islandsAlreadyLaunched,
  islandPodsToReplace,
  islandsSeenRunning,
  islandsToMarkLaunched,
  previousLaunchesToKeep,
} from '../workloads/island';
import type {
  EnvironmentRecord,
  EnvironmentStore,
  OperationRecord,
} from '../store/EnvironmentStore';
import { deriveStatus } from '../status/derive';
import { versionsLeaving } from '../releases/retire';
import { tracksOf } from '../releases/render';
import { DRIVERS, driverFor } from '../workloads';
import { fallbacksOf } from '../bases/chain';

export { PermanentError } from '../errors';

/** What one pod requests, for the capacity check. */
function podAmounts(p: any) {
  const total = (pick: (c: any) => number) =>
    (p.spec?.containers ?? []).reduce((n: number, c: any) => n + pick(c), 0);
  return {
    pods: 1,
    cpuMillis: total(c => parseCpu(c.resources?.requests?.cpu ?? '') ?? 0),
    memoryBytes: total(
      c => parseMemory(c.resources?.requests?.memory ?? '') ?? 0,
    ),
  };
}

export interface Cluster {
  client: ClusterClient;
  cache: WatchCache;
  /** Every node and unfinished pod of the cluster, for the capacity check. */
  capacity?: WatchCache;
}

export interface StepRunner {
  step<T>(
    name: string,
    fn: () => Promise<T>,
    message?: (result: T) => string | undefined,
  ): Promise<T>;
  /** Aborted when the worker lost its lease or the operation was cancelled. */
  signal: AbortSignal;
  /** Gives the cluster's slot back while the operation only waits for pods. */
  releaseSlot?(): Promise<void>;
}

export type ServiceDefinitionSource = {
  lookup(): Promise<{ lookup: (ref: string) => any }>;
};

/** A pod the scheduler cannot place fails the wait after this long, quoting the scheduler. */
const UNSCHEDULABLE_GRACE_MS = 30_000;

export class Reconciler {
  constructor(
    private readonly store: EnvironmentStore,
    private readonly clusters: Map<string, Cluster>,
    private readonly definitions: ServiceDefinitionSource,
    private readonly config: EnvironmentsConfig,
  ) {}

  /**
   * What this backend knows of each cluster: whether its watches answer, what its caches
   * hold, the most requests it had in flight at once, and its Service IPs.
   */
  clusterStates() {
    return [...this.clusters].map(([name, c]) => {
      const cache = c.cache.stats();
      const capacity = c.capacity?.stats();
      const ips =
        capacity?.synced && c.capacity
          ? serviceIPsOf(
              c.capacity.all('services'),
              c.capacity.all('servicecidrs'),
            )
          : undefined;
      const failing = this.unreachable(name);
      return {
        name,
        default: name === this.config.defaultCluster,
        reachable: cache.reachable && (capacity?.reachable ?? true),
        ...(failing && {
          unreachableSince: failing.since,
          lastError: failing.error,
        }),
        synced: cache.synced && (capacity?.synced ?? true),
        cachedObjects: cache.objects + (capacity?.objects ?? 0),
        maxRequestsInFlight: c.client.limiter.max,
        peakRequestsInFlight: c.client.limiter.peak,
        serviceIPs: ips && { total: ips.total, used: ips.used },
      };
    });
  }

  /** While a cluster's watches fail: since when (the earliest), and the last error. */
  unreachable(name: string): { since: string; error?: string } | undefined {
    const c = this.clusters.get(name);
    if (!c) return undefined;
    return [c.cache.unreachable(), c.capacity?.unreachable()]
      .filter(<T>(x: T | undefined): x is T => !!x)
      .sort((a, b) => a.since.localeCompare(b.since))[0];
  }

  cluster(name: string): Cluster {
    const c = this.clusters.get(name);
    if (!c)
      throw new PermanentError(`No cluster named "${name}" is configured`);
    return c;
  }

  /**
   * The services of the environment's current revision. A revision pins the service
   * definitions it was made from, so a catalog edit reaches an environment at its next deploy,
   * never behind its back. Only revisions stored before pinning existed resolve live.
   */
  async services(env: EnvironmentRecord): Promise<ResolvedService[]> {
    if (env.services) return env.services;
    const { lookup } = await this.definitions.lookup();
    const resolved = resolveServices(env.spec, lookup);
    if (!resolved.success)
      throw new PermanentError(
        `The spec does not resolve: ${describeFieldErrors(resolved.errors)}`,
      );
    return resolved.value;
  }

  /**
   * Builds the render input for the environment's current desired state. Islands that another
   * unfinished island-add claimed wait for that operation: each add creates, and answers for,
   * its own islands (`op`: the operation rendering, if any).
   */
  async renderInput(
    env: EnvironmentRecord,
    op?: OperationRecord,
  ): Promise<RenderInput> {
    const services = await this.services(env);
    // A base destroyed under its dependants ends the chain there: what it answered for falls
    // away (its ExternalNames are pruned) rather than wedging every later operation.
    const { fallbacks, chain } = await fallbacksOf(env, this.store);
    return {
      environmentId: env.id,
      secretValues: await this.store.getSecretValues(env.id),
      spec: env.spec,
      services,
      revision: env.revision,
      namespace: env.namespace,
      sizing: this.config.purposes[env.spec.purpose].sizing,
      stopped: env.stopped,
      restartedAt: env.restartedAt,
      fallbacks,
      baseNamespace: chain[0]?.namespace,
      baseName: chain[0]?.name,
      bases: chain.map(b => b.id),
      ingressNamespace: this.config.ingressNamespace,
      podSecurity: this.config.purposes[env.spec.purpose].podSecurity,
      egressCidrs:
        this.config.clusters.find(c => c.name === env.cluster)?.policy
          ?.egressCidrs ?? [],
      ingressClassName: this.config.ingressClassName,
      clusterDomain: this.config.clusterDomain,
      islands: await this.islands(env, services, op),
      routing: this.config.clusters.find(c => c.name === env.cluster)?.routing,
    };
  }

  /** The environment's islands with the clock in effect for each. */
  private async islands(
    env: EnvironmentRecord,
    services: ResolvedService[],
    op?: OperationRecord,
  ): Promise<RenderIsland[]> {
    const islands = await this.store.islands.list(env.id);
    if (!islands.length) return [];
    const othersAdding = new Set(
      (await this.store.queue.listOperations(env.id, 200))
        .filter(
          o =>
            o.type === 'island-add' &&
            o.id !== op?.id &&
            (o.status === 'pending' || o.status === 'running'),
        )
        .flatMap(o => (o.params.islands as number[] | undefined) ?? []),
    );
    // list() leaves removed islands out.
    return islands
      .filter(i => !(i.launched === 0 && othersAdding.has(i.id)))
      .map(i => {
        const clock =
          i.clock ??
          env.spec.clock ??
          services.find(s => s.name === i.service)?.island?.clock;
        return {
          id: i.id,
          service: i.service,
          ports: i.ports,
          desired: i.desired as RenderIsland['desired'],
          launch: i.launch,
          launched: i.launched,
          ...(clock ? { clock } : {}),
        };
      });
  }

  async execute(op: OperationRecord, run: StepRunner): Promise<void> {
    const env = await this.store.getEnvironmentById(op.environmentId);
    if (!env)
      throw new PermanentError(
        `Environment ${op.environment} no longer exists`,
      );
    if (env.destroyedAt) {
      await run.step(
        'record',
        async () => undefined,
        () => 'already destroyed',
      );
      return;
    }
    // Work only on a cluster whose watch cache is in sync: while the API server is away, or
    // has just come back and its authorizer is still loading roles, the cache's own lists
    // fail. The worker waits that out without spending an attempt.
    const { cache } = this.cluster(env.cluster);
    if (op.type !== 'extend' && !cache.isSynced())
      throw new ClusterUnavailableError(
        `the watch cache of cluster ${env.cluster} is not in sync (is its API server reachable?)`,
      );
    switch (op.type) {
      case 'destroy':
      case 'expire':
        await this.destroy(env, op, run);
        return;
      case 'extend':
        await run.step(
          'record',
          async () => env.expiresAt,
          at => `expires at ${at?.toISOString() ?? 'never'}`,
        );
        return;
      default:
        await this.converge(env, op, run);
    }
  }

  private async converge(
    env: EnvironmentRecord,
    op: OperationRecord,
    run: StepRunner,
  ) {
    const { client, cache } = this.cluster(env.cluster);
    const input = await run.step(
      'render',
      () => this.renderInput(env, op),
      () => undefined,
    );
    // A Pod a failed apply created before it stopped is there: its launch counts as created.
    const seen = islandsSeenRunning(input, cache.snapshot(env.namespace).pods);
    if (seen.length) {
      await this.store.islands.markLaunched(env.id, seen);
      for (const i of input.islands ?? [])
        if (seen.some(x => x.id === i.id)) i.launched = i.launch;
    }
    const objects = renderEnvironment(input);
    run.signal.throwIfAborted();
    // Every operation that can create pods checks first, a restart and a clock change too:
    // each applies the whole desired state, which may hold a change that its own check
    // refused. A deploy over the quota stays the desired state (level-triggered), and is
    // refused again here rather than rolled out. Only removals go without.
    if (!['stop', 'island-stop', 'island-remove'].includes(op.type)) {
      try {
        await run.step(
          'capacity',
          () => this.checkCapacity(env, input, objects),
          m => m,
        );
      } catch (e) {
        // Nothing was applied: the islands this add claimed go back, ids and ports.
        if (e instanceof PermanentError && op.type === 'island-add')
          await this.store.islands.releaseUnlaunched(
            env.id,
            (op.params.islands as number[] | undefined) ?? [],
          );
        throw e;
      }
    }
    // An island's old Pod goes before its new one comes (restart, start), and a stopped or
    // removed island's before anything is created: no change needs room for both.
    const replaced = islandPodsToReplace(
      objects,
      cache.snapshot(env.namespace).pods,
    );
    if (replaced.length)
      await run.step(
        'replace',
        async () => {
          await client.deletePods(env.namespace, replaced, run.signal);
          const deadline = Date.now() + 60_000;
          while (
            Date.now() < deadline &&
            cache
              .snapshot(env.namespace)
              .pods.some(p => replaced.includes(p.metadata?.name ?? ''))
          ) {
            run.signal.throwIfAborted();
            await new Promise(r => setTimeout(r, 200));
          }
          return replaced;
        },
        names => `deleted island Pod(s) ${names.join(', ')} first`,
      );
    // An island's Pod is created once per launch: one that exited or went away stays down.
    const launched = islandsAlreadyLaunched(input, objects);
    // Routes move traffic only once the versions they send it to are ready: they are applied
    // after the wait, so a hand-over that never gets ready leaves traffic where it was.
    const isRoute = (o: Manifest) =>
      o.kind === 'HTTPRoute' || o.kind === 'Ingress';
    const routes = objects.filter(isRoute);
    const toApply = objects.filter(
      o => !launched.has(manifestKey(o)) && !isRoute(o),
    );
    const created = new Set<string>();
    const applied = await run.step(
      'apply',
      () =>
        client.apply(toApply, {
          created,
          signal: run.signal,
          createOnly: createOnlyKeys(input, objects),
          legacyNamespace: env.legacyNamespace,
          observed: observedObjects(cache.snapshot(env.namespace), objects),
        }),
      r =>
        `applied ${r.length} objects of revision ${env.revision}${
          r.length < objects.length - routes.length
            ? ` (${
                objects.length - routes.length - r.length
              } immutable, already there)`
            : ''
        }`,
    );
    await this.store.islands.markLaunched(
      env.id,
      islandsToMarkLaunched(input, toApply),
    );
    // The Namespace now carries the id: the environment is no longer recognised by labels.
    if (env.legacyNamespace) await this.store.clearLegacyNamespace(env.id);
    // The versions a service is leaving keep serving until the ones it wants are ready.
    const leaving = versionsLeaving(
      input,
      objects,
      cache.snapshot(env.namespace),
    );
    const keep = () => [
      ...objects,
      ...previousLaunchesToKeep(input, cache.snapshot(env.namespace).pods),
    ];
    // A namespace this apply created holds only what it applied: nothing to list or delete.
    const fresh = created.has(env.namespace);
    await run.step(
      'prune',
      async () =>
        fresh
          ? []
          : client.prune(env.namespace, env.name, [...keep(), ...leaving], {
              signal: run.signal,
            }),
      p =>
        p.length
          ? `deleted ${p.join(', ')}`
          : `nothing to delete${
              fresh ? ' (a namespace new with this apply)' : ''
            }`,
    );
    run.signal.throwIfAborted();
    // Waiting is no work for the API server: it holds no slot of the cluster's queue.
    await run.releaseSlot?.();
    await run.step(
      'wait',
      () => this.waitReady(env, op, cache, run.signal, applied),
      m => m,
    );
    if (routes.length)
      await run.step(
        'route',
        () =>
          client.apply(routes, {
            signal: run.signal,
            legacyNamespace: env.legacyNamespace,
            observed: observedObjects(cache.snapshot(env.namespace), routes),
          }),
        r =>
          `applied ${r.length} route(s): traffic goes to the versions that are ready`,
      );
    if (leaving.length)
      await run.step(
        'retire',
        () =>
          client.prune(env.namespace, env.name, keep(), { signal: run.signal }),
        p =>
          p.length
            ? `the versions left behind went once the new ones were ready: deleted ${p.join(
                ', ',
              )}`
            : 'the versions left behind were already gone',
      );
    if (
      input.islands?.length ||
      (await this.store.islands.list(env.id, { includeRemoved: true })).length
    )
      await run.step(
        'release',
        () => this.releaseIslandPorts(env, input, cache, run.signal),
        ids =>
          ids.length
            ? `ports of island(s) ${ids.join(', ')} back in the pool`
            : 'no island ports to give back',
      );
  }

  /**
   * Gives back the ports of removed islands once their Pods are gone (a Pod still holding a
   * host port must not share it with a new island).
   */
  private async releaseIslandPorts(
    env: EnvironmentRecord,
    input: RenderInput,
    cache: WatchCache,
    signal: AbortSignal,
  ): Promise<number[]> {
    const wanted = new Set((input.islands ?? []).map(i => i.id));
    const deadline = Date.now() + 60_000;
    for (;;) {
      signal.throwIfAborted();
      const withPods = new Set(
        (cache.snapshot(env.namespace).pods as any[])
          .map(p => Number(p.metadata?.labels?.[ISLAND_LABEL]))
          .filter(id => id && !wanted.has(id)),
      );
      const services = input.services.map(s => s.name);
      if (!withPods.size || Date.now() > deadline)
        return this.store.islands.releaseGone(env.id, services, withPods);
      await cache.changed(env.namespace, 1000, signal);
    }
  }

  /** Refuses, with numbers, a change whose pods would not fit on the cluster or the quota. */
  async checkCapacity(
    env: EnvironmentRecord,
    input: RenderInput,
    objects: Manifest[] = renderEnvironment(input),
  ): Promise<string> {
    const result = await this.fit(env, input, objects);
    if (!result.fits) throw new PermanentError(result.message);
    return result.message;
  }

  /**
   * Whether a change fits the environment's cluster and quota, with the numbers; `room` is
   * what would be left of the cluster's scarcest resource afterwards, as a share of what its
   * nodes offer (0 to 1), so that placement can pick the cluster with the most room.
   */
  async fit(
    env: EnvironmentRecord,
    input: RenderInput,
    objects: Manifest[] = renderEnvironment(input),
  ): Promise<FitResult & { room: number }> {
    const { cache } = this.cluster(env.cluster);
    const wanted = sum(
      input.services.map(svc => driverFor(svc.kind).requests(svc, input)),
    );
    // The environment's current pods are replaced, so they do not count against it; but the
    // pods of a version a service is leaving keep running beside the new one for a while.
    const versions = new Map(
      input.services.map(s => [
        s.name,
        new Set(tracksOf(s).map(t => t.version)),
      ]),
    );
    const leaving = (p: any) =>
      !!p.metadata?.labels?.[VERSION_LABEL] &&
      versions
        .get(p.metadata?.labels?.[SERVICE_LABEL])
        ?.has(p.metadata.labels[VERSION_LABEL]) === false;
    const live = (cache.snapshot(env.namespace).pods as any[]).filter(
      p => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
    );
    const alongside = sum(live.filter(leaving).map(podAmounts));
    const current = sum(live.filter(p => !leaving(p)).map(podAmounts));
    const cap = await this.capacity(env.cluster);
    // Each Service with a cluster IP the change adds takes an address of the cluster's range.
    const existing = new Set(
      cache.snapshot(env.namespace).services.map(s => s.metadata?.name),
    );
    const newServices = objects.filter(
      (m: any) =>
        m.kind === 'Service' &&
        m.spec?.clusterIP !== 'None' &&
        !existing.has(m.metadata.name),
    ).length;
    const { quota } = input.sizing;
    const result = fits({
      cluster: env.cluster,
      purpose: env.spec.purpose,
      wanted,
      current,
      free: {
        cpuMillis: cap.allocatable.cpuMillis - cap.requested.cpuMillis,
        memoryBytes: cap.allocatable.memoryBytes - cap.requested.memoryBytes,
        pods: cap.allocatable.pods - cap.requested.pods,
      },
      alongside,
      serviceIPs: cap.serviceIPs && {
        wanted: newServices,
        free: cap.serviceIPs.total - cap.serviceIPs.used,
        total: cap.serviceIPs.total,
        ranges: cap.serviceIPs.ranges,
      },
      quota: {
        pods: quota.pods,
        cpuMillis: parseCpu(quota.cpu),
        memoryBytes: parseMemory(quota.memory),
      },
    });
    const share = (alloc: number, used: number, want: number, now: number) =>
      alloc > 0 ? (alloc - used - Math.max(0, want - now)) / alloc : 0;
    const room = Math.min(
      share(
        cap.allocatable.cpuMillis,
        cap.requested.cpuMillis,
        wanted.cpuMillis,
        current.cpuMillis,
      ),
      share(
        cap.allocatable.memoryBytes,
        cap.requested.memoryBytes,
        wanted.memoryBytes,
        current.memoryBytes,
      ),
      share(
        cap.allocatable.pods,
        cap.requested.pods,
        wanted.pods,
        current.pods,
      ),
    );
    return { ...result, room };
  }

  /** What the cluster offers and its pods request, from the capacity watch cache. */
  private async capacity(cluster: string) {
    const watched = this.cluster(cluster).capacity;
    if (!watched)
      throw new TransientError(
        `cluster ${cluster} has no capacity watch; the capacity check cannot run`,
      );
    await watched.waitForSync().catch(e => {
      throw new TransientError(String(e));
    });
    return capacityOf(
      watched.all('nodes'),
      watched.all('pods'),
      watched.all('services'),
      watched.all('servicecidrs'),
    );
  }

  /** Waits until every service is Ready (or Stopped when stopped), within the budget. */
  private async waitReady(
    env: EnvironmentRecord,
    op: OperationRecord,
    cache: WatchCache,
    signal: AbortSignal,
    applied: KubernetesObject[],
  ): Promise<string> {
    const deadline = Date.now() + this.config.readinessTimeoutMs;
    let degradedSince: number | undefined;
    let unschedulableSince: number | undefined;
    for (;;) {
      signal.throwIfAborted();
      const snapshot = cache.snapshot(env.namespace);
      // Until the cache has seen what was just applied, it shows the old workloads, which
      // may well be ready: that says nothing about the new revision.
      if (!cacheHasSeen(snapshot, applied)) {
        if (Date.now() > deadline)
          throw new PermanentError(
            'The watch cache never saw the applied workloads; is the cluster watch working?',
          );
        await cache.changed(env.namespace, 250, signal);
        continue;
      }
      // With the operation running, pods that are merely rolling out count as progressing.
      const status = deriveStatus(env, snapshot, [op]);
      const wanted = env.spec.services.map(s => s.name);
      const services = status.services.filter(s => wanted.includes(s.name));
      // An island that exited stays down, by design: its service is settled with it down.
      const settled = (s: (typeof services)[number]) =>
        env.stopped.includes(s.name)
          ? s.health === 'Stopped'
          : s.health === 'Ready' ||
            (s.kind === 'island' && s.health === 'Degraded');
      const done = services.length === wanted.length && services.every(settled);
      if (done)
        return `${services.length} service(s) ${
          env.stopped.length === wanted.length ? 'stopped' : 'ready'
        }`;
      const degraded = services.filter(
        s =>
          (s.health === 'Degraded' || s.health === 'Failed') &&
          s.kind !== 'island',
      );
      if (degraded.length) {
        degradedSince ??= Date.now();
        // A crash-looping service will not heal by waiting out the whole budget.
        if (Date.now() - degradedSince > 60_000) {
          throw new PermanentError(
            `Not ready: ${degraded
              .map(s => `${s.name} (${s.reasons.join('; ')})`)
              .join(', ')}`,
          );
        }
      } else {
        degradedSince = undefined;
      }
      // Nor will a pod that no node can take: no node matches, resources, an unbound claim.
      const unschedulable = services
        .map(s => ({
          name: s.name,
          reasons: s.reasons.filter(r => r.includes(': Unschedulable: ')),
        }))
        .filter(s => s.reasons.length);
      if (unschedulable.length) {
        unschedulableSince ??= Date.now();
        if (Date.now() - unschedulableSince > UNSCHEDULABLE_GRACE_MS) {
          throw new PermanentError(
            `Cannot be scheduled: ${unschedulable
              .map(s => `${s.name} (${s.reasons[0]})`)
              .join(', ')}`,
          );
        }
      } else {
        unschedulableSince = undefined;
      }
      if (Date.now() > deadline) {
        const waiting = services
          .filter(s => !settled(s))
          .map(
            s =>
              `${s.name}: ${s.health}${
                s.reasons.length ? ` (${s.reasons.join('; ')})` : ''
              }${env.stopped.includes(s.name) ? ', wanted Stopped' : ''}`,
          );
        throw new PermanentError(
          `Not ready within ${Math.round(
            this.config.readinessTimeoutMs / 60000,
          )}m: ${waiting.join(', ')}`,
        );
      }
      // Woken by the namespace's next watch event; the timer only keeps the deadlines.
      await cache.changed(env.namespace, 1000, signal);
    }
  }

  private async destroy(
    env: EnvironmentRecord,
    op: OperationRecord,
    run: StepRunner,
  ) {
    const { client, cache } = this.cluster(env.cluster);
    const deleted = await run.step(
      'delete',
      () => client.deleteNamespace(env.namespace, env, run.signal),
      o => {
        if (o.owned === 'theirs')
          return `namespace ${env.namespace} is not this environment's (${o.reason}): left alone`;
        if (o.owned === 'absent')
          return `namespace ${env.namespace} is already gone`;
        return `deleting namespace ${env.namespace}`;
      },
    );
    // Terminating a namespace is the API server's work, not ours: hold no slot meanwhile.
    await run.releaseSlot?.();
    await run.step(
      'verify',
      async () => {
        // Someone else's namespace stays: there is nothing of ours in it to wait for.
        if (deleted.owned === 'theirs') return [];
        // Blocked (a finalizer, content it cannot delete) for 2 minutes is stuck. Merely slow
        // (hundreds of namespaces terminating at once queue at the namespace controller) is
        // waited for, up to the readiness budget.
        const started = Date.now();
        const blockedAfter = started + 120_000;
        const deadline =
          started + Math.max(120_000, this.config.readinessTimeoutMs);
        let asked = Date.now();
        for (;;) {
          run.signal.throwIfAborted();
          // The watch says when the namespace goes, and the API server confirms it; it is
          // asked every 10 s besides, in case the watch missed it, and to see what blocks it.
          if (
            !cache.snapshot(env.namespace).namespaces.length ||
            Date.now() - asked > 10_000
          ) {
            asked = Date.now();
            const ns = await client.namespaceExists(env.namespace);
            if (!ns.exists) break;
            if (
              (ns.blocked && Date.now() > blockedAfter) ||
              Date.now() > deadline
            )
              throw new PermanentError(
                `Namespace ${env.namespace} is stuck terminating${
                  ns.blocked
                    ? ` (${ns.blocked})`
                    : ` after ${Math.round((Date.now() - started) / 60_000)}m${
                        ns.finalizers.length
                          ? ` on finalizers ${ns.finalizers.join(', ')}`
                          : ''
                      }`
                }; remove the finalizers or the blocking objects, then destroy again`,
              );
          }
          await cache.changed(env.namespace, 2000, run.signal);
        }
        const left = await client.remainingObjects(env.name);
        if (left.length)
          throw new PermanentError(
            `Objects labelled for ${env.name} remain: ${left.join(', ')}`,
          );
        return left;
      },
      () => 'nothing labelled for the environment remains',
    );
    await run.step(
      'deregister',
      () => this.store.registry.syncRegistry(env.name, []),
      e => `${e.length} instance(s) deregistered`,
    );
    // The namespace and its Pods are gone: every island port goes back to the pool.
    await this.store.islands.releaseAll(env.id);
    await this.store.markDestroyed(
      env.id,
      op.type === 'expire' ? 'expire' : 'destroy',
    );
    // Dependants left behind stop falling back to it: each renders again without it.
    for (const d of await this.store.listDependants(env.id)) {
      await this.store.requestRepair(d.name, [
        `base ${env.name} was destroyed`,
      ]);
    }
  }
}

export type { OperationStep };

/** The cached objects that stand for these manifests, by manifestKey. */
export function observedObjects(
  snapshot: NamespaceSnapshot,
  objects: Manifest[],
): Map<string, KubernetesObject> {
  const out = new Map<string, KubernetesObject>();
  for (const m of objects) {
    const seen = observedObject(snapshot, m);
    if (seen) out.set(manifestKey(m), seen);
  }
  return out;
}

/** The objects of drivers that replace instead of updating: created once, never patched. */
export function createOnlyKeys(
  input: RenderInput,
  objects: Manifest[],
): Set<string> {
  const keys = new Set<string>();
  for (const svc of input.services) {
    const driver = driverFor(svc.kind);
    const once: readonly string[] =
      driver.update === 'replace' ? [driver.workload] : driver.createOnce ?? [];
    if (!once.length) continue;
    for (const o of objects) {
      const r = resourceOf(o)?.name;
      if (
        r &&
        once.includes(r) &&
        o.metadata.labels['archipelago.dev/service'] === svc.name
      )
        keys.add(manifestKey(o));
    }
  }
  return keys;
}

const WORKLOAD_RESOURCES = new Set(DRIVERS.map(d => d.workload));

/**
 * Whether a namespace snapshot holds each applied workload at (at least) the generation the API
 * server gave it when it was applied.
 */
export function cacheHasSeen(
  snapshot: NamespaceSnapshot,
  applied: KubernetesObject[],
): boolean {
  return applied.every(a => {
    const r = resourceOf(a);
    if (!r || !WORKLOAD_RESOURCES.has(r.name)) return true;
    const seen = observedObject(snapshot, a);
    return (
      !!seen &&
      Number(seen.metadata?.generation ?? 0) >=
        Number(a.metadata?.generation ?? 0)
    );
  });
}
