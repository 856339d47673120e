/*
 * The one reconcile path. Every mutation recorded an operation against the environment's
 * desired state; executing any of them is the same: render, check capacity, server-side apply,
 * prune, wait for readiness, record. Destroy and expire delete and verify instead.
 */
import {
  OperationStep,
  describeFieldErrors,
  parseCpu,
  parseMemory,
  resolveServices,
} from '@archipelago/plugin-environments-common';
import type { ClusterClient } from '../cluster/ClusterClient';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { NamespaceSnapshot, WatchCache } from '../cluster/WatchCache';
import type { EnvironmentsConfig } from '../config';
import { Manifest, RenderInput, renderEnvironment } from '../render/render';
import type {
  EnvironmentRecord,
  EnvironmentStore,
  OperationRecord,
} from '../store/EnvironmentStore';
import { deriveStatus } from '../status/derive';
import { fallbacksOf } from './fallbacks';

const fmtCpu = (m: number) =>
  m >= 1000 ? `${(m / 1000).toFixed(m % 1000 ? 1 : 0)}` : `${m}m`;
const fmtMem = (b: number) =>
  b >= 1024 ** 3
    ? `${(b / 1024 ** 3).toFixed(1)}Gi`
    : `${Math.round(b / 1024 ** 2)}Mi`;

/** An error that retrying will not fix (invalid spec, no capacity, stuck finalizers). */
export class PermanentError extends Error {}

export interface Cluster {
  client: ClusterClient;
  cache: WatchCache;
}

export interface StepRunner {
  step<T>(
    name: string,
    fn: () => Promise<T>,
    message?: (result: T) => string | undefined,
  ): Promise<T>;
  signal: AbortSignal;
}

export type ServiceDefinitionSource = {
  lookup(): Promise<{ lookup: (ref: string) => any }>;
};

export class Reconciler {
  constructor(
    private readonly store: EnvironmentStore,
    private readonly clusters: Map<string, Cluster>,
    private readonly definitions: ServiceDefinitionSource,
    private readonly config: EnvironmentsConfig,
  ) {}

  cluster(name: string): Cluster {
    const c = this.clusters.get(name);
    if (!c)
      throw new PermanentError(`No cluster named "${name}" is configured`);
    return c;
  }

  /** Builds the render input for the environment's current desired state. */
  async renderInput(env: EnvironmentRecord): Promise<RenderInput> {
    const { lookup } = await this.definitions.lookup();
    const resolved = resolveServices(env.spec, lookup);
    if (!resolved.success)
      throw new PermanentError(
        `The spec does not resolve: ${describeFieldErrors(resolved.errors)}`,
      );
    const { fallbacks, chain, missingBase } = await fallbacksOf(
      env,
      this.store,
    );
    if (missingBase)
      throw new PermanentError(
        `The base environment "${missingBase}" does not exist`,
      );
    return {
      spec: env.spec,
      services: resolved.value,
      revision: env.revision,
      namespace: env.namespace,
      sizing: this.config.purposes[env.spec.purpose].sizing,
      stopped: env.stopped,
      restartedAt: env.restartedAt,
      fallbacks,
      baseNamespace: chain[0]?.namespace,
      ingressNamespace: this.config.ingressNamespace,
      ingressClassName: this.config.ingressClassName,
      clusterDomain: this.config.clusterDomain,
    };
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
      () => this.renderInput(env),
      () => undefined,
    );
    const objects = renderEnvironment(input);
    run.signal.throwIfAborted();
    if (['create', 'deploy', 'rollback', 'start'].includes(op.type)) {
      await run.step(
        'capacity',
        () => this.checkCapacity(env, objects),
        m => m,
      );
    }
    const applied = await run.step(
      'apply',
      () => client.apply(objects),
      r => `applied ${r.length} objects of revision ${env.revision}`,
    );
    run.signal.throwIfAborted();
    await run.step(
      'prune',
      () => client.prune(env.namespace, env.name, objects),
      p => (p.length ? `deleted ${p.join(', ')}` : 'nothing to delete'),
    );
    run.signal.throwIfAborted();
    await run.step(
      'wait',
      () => this.waitReady(env, op, cache, run.signal, applied),
      m => m,
    );
  }

  /** Refuses, with numbers, a change whose pods would not fit on the cluster. */
  async checkCapacity(
    env: EnvironmentRecord,
    objects: Manifest[],
  ): Promise<string> {
    const { client, cache } = this.cluster(env.cluster);
    const sizing = this.config.purposes[env.spec.purpose].sizing;
    const defCpu = parseCpu(sizing.defaultRequests.cpu) ?? 0;
    const defMem = parseMemory(sizing.defaultRequests.memory) ?? 0;
    let needCpu = 0;
    let needMem = 0;
    let needPods = 0;
    for (const o of objects as any[]) {
      let replicas = 0;
      if (o.kind === 'Deployment' || o.kind === 'StatefulSet')
        replicas = o.spec.replicas ?? 1;
      else if (o.kind === 'Job') replicas = 1;
      const containers = o.spec?.template?.spec?.containers ?? [];
      for (const c of containers) {
        needCpu +=
          replicas * (parseCpu(c.resources?.requests?.cpu ?? '') ?? defCpu);
        needMem +=
          replicas *
          (parseMemory(c.resources?.requests?.memory ?? '') ?? defMem);
      }
      needPods += replicas;
    }
    const total = { cpu: needCpu, mem: needMem, pods: needPods };
    // The environment's current pods are replaced, so they do not count against it.
    for (const p of cache.snapshot(env.namespace).pods as any[]) {
      if (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed')
        continue;
      needPods--;
      for (const c of p.spec?.containers ?? []) {
        needCpu -= parseCpu(c.resources?.requests?.cpu ?? '') ?? 0;
        needMem -= parseMemory(c.resources?.requests?.memory ?? '') ?? 0;
      }
    }
    const cap = await client.capacity();
    const free = {
      cpu: cap.allocatable.cpuMillis - cap.requested.cpuMillis,
      mem: cap.allocatable.memoryBytes - cap.requested.memoryBytes,
      pods: cap.allocatable.pods - cap.requested.pods,
    };
    const short: string[] = [];
    if (needCpu > free.cpu)
      short.push(
        `${fmtCpu(needCpu)} CPU requested, ${fmtCpu(
          Math.max(0, free.cpu),
        )} free`,
      );
    if (needMem > free.mem)
      short.push(
        `${fmtMem(needMem)} memory requested, ${fmtMem(
          Math.max(0, free.mem),
        )} free`,
      );
    if (needPods > free.pods)
      short.push(`${needPods} pods requested, ${Math.max(0, free.pods)} free`);
    if (short.length) {
      throw new PermanentError(
        `Not enough capacity on cluster "${env.cluster}": ${short.join(
          '; ',
        )}. Nothing was applied.`,
      );
    }
    // The namespace's quota caps the whole environment, whatever the cluster has free: pods
    // past it would never be created, and the environment would wait out its budget.
    const { quota } = sizing;
    const over: string[] = [];
    if (total.pods > quota.pods)
      over.push(`${total.pods} pods wanted, ${quota.pods} allowed`);
    const quotaCpu = parseCpu(quota.cpu);
    if (quotaCpu !== undefined && total.cpu > quotaCpu)
      over.push(`${fmtCpu(total.cpu)} CPU wanted, ${fmtCpu(quotaCpu)} allowed`);
    const quotaMem = parseMemory(quota.memory);
    if (quotaMem !== undefined && total.mem > quotaMem)
      over.push(
        `${fmtMem(total.mem)} memory wanted, ${fmtMem(quotaMem)} allowed`,
      );
    if (over.length) {
      throw new PermanentError(
        `Over the quota of ${env.spec.purpose} environments: ${over.join(
          '; ',
        )}. Ask for fewer replicas, or another purpose. Nothing was applied.`,
      );
    }
    return `fits: ${fmtCpu(Math.max(0, needCpu))} CPU and ${fmtMem(
      Math.max(0, needMem),
    )} more of ${fmtCpu(free.cpu)} CPU and ${fmtMem(free.mem)} free`;
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
        await new Promise(r => setTimeout(r, 100));
        continue;
      }
      // With the operation running, pods that are merely rolling out count as progressing.
      const status = deriveStatus(env, snapshot, [op]);
      const wanted = env.spec.services.map(s => s.name);
      const services = status.services.filter(s => wanted.includes(s.name));
      const done =
        services.length === wanted.length &&
        services.every(s =>
          env.stopped.includes(s.name)
            ? s.health === 'Stopped'
            : s.health === 'Ready',
        );
      if (done)
        return `${services.length} service(s) ${
          env.stopped.length === wanted.length ? 'stopped' : 'ready'
        }`;
      const degraded = services.filter(
        s => s.health === 'Degraded' || s.health === 'Failed',
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
      if (Date.now() > deadline) {
        const waiting = services
          .filter(s => s.health !== 'Ready')
          .map(s => `${s.name}: ${s.reasons.join('; ') || s.health}`);
        throw new PermanentError(
          `Not ready within ${Math.round(
            this.config.readinessTimeoutMs / 60000,
          )}m: ${waiting.join(', ')}`,
        );
      }
      await new Promise(r => setTimeout(r, 300));
    }
  }

  private async destroy(
    env: EnvironmentRecord,
    op: OperationRecord,
    run: StepRunner,
  ) {
    const { client } = this.cluster(env.cluster);
    await run.step(
      'delete',
      () => client.deleteNamespace(env.namespace),
      () => `deleting namespace ${env.namespace}`,
    );
    await run.step(
      'verify',
      async () => {
        const deadline = Date.now() + 120_000;
        for (;;) {
          run.signal.throwIfAborted();
          const ns = await client.namespaceExists(env.namespace);
          if (!ns.exists) break;
          if (Date.now() > deadline) {
            throw new PermanentError(
              `Namespace ${env.namespace} is stuck terminating${
                ns.finalizers.length
                  ? ` on finalizers ${ns.finalizers.join(', ')}`
                  : ''
              }; remove them or the blocking objects, then destroy again`,
            );
          }
          await new Promise(r => setTimeout(r, 500));
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
      () => this.store.syncRegistry(env.name, []),
      e => `${e.length} instance(s) deregistered`,
    );
    await this.store.markDestroyed(
      env.id,
      op.type === 'expire' ? 'expire' : 'destroy',
    );
  }
}

export type { OperationStep };

const SNAPSHOT_KINDS: Record<string, keyof NamespaceSnapshot> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  CronJob: 'cronjobs',
};

/**
 * Whether a namespace snapshot holds each applied workload at (at least) the generation the API
 * server gave it when it was applied.
 */
export function cacheHasSeen(
  snapshot: NamespaceSnapshot,
  applied: KubernetesObject[],
): boolean {
  return applied.every(a => {
    const list = SNAPSHOT_KINDS[a.kind ?? ''];
    if (!list) return true;
    const seen = snapshot[list].find(
      o => o.metadata?.name === a.metadata?.name,
    );
    return (
      !!seen &&
      Number(seen.metadata?.generation ?? 0) >=
        Number(a.metadata?.generation ?? 0)
    );
  });
}
