import { ExecHandlers, execInContainer } from '../terminal/exec';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
  ServiceUnavailableError,
} from '@backstage/errors';
import { alertsView, parseAlertSettings } from '../alerts/api';
import type { Writable } from 'node:stream';
import type { ClusterClient } from '../cluster/ClusterClient';
import { PermanentError, ValidationError, errorMessage } from '../errors';
import {
  ConfigEntry,
  ConfigSource,
  Environment,
  EnvironmentConfig,
  EnvironmentStatus,
  EnvironmentSpec,
  FieldError,
  applyRelease,
  IslandLedger,
  IslandView,
  ISLAND_LIMITS,
  PodView,
  OperationRequest,
  describeClock,
  ResolveResult,
  ResolvedService,
  extractSecretValues,
  normalizeEntityRef,
  withNameFromBranch,
  MANAGED_SECRET_NAME,
  operationRequestSchema,
  resolveServices,
  toFieldErrors,
  validateEnvironmentSpec,
} from '@archipelago/plugin-environments-common';
import type { EnvironmentsConfig, RoutingSettings } from '../config';
import { manifestKey, renderEnvironment } from '../render/render';
import type {
  Reconciler,
  ServiceDefinitionSource,
} from '../reconcile/Reconciler';
import {
  addressableServices,
  baseConfigOf,
  fallbacksOf,
  liveBases,
} from '../bases/chain';
import { extendedExpiry, initialExpiry } from '../ttl/ttl';
import { checkReach } from '../security/reach';
import { islandView } from '../islands/views';
import { ISLAND_LABEL } from '../workloads/island';
import {
  DesiredStateChange,
  EnvironmentChangedError,
  EnvironmentRecord,
  EnvironmentStore,
  ListFilter,
  OperationRecord,
} from '../store/EnvironmentStore';
import { emptySnapshot } from '../cluster/WatchCache';
import {
  deriveStatus,
  deriveTopology,
  eventViews,
  podViews,
} from '../status/derive';

/** The ingress hosts a set of services uses. */
const hostsOf = (services: ResolvedService[]) =>
  services.flatMap(s => (s.ingress ? [s.ingress.host] : []));

/**
 * Who asks, and what the permission policy lets them do beyond the route's own permission.
 * Internal callers (expiry, tests) pass a plain string: they act for anyone.
 */
export interface Caller {
  /** A user entity ref, or service:<subject>. */
  ref: string;
  /** Whether the caller may make `owner` the owner of an environment. */
  mayOwn(owner: string): Promise<boolean>;
  /** Whether the caller may name this environment as a base. */
  mayUseBase(name: string): Promise<boolean>;
}

const trusted = (ref: string): Caller => ({
  ref,
  mayOwn: async () => true,
  mayUseBase: async () => true,
});
const callerOf = (c: Caller | string) =>
  typeof c === 'string' ? trusted(c) : c;

/** What to do with the live dependants of an environment being destroyed. */
export type DependantsPolicy = 'refuse' | 'orphan' | 'destroy';

/** What the cluster's routing cannot carry: see config clusters[].routing. */
function routingErrors(
  services: ResolvedService[],
  routing: RoutingSettings | undefined,
  cluster: string,
  pathOf?: (service: string) => string,
): FieldError[] {
  const at = (svc: ResolvedService, i: number, field: string) =>
    `${pathOf?.(svc.name) ?? `services[${i}]`}.${field}`;
  return services.flatMap((svc, i): FieldError[] => {
    if (!svc.ingress) return [];
    if (routing?.type === 'ingress-nginx' && (svc.versions?.length ?? 0) > 1)
      return [
        {
          path: at(svc, i, 'versions'),
          message: `can hold one version beside the primary on cluster ${cluster}: ingress-nginx routes one canary per host`,
        },
      ];
    return [];
  });
}

/** JSON with its keys sorted, for comparing specs whatever order they were written in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map(k => [k, v[k]]),
        )
      : v,
  );
}

/**
 * Why an apply may not make this change to an island service's islands, and what does; or
 * nothing when it may. `was` and `now` are the counts of the current and the applied spec
 * (undefined: no such island service), `live` the islands it holds now.
 */
function islandChange(
  svc: string,
  was: number | undefined,
  now: number | undefined,
  live: number,
): string | undefined {
  if (now === undefined) {
    if (was === undefined || live === 0) return undefined;
    return `leaves out island service "${svc}", which holds ${live} islands: remove them with island-remove first`;
  }
  if (was === undefined)
    return now === 0
      ? undefined
      : `adds island service "${svc}" with ${now} islands: add it with island.count 0, then its islands with island-add`;
  if (now === was) return undefined;
  return `is ${now}, and ${svc} was created with ${was}: change its islands with island-add and island-remove`;
}

/** The keys of the environment's own Secret that a stored spec references. */
function managedSecretKeys(spec: EnvironmentSpec): string[] {
  return spec.services.flatMap(svc =>
    Object.values(svc.secrets ?? {}).flatMap(source =>
      'secretKeyRef' in source &&
      source.secretKeyRef.name === MANAGED_SECRET_NAME
        ? [source.secretKeyRef.key]
        : [],
    ),
  );
}

/** What an apply changes, in words: the fields and services that differ. */
function specChanges(was: EnvironmentSpec, now: EnvironmentSpec): string[] {
  const out: string[] = [];
  const before = new Map(was.services.map(s => [s.name, s]));
  const after = new Map(now.services.map(s => [s.name, s]));
  for (const [n, s] of after) {
    const b = before.get(n);
    if (!b) out.push(`+${n}`);
    else if (canonical(b) !== canonical(s)) out.push(n);
  }
  for (const n of before.keys()) if (!after.has(n)) out.push(`-${n}`);
  for (const k of new Set([...Object.keys(was), ...Object.keys(now)]))
    if (
      k !== 'services' &&
      canonical((was as any)[k]) !== canonical((now as any)[k])
    )
      out.push(k);
  return out;
}

/** How often an operation is computed again when other replicas keep changing its environment. */
const CHANGE_ATTEMPTS = 30;

/**
 * Waits before a change is computed again, because another one was recorded meanwhile; after
 * CHANGE_ATTEMPTS tries, refuses it.
 */
async function computeAgain(name: string, attempt: number, what: string) {
  if (attempt >= CHANGE_ATTEMPTS)
    throw new ConflictError(
      `Environment "${name}" kept changing while this ${what} was computed (${CHANGE_ATTEMPTS} tries); send it again`,
    );
  await new Promise(r =>
    setTimeout(r, Math.min(200, 5 * attempt) * (0.5 + Math.random())),
  );
}

export class EnvironmentsService {
  /** Per environment, the last operation request queued in this backend (see inTurn). */
  private readonly turns = new Map<string, Promise<void>>();

  constructor(
    private readonly store: EnvironmentStore,
    private readonly reconciler: Reconciler,
    private readonly definitions: ServiceDefinitionSource,
    private readonly config: EnvironmentsConfig,
    private readonly onQueued: (op: OperationRecord) => void = () => {},
  ) {}

  /** Bounds on what one owner or user holds at once. */
  get limits() {
    return this.config.limits;
  }

  /** Validates a spec completely (schema, definitions, base, cluster, lifetime); throws ValidationError. */
  async validate(
    input: unknown,
    now = new Date(),
    caller: Caller | string = 'system',
    /** The environment the spec is for, when it exists: what it holds is not taken from it. */
    self?: string,
  ): Promise<{
    spec: EnvironmentSpec;
    services: ResolvedService[];
    cluster: string;
    baseId?: string;
    expiresAt?: Date;
    /** Why the environment goes to `cluster`, when it named none and the default had no room. */
    placement?: string;
  }> {
    const who = callerOf(caller);
    const parsed = validateEnvironmentSpec(input);
    if (!parsed.success) throw new ValidationError(parsed.errors);
    const spec = {
      ...parsed.value,
      owner: normalizeEntityRef(parsed.value.owner, 'group'),
    };
    const errors: FieldError[] = [];
    const baseRecord = spec.base
      ? await this.store
          .getEnvironment(spec.base)
          .then(b => (b && !b.destroyedAt ? b : undefined))
      : undefined;
    // A dependant lives on its base's cluster; a spec that names neither is placed below.
    const named = spec.cluster ?? baseRecord?.cluster;
    let cluster = named ?? this.config.defaultCluster;
    if (!this.config.clusters.some(c => c.name === cluster)) {
      errors.push({
        path: 'cluster',
        message: `"${cluster}" is not a configured cluster (${
          this.config.clusters.map(c => c.name).join(', ') || 'none configured'
        })`,
      });
    }
    const { lookup } = await this.definitions.lookup();
    const resolved = resolveServices(
      spec,
      lookup,
      await baseConfigOf(baseRecord?.id, this.store),
    );
    if (!resolved.success) errors.push(...resolved.errors);
    if (!(await who.mayOwn(spec.owner))) {
      throw new NotAllowedError(
        `owner: you may create environments only for yourself or a group you belong to, not for ${spec.owner} (the permission policy refuses environments.environment.create.for-others)`,
      );
    }
    let baseId: string | undefined;
    if (spec.base) {
      const base = baseRecord;
      if (!base)
        errors.push({
          path: 'base',
          message: `there is no environment named "${spec.base}"${
            self
              ? ' (an environment whose base was destroyed is applied without base)'
              : ''
          }`,
        });
      else if (base.cluster !== cluster)
        errors.push({
          path: 'base',
          message: `"${spec.base}" runs on cluster "${base.cluster}", not "${cluster}"`,
        });
      else if (!(await who.mayUseBase(base.name)))
        throw new NotAllowedError(
          `base: you may not use environment "${base.name}" as a base (the permission policy refuses environments.environment.base.use; its owner is ${base.owner})`,
        );
      else baseId = base.id;
    }
    const { expiresAt, error } = initialExpiry(
      spec,
      this.config.purposes[spec.purpose],
      now,
    );
    if (error) errors.push(error);
    let placement: string | undefined;
    if (resolved.success && errors.length === 0 && !named) {
      ({ cluster, placement } = await this.place(spec, resolved.value, self));
    }
    if (resolved.success && errors.length === 0)
      errors.push(...(await this.reachErrors(cluster, resolved.value, self)));
    if (errors.length || !resolved.success) throw new ValidationError(errors);
    return {
      spec,
      services: resolved.value,
      cluster,
      baseId,
      expiresAt,
      placement,
    };
  }

  /**
   * Where a new environment that names no cluster (and no base) goes: the default cluster
   * when it can take it, otherwise the reachable cluster with the most room left afterwards.
   * When none can, the default: its create operation then refuses with the numbers, as on a
   * single cluster. `placement` says why, when it is not simply the default.
   */
  private async place(
    spec: EnvironmentSpec,
    services: ResolvedService[],
    self?: string,
  ): Promise<{ cluster: string; placement?: string }> {
    const fallback = this.config.defaultCluster;
    const names = [
      fallback,
      ...this.config.clusters.map(c => c.name).filter(n => n !== fallback),
    ];
    if (names.length < 2) return { cluster: fallback };
    const states = new Map(
      this.reconciler.clusterStates().map(c => [c.name, c] as const),
    );
    const refusals: string[] = [];
    const takers: Array<{ name: string; room: number }> = [];
    for (const name of names) {
      const state = states.get(name);
      if (!state?.reachable || !state.synced) {
        refusals.push(`${name} is unreachable`);
        continue;
      }
      const reach = await this.reachErrors(name, services, self);
      if (reach.length) {
        refusals.push(
          `${name} refuses it (${reach
            .map(e => `${e.path}: ${e.message}`)
            .join('; ')})`,
        );
        continue;
      }
      const record = this.draftRecord(spec, services, name);
      const input = {
        ...(await this.reconciler.renderInput(record)),
        // Amounts do not depend on secret values; the draft has none stored.
        secretValues: {},
      };
      const fit = await this.reconciler.fit(record, input).catch(e => ({
        fits: false as const,
        message: errorMessage(e),
        room: 0,
      }));
      if (!fit.fits) {
        const why = fit.message.replace(/\. Nothing was applied\.$/, '');
        refusals.push(why.includes(`"${name}"`) ? why : `${name}: ${why}`);
        continue;
      }
      if (name === fallback) return { cluster: fallback };
      takers.push({ name, room: fit.room });
    }
    const best = takers.sort((a, b) => b.room - a.room)[0];
    if (!best)
      return {
        cluster: fallback,
        placement: `no configured cluster has room (${refusals.join('; ')})`,
      };
    return {
      cluster: best.name,
      placement: `placed on ${
        best.name
      }, the cluster with the most room: ${refusals.join('; ')}`,
    };
  }

  /** An environment as it would be stored, for renders and checks before it exists. */
  private draftRecord(
    spec: EnvironmentSpec,
    services: ResolvedService[],
    cluster: string,
    baseId?: string,
  ): EnvironmentRecord {
    return {
      id: 'dry-run',
      name: spec.name,
      cluster,
      namespace: `${this.config.namespacePrefix}${spec.name}`,
      owner: spec.owner,
      purpose: spec.purpose,
      base: spec.base,
      baseId,
      spec: extractSecretValues(spec).spec,
      services,
      revision: 1,
      stopped: [],
      restartedAt: {},
      createdBy: 'dry-run',
      createdAt: new Date(),
      updatedAt: new Date(),
    };
  }

  /** Refuses one more queued operation for an owner at environments.limits.queuedOperationsPerOwner. */
  private checkQueued(owner: string, queued: number) {
    const cap = this.config.limits.queuedOperationsPerOwner;
    if (queued >= cap)
      throw new ConflictError(
        `owner: ${owner} already has ${queued} operations waiting to run (environments.limits.queuedOperationsPerOwner is ${cap}); wait for them to finish`,
      );
  }

  /** What the cluster's policy refuses of these services (see security/reach.ts). */
  private async reachErrors(
    cluster: string,
    services: ResolvedService[],
    self?: string,
    pathOf?: (service: string) => string,
  ): Promise<FieldError[]> {
    // The hosts table holds what each live environment claimed (store.claimHosts).
    const heldHosts = await this.store.heldHosts(cluster, self);
    const settings = this.config.clusters.find(c => c.name === cluster);
    const islandErrors: FieldError[] = settings?.islands
      ? []
      : services
          .map((svc, i) => ({ svc, i }))
          .filter(({ svc }) => svc.kind === 'island')
          .map(({ svc, i }) => ({
            path: `${pathOf?.(svc.name) ?? `services[${i}]`}.kind`,
            message: `island services need an island port range on cluster ${cluster} (clusters[].islands.ports in the environments config), and it has none`,
          }));
    return [
      ...islandErrors,
      ...routingErrors(services, settings?.routing, cluster, pathOf),
      ...checkReach(services, settings?.policy, { cluster, heldHosts, pathOf }),
    ];
  }

  /**
   * The next revision of a release operation: the service's request changed by the release,
   * resolved and checked as a deploy of that service is. Only it takes its current
   * definition; the other services stay as their revision pinned them.
   */
  private async releaseChange(
    env: EnvironmentRecord,
    req: Extract<OperationRequest, { type: `release-${string}` }>,
  ) {
    const refuse = (path: string, message: string): never => {
      throw new ValidationError([{ path, message }], 'Invalid operation');
    };
    const index = env.spec.services.findIndex(s => s.name === req.service);
    if (index < 0)
      refuse('service', `"${req.service}" is not a service of ${env.name}`);
    const changed = applyRelease(env.spec.services[index], req);
    if (!changed.ok) return refuse(changed.path, changed.message);
    const spec: EnvironmentSpec = {
      ...env.spec,
      services: env.spec.services.map((s, i) =>
        i === index ? changed.service : s,
      ),
    };
    const { lookup } = await this.definitions.lookup();
    const resolved = resolveServices(
      spec,
      lookup,
      await baseConfigOf(env.baseId, this.store),
    );
    if (!resolved.success) {
      // The new version's problems are the operation's own fields.
      const own = `services[${index}].versions[${
        (changed.service.versions?.length ?? 1) - 1
      }].`;
      throw new ValidationError(
        resolved.errors.map(e => {
          if (req.type === 'release-start' && e.path.startsWith(own))
            return { ...e, path: e.path.slice(own.length) };
          // A kind that runs one version: the request named the service.
          if (e.path === `services[${index}].versions`)
            return { ...e, path: 'service' };
          return e;
        }),
        'Invalid operation',
      );
    }
    const target = resolved.value.find(r => r.name === req.service)!;
    const reach = await this.reachErrors(
      env.cluster,
      [target],
      env.id,
      () => 'service',
    );
    if (reach.length) throw new ValidationError(reach, 'Invalid operation');
    const services = resolved.value.map(
      r =>
        (r.name !== req.service &&
          env.services?.find(p => p.name === r.name)) ||
        r,
    );
    return [
      {
        spec,
        services,
        hosts: hostsOf(services),
        revisionReason: changed.reason,
      },
    ] as const;
  }

  /** The island settings of a cluster that takes island services. */
  islandSettings(cluster: string) {
    const settings = this.config.clusters.find(
      c => c.name === cluster,
    )?.islands;
    if (!settings)
      throw new ConflictError(
        `cluster ${cluster} has no island port range (clusters[].islands.ports)`,
      );
    return settings;
  }

  /**
   * Refuses a name whose namespace exists in the cluster and is not Archipelago's for that
   * name, before anything is recorded. The apply step checks again (with the environment's
   * id); this only answers early. An unreachable cluster leaves the check to that step.
   */
  private async checkNamespaceFree(
    cluster: string,
    namespace: string,
    name: string,
  ) {
    const taken = await this.store.getByNamespace(cluster, namespace);
    if (taken)
      throw new ConflictError(
        `name: namespace ${namespace} on cluster ${cluster} belongs to live environment "${taken.name}"`,
      );
    const client = this.reconciler.cluster(cluster)?.client;
    if (!client) return;
    const o = await client
      .namespaceOwnership(namespace, { id: '', name })
      .catch(() => undefined);
    if (o?.owned === 'theirs')
      throw new ConflictError(
        `name: namespace ${namespace} already exists on cluster ${cluster} and ${o.reason}; Archipelago never takes over a namespace it did not make. Choose another name.`,
      );
  }

  async create(input: unknown, caller: Caller | string) {
    const who = callerOf(caller);
    const { spec, services, cluster, baseId, expiresAt, placement } =
      await this.validate(withNameFromBranch(input), new Date(), who);
    const namespace = `${this.config.namespacePrefix}${spec.name}`;
    const load = await this.store.ownerLoad(spec.owner);
    if (load.environments >= this.config.limits.environmentsPerOwner)
      throw new ConflictError(
        `owner: ${spec.owner} already has ${load.environments} live environments (environments.limits.environmentsPerOwner is ${this.config.limits.environmentsPerOwner}); destroy one first`,
      );
    this.checkQueued(spec.owner, load.queued);
    if (
      await this.store.getEnvironment(spec.name).then(e => e && !e.destroyedAt)
    )
      throw new ConflictError(
        `name: an environment named "${spec.name}" already exists`,
      );
    await this.checkNamespaceFree(cluster, namespace, spec.name);
    // Secret values leave the spec here: it, and every revision, holds only references.
    const { spec: stored, values } = extractSecretValues(spec);
    const islandServices = services.filter(
      svc => svc.island && svc.island.count > 0,
    );
    const result = await this.store.createEnvironment({
      spec: stored,
      secretValues: values,
      hosts: hostsOf(services),
      islands: islandServices.map(svc => ({
        service: svc.name,
        portNames: svc.island!.ports,
        count: svc.island!.count,
        settings: this.islandSettings(cluster),
      })),
      services,
      cluster,
      namespace,
      baseId,
      createdBy: who.ref,
      expiresAt,
      placement,
    });
    this.onQueued(result.operation);
    return {
      environment: await this.view(result.environment),
      operation: result.operation,
    };
  }

  /**
   * PUT /environments/{name} (CI's way in): creates the environment when there is none,
   * records the spec as a new revision and queues an `apply` when it differs from the current
   * one, and does nothing when they match. Owner, purpose, cluster and base stay as created;
   * island services change through their own operations.
   */
  async apply(
    name: string,
    input: unknown,
    caller: Caller | string,
    /**
     * Whether the caller may change this environment (the update permission), asked whenever
     * it turns out to exist: it may have been created since the route looked.
     */
    mayUpdate: () => Promise<boolean> = async () => true,
  ): Promise<{
    environment: Environment;
    operation?: OperationRecord;
    created: boolean;
  }> {
    if (!input || typeof input !== 'object' || Array.isArray(input))
      throw new ValidationError([
        { path: '', message: 'must be an environment spec (an object)' },
      ]);
    const given = (input as { name?: unknown }).name;
    if (given !== undefined && given !== name)
      throw new ValidationError([
        {
          path: 'name',
          message: `is ${JSON.stringify(
            given,
          )}, but the request is for environment "${name}": leave it out, or make them the same`,
        },
      ]);
    const request = { ...input, name };
    return this.inTurn(name, async () => {
      for (let attempt = 1; ; attempt++) {
        const existing = await this.store.getEnvironment(name);
        if (!existing || existing.destroyedAt) {
          try {
            const created = await this.create(request, caller);
            return { ...created, created: true };
          } catch (e) {
            // Another replica created it meanwhile: apply to what it made.
            const raced =
              e instanceof ConflictError &&
              /already exists$/.test(e.message) &&
              attempt < CHANGE_ATTEMPTS;
            if (!raced) throw e;
            continue;
          }
        }
        if (!(await mayUpdate()))
          throw new NotAllowedError(
            `You may not update environment "${name}" (environments.environment.update)`,
          );
        try {
          const operation = await this.applyTo(existing, request, caller);
          return {
            environment: await this.view(await this.live(name)),
            operation,
            created: false,
          };
        } catch (e) {
          if (!(e instanceof EnvironmentChangedError)) throw e;
          await computeAgain(name, attempt, 'apply');
        }
      }
    });
  }

  /** The operation that makes `env` hold `request`, or undefined when it already does. */
  private async applyTo(
    env: EnvironmentRecord,
    request: Record<string, unknown>,
    caller: Caller | string,
  ): Promise<OperationRecord | undefined> {
    const who = callerOf(caller);
    // The owner cannot change (refused below, by field): whether the caller may own
    // environments for it is the update permission's question, asked already.
    const asUpdater: Caller = { ...who, mayOwn: async () => true };
    // A spec that names no cluster is for the environment's own.
    const { spec, services, cluster, baseId, expiresAt } = await this.validate(
      { ...request, cluster: request.cluster ?? env.cluster },
      new Date(),
      asUpdater,
      env.id,
    );
    if (request.cluster === undefined) delete spec.cluster;
    const fixed: FieldError[] = [];
    const keep = (field: string, now: unknown, was: unknown) => {
      if ((now ?? null) !== (was ?? null))
        fixed.push({
          path: field,
          message: `is ${JSON.stringify(was ?? null)} for ${
            env.name
          } and cannot change by an apply (asked: ${JSON.stringify(
            now ?? null,
          )}); destroy the environment and create it again`,
        });
    };
    keep('owner', spec.owner, env.owner);
    keep('purpose', spec.purpose, env.purpose);
    keep('cluster', cluster, env.cluster);
    // A base destroyed under its dependant (orphaned) is left out of the spec from then on.
    const baseGone =
      !!env.baseId &&
      !(await this.store
        .getEnvironmentById(env.baseId)
        .then(b => b && !b.destroyedAt));
    if (!(baseGone && spec.base === undefined))
      keep('base', spec.base, env.base);
    if (spec.base && spec.base === env.base && baseId !== env.baseId)
      fixed.push({
        path: 'base',
        message: `"${spec.base}" was destroyed and made again since ${env.name} was created; ${env.name} no longer falls back to it. Destroy ${env.name} and create it again`,
      });
    // Islands hold ids, ports and registrations: they change through island-add and
    // island-remove, which say what becomes of each.
    const countOf = (list: ResolvedService[] | undefined, svc: string) =>
      list?.find(s => s.name === svc && s.kind === 'island')?.island?.count;
    const heldIslands = await this.store.islands.list(env.id);
    const islandNames = new Set(
      [...services, ...(env.services ?? [])]
        .filter(s => s.kind === 'island')
        .map(s => s.name),
    );
    for (const svc of islandNames) {
      const now = countOf(services, svc);
      const was = countOf(env.services, svc);
      const live = heldIslands.filter(x => x.service === svc).length;
      const i = spec.services.findIndex(s => s.name === svc);
      const message = islandChange(svc, was, now, live);
      if (message)
        fixed.push({
          path: i >= 0 ? `services[${i}].island.count` : 'services',
          message,
        });
    }
    if (fixed.length) throw new ValidationError(fixed);
    const { spec: stored, values } = extractSecretValues(spec);
    // The cluster named or left out is the same cluster (checked above): keep it as stored.
    if (env.spec.cluster === undefined) delete stored.cluster;
    else stored.cluster = env.spec.cluster;
    const destroying = (await this.store.queue.listOperations(env.id, 20)).find(
      o =>
        (o.type === 'destroy' || o.type === 'expire') &&
        (o.status === 'pending' || o.status === 'running'),
    );
    if (destroying)
      throw new ConflictError(
        `Environment "${env.name}" is being destroyed (operation ${destroying.id})`,
      );
    // A value given replaces the one held; a reference to one held (a spec read back from
    // GET and sent again) keeps it; one no longer referenced goes.
    const held = await this.store.getSecretValues(env.id);
    const secretValues: Record<string, string> = {};
    for (const k of managedSecretKeys(stored)) {
      const value = k in values ? values[k] : held[k];
      if (value !== undefined) secretValues[k] = value;
    }
    const secretsChanged = canonical(secretValues) !== canonical(held);
    if (canonical(stored) === canonical(env.spec) && !secretsChanged) {
      // The same spec again after its operation failed (a CI job run again): try it again,
      // rather than answer that nothing is to be done.
      const [last] = await this.store.queue.listOperations(env.id, 1);
      if (
        last?.status !== 'failed' ||
        ['destroy', 'expire'].includes(last.type)
      )
        return undefined;
      this.checkQueued(
        env.owner,
        (await this.store.ownerLoad(env.owner)).queued,
      );
      const retry = await this.store.requestOperation(
        env.name,
        {
          type: 'apply',
          requestedBy: who.ref,
          params: { changed: [], retries: last.id },
        },
        { basedOn: env.updatedAt },
      );
      this.onQueued(retry);
      return retry;
    }
    this.checkQueued(env.owner, (await this.store.ownerLoad(env.owner)).queued);
    const lifetimeChanged =
      (stored.ttl ?? null) !== (env.spec.ttl ?? null) ||
      (stored.expiresAt ?? null) !== (env.spec.expiresAt ?? null);
    const names = new Set(stored.services.map(s => s.name));
    // A service whose request did not change keeps the definition its revision pinned, as in
    // a deploy of the others: a catalog edit reaches it at its own next change.
    const before = new Map(env.spec.services.map(r => [r.name, canonical(r)]));
    const pinned = services.map(
      r =>
        (before.get(r.name) ===
          canonical(stored.services.find(x => x.name === r.name)) &&
          env.services?.find(p => p.name === r.name)) ||
        r,
    );
    // Secret values reach pods as environment variables: a service whose values changed
    // restarts, or it would keep the old ones.
    const secretRestarts = [
      ...new Set(
        Object.keys({ ...held, ...secretValues })
          .filter(k => held[k] !== secretValues[k])
          .map(k => k.slice(0, k.indexOf('.')))
          .filter(svc => names.has(svc)),
      ),
    ];
    const at = new Date().toISOString();
    const op = await this.store.requestOperation(
      env.name,
      {
        type: 'apply',
        requestedBy: who.ref,
        params: { changed: specChanges(env.spec, stored) },
      },
      {
        spec: stored,
        services: pinned,
        hosts: hostsOf(pinned),
        revisionReason: `apply: ${
          [
            ...specChanges(env.spec, stored),
            ...secretRestarts.map(svc => `${svc} secrets`),
          ].join(', ') || 'order of services'
        }`,
        ...(secretRestarts.length
          ? {
              restartedAt: {
                ...env.restartedAt,
                ...Object.fromEntries(secretRestarts.map(svc => [svc, at])),
              },
            }
          : {}),
        ...(secretsChanged ? { secretValues } : {}),
        // A service the spec no longer has is neither stopped nor restarted.
        ...(env.stopped.some(s => !names.has(s))
          ? { stopped: env.stopped.filter(s => names.has(s)) }
          : {}),
        ...(lifetimeChanged ? { expiresAt: expiresAt ?? null } : {}),
        basedOn: env.updatedAt,
      },
    );
    this.onQueued(op);
    return op;
  }

  /** Validates and renders without touching the cluster, and reports whether it would fit. */
  async dryRun(request: unknown, caller: Caller | string = 'system') {
    const { spec, services, cluster, baseId, placement } = await this.validate(
      withNameFromBranch(request),
      new Date(),
      caller,
    );
    if (
      await this.store.getEnvironment(spec.name).then(e => e && !e.destroyedAt)
    ) {
      throw new ConflictError(
        `name: an environment named "${spec.name}" already exists`,
      );
    }
    const namespace = `${this.config.namespacePrefix}${spec.name}`;
    await this.checkNamespaceFree(cluster, namespace, spec.name);
    const record = this.draftRecord(spec, services, cluster, baseId);
    const { spec: stored, values } = extractSecretValues(spec);
    const input = {
      ...(await this.reconciler.renderInput(record)),
      secretValues: values,
    };
    const objects = renderEnvironment(input);
    let capacity: { fits: boolean; message: string };
    try {
      capacity = {
        fits: true,
        message: await this.reconciler.checkCapacity(record, input, objects),
      };
    } catch (e) {
      if (!(e instanceof PermanentError)) throw e;
      capacity = { fits: false, message: e.message };
    }
    return {
      spec: stored,
      cluster,
      ...(placement ? { placement } : {}),
      namespace,
      objects: objects.map(o => ({
        apiVersion: o.apiVersion,
        kind: o.kind,
        name: o.metadata.name,
        namespace: o.metadata.namespace,
      })),
      keys: objects.map(manifestKey),
      capacity,
    };
  }

  /** Turns an operation request into a desired-state change plus its operation. */
  async requestOperation(
    name: string,
    body: unknown,
    user: string,
  ): Promise<OperationRecord> {
    const parsed = operationRequestSchema.safeParse(body);
    if (!parsed.success)
      throw new ValidationError(
        toFieldErrors(parsed.error),
        'Invalid operation',
      );
    // Two requests at once (two releases, a deploy and a stop) are each computed from the
    // environment as it is when recorded: neither overwrites the other. In one backend they
    // take turns per environment; a change another replica recorded meanwhile makes this
    // one compute again.
    return this.inTurn(name, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.requestParsed(name, parsed.data, user);
        } catch (e) {
          if (!(e instanceof EnvironmentChangedError)) throw e;
          await computeAgain(name, attempt, 'operation');
        }
      }
    });
  }

  /** Runs fn after the calls before it for the same environment, in this backend. */
  private inTurn<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const before = this.turns.get(name) ?? Promise.resolve();
    const mine = before.then(fn, fn);
    const tail = mine.then(
      () => undefined,
      () => undefined,
    );
    this.turns.set(name, tail);
    void tail.then(() => {
      if (this.turns.get(name) === tail) this.turns.delete(name);
    });
    return mine;
  }

  private async requestParsed(
    name: string,
    req: OperationRequest,
    user: string,
  ): Promise<OperationRecord> {
    const env = await this.live(name);
    this.checkQueued(env.owner, (await this.store.ownerLoad(env.owner)).queued);
    const known = new Set(env.spec.services.map(s => s.name));
    const unknown = (list: string[] | undefined, field: string): FieldError[] =>
      (list ?? []).flatMap((s, i) =>
        known.has(s)
          ? []
          : [
              {
                path: `${field}[${i}]`,
                message: `"${s}" is not a service of ${name}`,
              },
            ],
      );
    let op: OperationRecord;
    // Every change is computed from the environment as read above: if another one was
    // recorded meanwhile, the store refuses it and requestOperation computes it again.
    const record = (
      n: string,
      o: Parameters<EnvironmentStore['requestOperation']>[1],
      c: DesiredStateChange = {},
    ) => this.store.requestOperation(n, o, { ...c, basedOn: env.updatedAt });
    switch (req.type) {
      case 'deploy': {
        const errors = unknown(
          req.services.map(s => s.name),
          'services',
        ).map(e => ({ ...e, path: `${e.path}.name` }));
        if (errors.length)
          throw new ValidationError(errors, 'Invalid operation');
        const changes = new Map(req.services.map(s => [s.name, s]));
        // A version released beside the primary one becomes it by a promote, not a deploy.
        const released = req.services.flatMap((c, i) => {
          const svc = env.services?.find(p => p.name === c.name);
          const beside = svc?.versions?.find(
            v => v.version === c.version || (c.image && v.image === c.image),
          );
          return beside
            ? [
                {
                  path: `services[${i}].${c.image ? 'image' : 'version'}`,
                  message: `"${beside.version}" runs beside the primary version of ${c.name} as a release: promote it (release-promote), or abort it first`,
                },
              ]
            : [];
        });
        if (released.length)
          throw new ValidationError(released, 'Invalid operation');
        const spec: EnvironmentSpec = {
          ...env.spec,
          services: env.spec.services.map(s => {
            const c = changes.get(s.name);
            if (!c) return s;
            const next = { ...s };
            if (c.image) {
              // The image names its own version (its tag).
              next.image = c.image;
              delete next.version;
            } else delete next.image;
            if (c.version) next.version = c.version;
            return next;
          }),
        };
        const { lookup } = await this.definitions.lookup();
        const resolved = resolveServices(
          spec,
          lookup,
          await baseConfigOf(env.baseId, this.store),
        );
        if (!resolved.success)
          throw new ValidationError(resolved.errors, 'Invalid operation');
        const index = new Map(req.services.map((s, i) => [s.name, i]));
        const reach = await this.reachErrors(
          env.cluster,
          resolved.value.filter(r => changes.has(r.name)),
          env.id,
          service => `services[${index.get(service)}]`,
        );
        if (reach.length) throw new ValidationError(reach, 'Invalid operation');
        // Only the deployed services take their current definitions; the others stay as
        // their revision pinned them, so a deploy of one service changes only it.
        const services = resolved.value.map(
          r =>
            (!changes.has(r.name) &&
              env.services?.find(p => p.name === r.name)) ||
            r,
        );
        op = await record(
          name,
          { type: 'deploy', requestedBy: user, params: req },
          {
            spec,
            services,
            hosts: hostsOf(services),
            revisionReason: `deploy ${req.services
              .map(s => `${s.name}@${s.version ?? s.image}`)
              .join(', ')}`,
          },
        );
        break;
      }
      case 'release-start':
      case 'release-weight':
      case 'release-promote':
      case 'release-abort': {
        const [change] = await this.releaseChange(env, req);
        op = await record(
          name,
          { type: req.type, requestedBy: user, params: req },
          change,
        );
        break;
      }
      case 'stop':
      case 'start': {
        const errors = unknown(req.services, 'services');
        if (errors.length)
          throw new ValidationError(errors, 'Invalid operation');
        const targets = req.services ?? [...known];
        const stopped =
          req.type === 'stop'
            ? [...env.stopped, ...targets]
            : env.stopped.filter(s => !targets.includes(s));
        op = await record(
          name,
          { type: req.type, requestedBy: user, params: req },
          {
            stopped,
            // Islands come back as new Pods (their old ones exited with the stop).
            ...(req.type === 'start'
              ? {
                  islands: {
                    relaunch: await this.islandServices(
                      env,
                      targets.filter(t => env.stopped.includes(t)),
                    ),
                  },
                }
              : {}),
          },
        );
        // A start wakes an environment that sleep stopped (sleep/): fully once every service
        // sleep stopped runs again; until then it stays asleep with the others.
        if (req.type === 'start' && env.asleep)
          await this.store.wake(
            env.id,
            env.asleep.services.filter(s => !targets.includes(s)),
          );
        break;
      }
      case 'restart': {
        const errors = unknown(req.services, 'services');
        if (errors.length)
          throw new ValidationError(errors, 'Invalid operation');
        const at = new Date().toISOString();
        const restartedAt = { ...env.restartedAt };
        for (const s of req.services ?? [...known]) restartedAt[s] = at;
        op = await record(
          name,
          { type: 'restart', requestedBy: user, params: req },
          {
            restartedAt,
            // An island's Pod is never patched: a restart gives each a new one.
            islands: {
              relaunch: await this.islandServices(
                env,
                req.services ?? [...known],
              ),
            },
          },
        );
        break;
      }
      case 'rollback': {
        const revision = await this.store.getRevision(env.id, req.revision);
        if (!revision)
          throw new ValidationError(
            [
              {
                path: 'revision',
                message: `${name} has no revision ${req.revision}`,
              },
            ],
            'Invalid operation',
          );
        if (req.revision === env.revision)
          throw new ValidationError(
            [
              {
                path: 'revision',
                message: `revision ${req.revision} is already the current one`,
              },
            ],
            'Invalid operation',
          );
        // The services as they were then (a rollback restores the definitions too); a
        // revision from before pinning resolves with today's definitions, as it would render.
        let restored = revision.services;
        if (!restored) {
          const { lookup } = await this.definitions.lookup();
          const resolvedThen = resolveServices(revision.spec, lookup);
          if (!resolvedThen.success)
            throw new ValidationError(
              resolvedThen.errors.map(e => ({
                path: 'revision',
                message: `revision ${req.revision} no longer resolves: ${e.path}: ${e.message}`,
              })),
              'Invalid operation',
            );
          restored = resolvedThen.value;
        }
        // What the cluster's policy allows today applies to what comes back.
        const reach = await this.reachErrors(env.cluster, restored, env.id);
        if (reach.length)
          throw new ValidationError(
            reach.map(e => ({
              path: 'revision',
              message: `revision ${req.revision}: ${e.path}: ${e.message}`,
            })),
            'Invalid operation',
          );
        op = await record(
          name,
          { type: 'rollback', requestedBy: user, params: req },
          {
            spec: revision.spec,
            services: revision.services,
            hosts: hostsOf(restored),
            revisionReason: `rollback to revision ${req.revision}`,
          },
        );
        break;
      }
      case 'extend': {
        const until = extendedExpiry(
          env.expiresAt,
          req.ttl,
          this.config.purposes[env.spec.purpose],
          new Date(),
        );
        op = await record(
          name,
          {
            type: 'extend',
            requestedBy: user,
            params: { ...req, expiresAt: until.toISOString() },
          },
          { expiresAt: until },
        );
        break;
      }
      case 'island-add': {
        const svc = (await this.reconciler.services(env)).find(
          r => r.name === req.service,
        );
        if (!svc || svc.kind !== 'island')
          throw new ValidationError(
            [
              {
                path: 'service',
                message: svc
                  ? `"${req.service}" is a ${svc.kind} service, not an island service`
                  : `"${req.service}" is not a service of ${name}`,
              },
            ],
            'Invalid operation',
          );
        const held = (await this.store.islands.list(env.id)).filter(
          i => i.service === svc.name,
        ).length;
        if (held + req.count > ISLAND_LIMITS.perService)
          throw new ValidationError(
            [
              {
                path: 'count',
                message: `${svc.name} has ${held} islands; ${req.count} more would pass the ${ISLAND_LIMITS.perService} one service may hold`,
              },
            ],
            'Invalid operation',
          );
        // Refused now, with the numbers, when the islands cannot fit the environment's quota
        // or the cluster: the operation would only fail at its capacity step.
        const input = await this.reconciler.renderInput(env);
        const extra = Array.from({ length: req.count }, (_, k) => ({
          id: -1 - k,
          service: svc.name,
          ports: {},
          desired: 'running' as const,
          launch: 1,
          launched: 0,
        }));
        try {
          await this.reconciler.checkCapacity(env, {
            ...input,
            islands: [...(input.islands ?? []), ...extra],
          });
        } catch (e) {
          if (e instanceof PermanentError)
            throw new ConflictError(`count: ${e.message}`);
          // The capacity watch is not ready: the operation's own check decides.
        }
        op = await record(
          name,
          { type: req.type, requestedBy: user, params: req },
          {
            islands: {
              add: {
                service: svc.name,
                portNames: svc.island!.ports,
                count: req.count,
                settings: this.islandSettings(env.cluster),
              },
            },
          },
        );
        break;
      }
      case 'island-stop':
      case 'island-start':
      case 'island-restart':
      case 'island-remove': {
        const island = await this.liveIsland(env, req.island);
        if (req.type === 'island-start' && island.desired !== 'stopped')
          throw new ConflictError(
            `island: island ${island.id} is not stopped; restart it to give it a new Pod (a Down or Lost island comes back that way)`,
          );
        const desired = (
          {
            'island-stop': 'stopped',
            'island-remove': 'removed',
            'island-start': 'running',
            'island-restart': 'running',
          } as const
        )[req.type];
        op = await record(
          name,
          {
            type: req.type,
            requestedBy: user,
            params: { ...req, service: island.service },
          },
          {
            islands: {
              update: {
                uid: island.uid,
                desired,
                // Start and restart are a new launch: a new Pod with the same id and ports.
                bumpLaunch:
                  req.type === 'island-restart' ||
                  (req.type === 'island-start' &&
                    island.launched >= island.launch),
              },
            },
          },
        );
        break;
      }
      case 'clock': {
        if (req.island !== undefined) {
          const island = await this.liveIsland(env, req.island);
          op = await record(
            name,
            { type: 'clock', requestedBy: user, params: req },
            { islands: { update: { uid: island.uid, clock: req.clock } } },
          );
        } else {
          // The environment's clock is part of its spec: a new revision records it.
          // {} is real time, stated: it wins over a service's default clock too.
          const spec: EnvironmentSpec = { ...env.spec, clock: req.clock ?? {} };
          op = await record(
            name,
            { type: 'clock', requestedBy: user, params: req },
            {
              spec,
              services: env.services,
              clockSet: true,
              revisionReason: `clock: ${describeClock(spec.clock)}`,
            },
          );
        }
        break;
      }
      default:
        throw new InputError('Unknown operation');
    }
    this.onQueued(op);
    return op;
  }

  /** Which of these services are island services. */
  private async islandServices(env: EnvironmentRecord, names: string[]) {
    return (await this.reconciler.services(env))
      .filter(r => r.kind === 'island' && names.includes(r.name))
      .map(r => r.name);
  }

  /** One island of the environment that is not removed, or a 404 naming it. */
  private async liveIsland(env: EnvironmentRecord, id: number) {
    const island = await this.store.islands.get(env.id, id);
    if (!island || island.desired === 'removed')
      throw new NotFoundError(
        `island: ${env.name} has no island ${id}${
          island ? ' (it was removed)' : ''
        }`,
      );
    return island;
  }

  /**
   * Queues the destroy of an environment. One with live dependants is refused unless the
   * request says what becomes of them: `orphan` repairs each so that it stops falling back to
   * this one, `destroy` destroys them too (mayDestroy says whether the caller may).
   */
  async destroy(
    name: string,
    user: string,
    type: 'destroy' | 'expire' = 'destroy',
    options: {
      dependants?: DependantsPolicy;
      mayDestroy?: (name: string) => Promise<boolean>;
    } = {},
  ) {
    const env = await this.live(name);
    const dependants = await this.store.listDependants(env.id);
    const policy =
      options.dependants ?? (type === 'expire' ? 'orphan' : 'refuse');
    if (dependants.length && policy === 'refuse')
      throw new ConflictError(
        `dependants: ${name} is the base of ${dependants
          .map(d => d.name)
          .join(
            ', ',
          )}. Choose what becomes of them: orphan (they stay, and stop falling back to it) or destroy (they are destroyed too)`,
      );
    // With `destroy`, every environment below this one at any depth, in the order they are
    // destroyed, with the dependants of each; all are checked before anything is queued, so a
    // refusal half way down leaves nothing half destroyed.
    const tree: Array<{
      env: EnvironmentRecord;
      of?: string;
      below: string[];
    }> = [{ env, below: dependants.map(d => d.name) }];
    if (policy === 'destroy') {
      const seen = new Set([env.id]);
      for (let i = 0; i < tree.length; i++) {
        const parent = tree[i].env;
        const below =
          i === 0 ? dependants : await this.store.listDependants(parent.id);
        tree[i].below = below.map(d => d.name);
        for (const d of below) {
          if (seen.has(d.id)) continue;
          seen.add(d.id);
          tree.push({ env: d, of: parent.name, below: [] });
        }
      }
      for (const { env: d, of } of tree.slice(1)) {
        if (options.mayDestroy && !(await options.mayDestroy(d.name)))
          throw new NotAllowedError(
            `dependants: you may not destroy ${d.name}, a dependant of ${of} (environments.environment.delete)`,
          );
      }
    }
    // Orphans are repaired once the base is gone (the reconciler queues that, see destroy in
    // Reconciler.ts): their fallbacks and chain labels then go.
    let op: OperationRecord | undefined;
    for (const [i, { env: e, below }] of tree.entries()) {
      const queued = await this.store.requestOperation(e.name, {
        type: i === 0 ? type : 'destroy',
        requestedBy: user,
        params: below.length
          ? { dependants: policy, dependantNames: below }
          : {},
      });
      this.onQueued(queued);
      op ??= queued;
    }
    return op!;
  }

  async live(name: string): Promise<EnvironmentRecord> {
    const env = await this.store.getEnvironment(name);
    if (!env || env.destroyedAt)
      throw new NotFoundError(`No environment named "${name}"`);
    return env;
  }

  async get(name: string): Promise<EnvironmentRecord> {
    const env = await this.store.getEnvironment(name);
    if (!env) throw new NotFoundError(`No environment named "${name}"`);
    return env;
  }

  list(filter: ListFilter) {
    return this.store.listEnvironments(filter);
  }

  /** The clusters, as this backend's watches see them. */
  clusters() {
    return this.reconciler.clusterStates();
  }

  private snapshot(env: EnvironmentRecord) {
    return this.reconciler.cluster(env.cluster).cache.snapshot(env.namespace);
  }

  /** Status from the watch cache and the operations given, or the latest 20 read now. */
  async status(env: EnvironmentRecord, recent?: OperationRecord[]) {
    const ops = recent ?? (await this.store.queue.listOperations(env.id, 20));
    return {
      status: deriveStatus(
        env,
        env.destroyedAt ? emptySnapshot() : this.snapshot(env),
        ops,
      ),
      ops,
    };
  }

  /** The API view of an environment; status comes from the watch cache, not the API server. */
  async view(env: EnvironmentRecord): Promise<Environment> {
    return (await this.views([env]))[0];
  }

  /**
   * The API views of many environments, with two queries in all (their operations, their
   * bases) however many there are: the list, and the catalog provider reading it, cost the
   * database the same for one environment as for a thousand.
   */
  async views(envs: EnvironmentRecord[]): Promise<Environment[]> {
    if (!envs.length) return [];
    // One environment's read is the common case: its own, simpler query.
    const recent =
      envs.length === 1
        ? new Map([
            [envs[0].id, await this.store.queue.listOperations(envs[0].id, 20)],
          ])
        : await this.store.queue.recentOperations(
            envs.map(e => e.id),
            20,
          );
    const baseIds = [
      ...new Set(envs.flatMap(e => (e.baseId ? [e.baseId] : []))),
    ];
    const bases = new Map(
      (await this.store.getEnvironmentsByIds(baseIds)).map(b => [b.id, b]),
    );
    return Promise.all(
      envs.map(async env => {
        const { status, ops } = await this.status(
          env,
          recent.get(env.id) ?? [],
        );
        return this.viewOf(env, status, ops, bases.get(env.baseId ?? ''));
      }),
    );
  }

  private viewOf(
    env: EnvironmentRecord,
    status: EnvironmentStatus,
    ops: OperationRecord[],
    base: EnvironmentRecord | undefined,
  ): Environment {
    // The base it falls back to now: none once that base is destroyed (a namesake made later
    // is a stranger).
    return {
      name: env.name,
      title: env.title,
      owner: env.owner,
      purpose: env.spec.purpose,
      cluster: env.cluster,
      namespace: env.namespace,
      base: base && !base.destroyedAt ? base.name : undefined,
      labels: env.spec.labels ?? {},
      revision: env.revision,
      spec: env.spec,
      stopped:
        env.stopped.length > 0 &&
        env.stopped.length >= env.spec.services.length,
      createdAt: env.createdAt.toISOString(),
      updatedAt: env.updatedAt.toISOString(),
      createdBy: env.createdBy,
      expiresAt: env.expiresAt?.toISOString(),
      destroyedAt: env.destroyedAt?.toISOString(),
      ...(env.asleep && {
        asleep: {
          since: env.asleep.since.toISOString(),
          services: env.asleep.services,
        },
      }),
      status,
      lastOperation: stripInternal(ops[0]),
      ...(!env.destroyedAt && {
        clusterUnreachable: this.reconciler.unreachable(env.cluster),
      }),
    };
  }

  pods(env: EnvironmentRecord) {
    return env.destroyedAt ? [] : podViews(this.snapshot(env));
  }

  events(env: EnvironmentRecord) {
    return env.destroyedAt ? [] : eventViews(this.snapshot(env));
  }

  async operations(env: EnvironmentRecord) {
    return (await this.store.queue.listOperations(env.id)).map(stripInternal);
  }

  async operation(env: EnvironmentRecord, id: string) {
    const op = await this.store.queue.getOperation(id);
    if (!op || op.environmentId !== env.id)
      throw new NotFoundError(`No operation ${id} on ${env.name}`);
    return stripInternal(op);
  }

  /** Revisions as the API shows them: the pinned services stay inside. */
  async revisions(
    env: EnvironmentRecord,
    page: { limit?: number; before?: number } = {},
  ) {
    const limit = page.limit ?? 100;
    const rows = await this.store.listRevisions(env.id, {
      limit: limit + 1,
      before: page.before,
    });
    const items = rows
      .slice(0, limit)
      .map(({ services: _s, ...revision }) => revision);
    return rows.length > limit
      ? { items, nextBefore: items[items.length - 1].revision }
      : { items };
  }

  /** Instances, what the bases answer for, and how the registrars are doing. */
  /** The environment's islands as observed: state and reason, node, connect addresses, clock. */
  async islands(env: EnvironmentRecord): Promise<IslandView[]> {
    const islands = await this.store.islands.list(env.id, {
      includeRemoved: true,
    });
    const snapshot = env.destroyedAt ? emptySnapshot() : this.snapshot(env);
    const services = await this.reconciler.services(env).catch(() => []);
    const registered = new Set(
      (await this.store.registry.listRegistry(env.name))
        .filter(e => e.island !== undefined && e.ready)
        .map(e => e.island),
    );
    return islands
      .filter(
        i =>
          i.desired !== 'removed' ||
          snapshot.pods.some(
            p => p.metadata?.labels?.[ISLAND_LABEL] === String(i.id),
          ),
      )
      .map(i =>
        islandView(i, {
          env,
          snapshot,
          service: services.find(s => s.name === i.service),
          registered: registered.has(i.id),
        }),
      );
  }

  /** The cluster's island port ledger. */
  async islandLedger(cluster: string): Promise<IslandLedger> {
    if (!this.config.clusters.some(c => c.name === cluster))
      throw new NotFoundError(
        `cluster: "${cluster}" is not a configured cluster`,
      );
    const settings = this.islandSettings(cluster);
    const claims = await this.store.islands.claims(cluster);
    const total = settings.ports.to - settings.ports.from + 1;
    const used = claims.filter(
      c => c.port >= settings.ports.from && c.port <= settings.ports.to,
    ).length;
    const holders = new Map<number, IslandLedger['holders'][number]>();
    for (const c of claims) {
      const h = holders.get(c.island) ?? {
        island: c.island,
        environment: c.environment,
        service: c.service,
        ports: [],
        removed: c.removed,
      };
      h.ports.push(c.port);
      holders.set(c.island, h);
    }
    return {
      cluster,
      range: settings.ports,
      total,
      used,
      free: total - used,
      nearlyExhausted: total - used <= Math.max(3, total * 0.1),
      holders: [...holders.values()],
    };
  }

  async registry(env: EnvironmentRecord) {
    const { fallbacks } = await this.fallbacks(env);
    const resolved = [];
    for (const f of fallbacks) {
      const answer = await this.resolve(env.name, f.service).catch(
        () => undefined,
      );
      if (answer) resolved.push(answer);
    }
    return {
      items: await this.store.registry.listRegistry(env.name),
      resolved,
      registrars: await this.store.registry.registrarStatus(env.name),
    };
  }

  /** The container whose log is read: the one asked for, or the pod's first. */
  logContainer(pod: PodView, requested?: string): string {
    const container = requested ?? pod.containers[0]?.name;
    if (!container || !pod.containers.some(c => c.name === container))
      throw new InputError(
        `container: ${
          pod.name
        } has no container "${container}" (${pod.containers
          .map(c => c.name)
          .join(', ')})`,
      );
    return container;
  }

  /**
   * Streams a pod's log through the API server of the environment's cluster. A refusal the
   * API server answers 4xx (no previous container, a container not started yet) is the
   * request's: an InputError naming what to change; anything else, ServiceUnavailable.
   */
  async streamLogs(
    env: EnvironmentRecord,
    pod: string,
    container: string,
    out: Writable,
    options: Parameters<ClusterClient['streamLogs']>[4],
  ) {
    // Reading its logs is using it: sleep/ waits for sleepAfter from now.
    void this.markUsed(env).catch(() => undefined);
    try {
      return await this.reconciler
        .cluster(env.cluster)
        .client.streamLogs(env.namespace, pod, container, out, options);
    } catch (e) {
      const message = errorMessage(e);
      const refused = `the API server refused the log request for ${pod}/${container}: ${
        message.split('\n')[0]
      }`;
      if (/HTTP-Code: 4\d\d/.test(message))
        throw new InputError(
          options.previous
            ? `previous: ${refused} (a previous log exists only once the container has restarted)`
            : `container: ${refused}`,
        );
      throw new ServiceUnavailableError(
        refused.charAt(0).toUpperCase() + refused.slice(1),
      );
    }
  }

  /** Someone used the environment: its logs, its terminal (sleep/ counts from then). */
  markUsed(env: EnvironmentRecord) {
    return this.store.markUsed(env.id);
  }

  /** A TTY exec in a pod's container of the environment (the web terminal, terminal/). */
  exec(
    env: EnvironmentRecord,
    target: { pod: string; container: string },
    command: string[],
    handlers: ExecHandlers,
  ) {
    return execInContainer(
      this.reconciler.cluster(env.cluster).client.kc,
      { namespace: env.namespace, ...target },
      command,
      handlers,
    );
  }

  async fallbacks(env: EnvironmentRecord) {
    return fallbacksOf(env, this.store);
  }

  /**
   * Each service's env values and config files as the current revision pinned them, where
   * each comes from (definition, a base, this environment), and what a deploy of the service
   * would change now that its definition or a base may have moved on.
   */
  async configOf(env: EnvironmentRecord): Promise<EnvironmentConfig> {
    const pinned = await this.reconciler.services(env);
    const { lookup } = await this.definitions.lookup();
    const bases = await baseConfigOf(env.baseId, this.store);
    const now = resolveServices(env.spec, lookup, bases);
    const nextOf = new Map(
      now.success ? now.value.map(s => [s.name, s] as const) : [],
    );
    const { chain } = await liveBases(env, this.store);
    const entries = (
      have: Record<string, string>,
      next: Record<string, string> | undefined,
      sources: Record<string, ConfigSource> | undefined,
      nextSources: Record<string, ConfigSource> | undefined,
      own: Set<string>,
    ): ConfigEntry[] => {
      const source = (name: string): ConfigSource =>
        sources?.[name] ??
        (own.has(name) ? { from: 'environment' } : { from: 'definition' });
      const names = [
        ...new Set([...Object.keys(have), ...Object.keys(next ?? {})]),
      ].sort();
      return names.map(name => {
        const entry: ConfigEntry = { name };
        if (name in have) {
          entry.value = have[name];
          entry.source = source(name);
        }
        if (next && next[name] !== have[name])
          entry.next = {
            ...(name in next ? { value: next[name] } : {}),
            ...(nextSources?.[name] ? { source: nextSources[name] } : {}),
          };
        return entry;
      });
    };
    const files = (list: Array<{ path: string; content: string }>) =>
      Object.fromEntries(list.map(f => [f.path, f.content]));
    return {
      revision: env.revision,
      ...(chain[0] ? { base: chain[0].name } : {}),
      ...(now.success ? {} : { deployProblems: now.errors }),
      services: pinned.map(svc => {
        const req = env.spec.services.find(r => r.name === svc.name);
        const next = nextOf.get(svc.name);
        const inheritConfig = req?.inheritConfig !== false;
        const from = inheritConfig ? bases?.(svc.name)?.environment : undefined;
        const env_ = entries(
          svc.env,
          next?.env,
          svc.origins?.env,
          next?.origins?.env,
          new Set(Object.keys(req?.env ?? {})),
        );
        const configFiles = entries(
          files(svc.configFiles),
          next && files(next.configFiles),
          svc.origins?.configFiles,
          next?.origins?.configFiles,
          new Set((req?.configFiles ?? []).map(f => f.path)),
        );
        return {
          name: svc.name,
          inheritConfig,
          ...(from ? { inheritsFrom: from } : {}),
          env: env_,
          configFiles,
          secrets: Object.entries(svc.secrets ?? {}).map(([name, ref]) => ({
            name,
            secret: ref.name,
            key: ref.key,
          })),
          changedSinceDeploy: [...env_, ...configFiles].some(e => e.next),
        };
      }),
    };
  }

  /** The environment's alerts as a caller sees them (alerts/api.ts). */
  alerts(env: EnvironmentRecord, caller: string) {
    return alertsView(this.store, this.config, env, caller);
  }

  /** Replaces the environment's own alert rules and channels; invalid input stores nothing. */
  async setAlerts(env: EnvironmentRecord, body: unknown, by: string) {
    const settings = parseAlertSettings(this.config, body);
    await this.store.alerts.setSettings(env.id, settings, by);
    return this.alerts(env, by);
  }

  /** A user starts or stops watching an environment's alerts. */
  async watch(env: EnvironmentRecord, user: string, on: boolean) {
    if (on) await this.store.alerts.watch(env.id, user);
    else await this.store.alerts.unwatch(env.id, user);
    return this.alerts(env, user);
  }

  /** The topology; `known` is the environment's status when the caller has just derived it. */
  async topology(env: EnvironmentRecord, known?: EnvironmentStatus) {
    const status = known ?? (await this.status(env)).status;
    const { fallbacks } = await this.fallbacks(env);
    const baseStatuses = new Map<
      string,
      Awaited<ReturnType<EnvironmentsService['status']>>['status']
    >();
    for (const f of fallbacks) {
      if (!baseStatuses.has(f.environment)) {
        const b = await this.store.getEnvironment(f.environment);
        if (b) baseStatuses.set(f.environment, (await this.status(b)).status);
      }
    }
    // Dependencies usually come from the service definitions: draw the revision's pinned
    // services (for revisions from before pinning, the definitions resolve live).
    const services = await this.reconciler.services(env).catch(() => undefined);
    const drawn: EnvironmentRecord = services
      ? {
          ...env,
          spec: {
            ...env.spec,
            services: services.map(r => ({
              name: r.name,
              kind: r.kind,
              version: r.version,
              dependsOn: r.dependsOn,
            })),
          },
        }
      : env;
    return deriveTopology(
      drawn,
      status,
      fallbacks,
      this.config.clusterDomain,
      (e, service) =>
        baseStatuses.get(e)?.services.find(s => s.name === service),
    );
  }

  /** Resolves (environment, service) to instances, falling back through bases (seed 001). */
  async resolve(name: string, service: string): Promise<ResolveResult> {
    const env = await this.live(name);
    const { chain: bases } = await liveBases(env, this.store);
    const chain = [env, ...bases];
    // The environment itself answers for any service of its own; a base, for its addressable ones.
    const answering = chain.find((e, i) =>
      i === 0
        ? e.spec.services.some(s => s.name === service)
        : addressableServices(e).includes(service),
    );
    const walked = chain
      .slice(0, answering ? chain.indexOf(answering) + 1 : chain.length)
      .map(e => e.name);
    if (!answering)
      throw new NotFoundError(
        walked.length === 1
          ? `${walked[0]} does not run a service named "${service}", and has no base that does`
          : `Neither ${walked.join(' nor ')} runs a service named "${service}"`,
      );
    const instances = (
      await this.store.registry.listRegistry(answering.name)
    ).filter(e => e.service === service && e.ready);
    return {
      environment: name,
      service,
      answeredBy: answering.name,
      chain: walked,
      address: `${service}.${answering.namespace}.svc.${this.config.clusterDomain}`,
      instances,
    };
  }
}

export function stripInternal<
  T extends
    | {
        environmentId?: string;
        cluster?: string;
        lockedBy?: string;
        waiting?: boolean;
      }
    | undefined,
>(op: T) {
  if (!op) return undefined;
  const {
    environmentId: _e,
    cluster: _c,
    lockedBy: _l,
    waiting: _w,
    ...rest
  } = op as any;
  return rest;
}
