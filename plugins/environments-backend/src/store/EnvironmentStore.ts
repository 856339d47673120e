import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '@backstage/errors';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { normalizeEntityRef } from '@archipelago/plugin-environments-common';
import { OperationQueue } from '../queue/OperationQueue';
import { RegistryStore } from '../registry/RegistryStore';
import { iso, isSqlite, json, toDate, toEnvironment } from './rows';
import {
  IslandRecord,
  IslandRequest,
  IslandStore,
  isIslandCollision,
} from '../islands/IslandStore';
import { AlertStore } from '../alerts/AlertStore';
import type {
  EnvironmentSpec,
  ResolvedService,
  Operation,
  OperationType,
  Revision,
} from '@archipelago/plugin-environments-common';

const migrationsDir = resolvePackagePath(
  '@archipelago/plugin-environments-backend',
  'migrations',
);

const hostTaken = (hosts: string[]) =>
  `services[].ingress.host: ${hosts.join(
    ', ',
  )} is already the host of another live environment on the cluster`;

/** The desired state of one environment, as stored. */
export interface EnvironmentRecord {
  id: string;
  name: string;
  cluster: string;
  namespace: string;
  owner: string;
  purpose: string;
  /** The base's name, as the spec gave it (for display). */
  base?: string;
  /** The base environment's id, fixed at create: a later namesake never becomes the base. */
  baseId?: string;
  /**
   * Made before namespaces carried the environment's id: its namespace may be recognised by
   * Archipelago's labels alone.
   */
  legacyNamespace?: boolean;
  title?: string;
  spec: EnvironmentSpec;
  revision: number;
  /** The current revision's services with their definitions merged in, pinned at deploy. */
  services?: ResolvedService[];
  stopped: string[];
  restartedAt: Record<string, string>;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
  expiresAt?: Date;
  destroyedAt?: Date;
  destroyReason?: string;
  /** When spec.clock was last set (a clock with a start runs from then). */
  clockSetAt?: Date;
  /** The last time someone read its logs or typed in its terminals (sleep/). */
  usedAt?: Date;
  /** While sleep has it stopped: since when, and the services it stopped. */
  asleep?: { since: Date; services: string[] };
}

export interface OperationRecord extends Operation {
  environmentId: string;
  cluster: string;
  lockedBy?: string;
  /** Only waiting for pods: holds no slot of the cluster's queue. */
  waiting?: boolean;
}

/** A revision as stored, with the services it pinned (internal: not part of the API). */
export interface StoredRevision extends Revision {
  services?: ResolvedService[];
}

export interface ListFilter {
  owners?: string[];
  purpose?: string;
  cluster?: string;
  q?: string;
  /** Only environments running a service of this component (a normalized entity ref). */
  component?: string;
  /** Only environments of this git branch (spec.branch). */
  branch?: string;
  includeDestroyed?: boolean;
}

/** An operation as requested. */
export interface OperationInput {
  type: OperationType;
  requestedBy: string;
  params: Record<string, unknown>;
}

/** What a mutation changes in the desired state, besides recording its operation. */
export interface DesiredStateChange {
  spec?: EnvironmentSpec;
  /** The services `spec` resolves to now; pinned with the new revision. */
  services?: ResolvedService[];
  revisionReason?: string;
  stopped?: string[];
  restartedAt?: Record<string, string>;
  expiresAt?: Date | null;
  /** The ingress hosts of the new services (with `services`): replace what it held. */
  hosts?: string[];
  /** Islands to add (ids and ports are claimed in the same transaction), or one to change. */
  islands?: {
    add?: Omit<IslandRequest, 'environmentId' | 'cluster'>;
    /** Start or restart of whole services: their running islands get a new launch (Pod). */
    relaunch?: string[];
    update?: {
      uid: string;
      desired?: IslandRecord['desired'];
      bumpLaunch?: boolean;
      clock?: IslandRecord['clock'] | null;
    };
  };
  /** spec.clock changed: a start runs from now. */
  clockSet?: boolean;
  /** With `spec`: the secret values it references, by Secret key (they replace what it held). */
  secretValues?: Record<string, string>;
  /**
   * The environment's updatedAt that the change was computed from: when another change was
   * recorded since, nothing is written and EnvironmentChangedError is thrown (the caller
   * computes again from the environment as it is now).
   */
  basedOn?: Date;
}

/** The environment changed after a change to it was computed: compute it again. */
export class EnvironmentChangedError extends Error {
  constructor(name: string) {
    super(`Environment "${name}" changed while this change was computed`);
  }
}

/**
 * Runs a transaction again when another one claimed the same island id or port first (the
 * unique indexes refused it); the next try sees what the other took.
 */
async function retryOnIslandCollision<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isIslandCollision(e) || attempt >= 20) throw e;
      await new Promise(r => setTimeout(r, Math.random() * 20 * attempt));
    }
  }
}

export class EnvironmentStore {
  static async create(knex: Knex, options: { skipMigrations?: boolean } = {}) {
    if (!options.skipMigrations) {
      await knex.migrate.latest({
        directory: migrationsDir,
        tableName: 'environments_knex_migrations',
      });
    }
    return new EnvironmentStore(knex);
  }

  readonly queue: OperationQueue;
  readonly registry: RegistryStore;
  readonly islands: IslandStore;
  readonly alerts: AlertStore;

  private readonly sqlite: boolean;

  constructor(private readonly db: Knex) {
    this.sqlite = isSqlite(db);
    this.queue = new OperationQueue(db);
    this.registry = new RegistryStore(db);
    this.islands = new IslandStore(db);
    this.alerts = new AlertStore(db);
  }

  // --- environments -------------------------------------------------------------------------

  /** Creates an environment, its first revision and its create operation, atomically. */
  async createEnvironment(input: {
    spec: EnvironmentSpec;
    /** The services pinned by the first revision; without them they resolve live. */
    services?: ResolvedService[];
    cluster: string;
    namespace: string;
    /** The id of the live environment spec.base names. */
    baseId?: string;
    /** Secret values by key of the environment's Secret; never part of the spec. */
    secretValues?: Record<string, string>;
    /** The ingress hosts its services use: no other live environment of the cluster may. */
    hosts?: string[];
    /** The islands its island services start with: ids and ports are claimed with it. */
    islands?: Array<Omit<IslandRequest, 'environmentId' | 'cluster'>>;
    createdBy: string;
    expiresAt?: Date;
    /** Why a create that named no cluster went to this one (placement), for the record. */
    placement?: string;
  }): Promise<{ environment: EnvironmentRecord; operation: OperationRecord }> {
    const now = new Date();
    const id = randomUUID();
    try {
      await retryOnIslandCollision(() =>
        this.db.transaction(async tx => {
          await tx('environments').insert({
            id,
            name: input.spec.name,
            cluster: input.cluster,
            namespace: input.namespace,
            owner: input.spec.owner,
            purpose: input.spec.purpose,
            base: input.spec.base ?? null,
            base_id: input.baseId ?? null,
            title: input.spec.title ?? null,
            spec: JSON.stringify(input.spec),
            services: input.services ? JSON.stringify(input.services) : null,
            revision: 1,
            stopped: '[]',
            restarted_at: '{}',
            created_by: input.createdBy,
            created_at: now,
            updated_at: now,
            expires_at: input.expiresAt ?? null,
            clock_set_at: input.spec.clock ? now : null,
          });
          await this.claimHosts(tx, id, input.cluster, input.hosts ?? []);
          for (const req of input.islands ?? [])
            await this.islands.allocate(
              tx,
              { ...req, environmentId: id, cluster: input.cluster },
              now,
            );
          const secrets = Object.entries(input.secretValues ?? {});
          if (secrets.length)
            await tx('environment_secrets').insert(
              secrets.map(([key, value]) => ({
                environment_id: id,
                key,
                value,
                updated_at: now,
              })),
            );
          await tx('environment_revisions').insert({
            environment_id: id,
            revision: 1,
            spec: JSON.stringify(input.spec),
            services: input.services ? JSON.stringify(input.services) : null,
            reason: input.placement ? `create: ${input.placement}` : 'create',
            created_by: input.createdBy,
            created_at: now,
          });
          await this.insertOperation(
            tx,
            { id, name: input.spec.name, cluster: input.cluster },
            {
              type: 'create',
              requestedBy: input.createdBy,
              params: input.placement ? { placement: input.placement } : {},
              revision: 1,
              now,
            },
          );
        }),
      );
    } catch (e) {
      if (e instanceof ConflictError) throw e;
      if (isUniqueViolation(e) && /environment_hosts/.test(String(e))) {
        throw new ConflictError(hostTaken(input.hosts ?? []));
      }
      if (isUniqueViolation(e)) {
        const named = await this.db('environments')
          .where({ name: input.spec.name })
          .whereNull('destroyed_at')
          .first('id');
        throw new ConflictError(
          named
            ? `name: an environment named "${input.spec.name}" already exists`
            : `name: namespace ${input.namespace} on cluster ${input.cluster} already belongs to a live environment`,
        );
      }
      throw e;
    }
    const environment = (await this.getEnvironment(input.spec.name))!;
    const [operation] = await this.queue.listOperations(environment.id, 1);
    return { environment, operation };
  }

  /**
   * Records a mutation: optionally a new immutable revision and other desired-state changes,
   * plus the operation that makes the cluster match. Refuses while the environment is being
   * destroyed, so nothing is lost or resurrected.
   */
  async requestOperation(
    name: string,
    op: OperationInput,
    change: DesiredStateChange = {},
  ): Promise<OperationRecord> {
    const recorded = await retryOnIslandCollision(() =>
      this.recordOperation(name, op, change),
    ).catch(e => {
      if (isUniqueViolation(e) && /environment_hosts/.test(String(e)))
        throw new ConflictError(hostTaken(change.hosts ?? []));
      throw e;
    });
    if (!recorded)
      throw new ConflictError(
        `Environment "${name}" has an operation under way`,
      );
    return recorded;
  }

  private async recordOperation(
    name: string,
    op: OperationInput,
    change: DesiredStateChange = {},
  ): Promise<OperationRecord | undefined> {
    const opId = await this.db.transaction(async tx => {
      // The row is locked until commit (PostgreSQL; SQLite has one writer), so the check
      // below and the write after it are one step: two replicas cannot both pass it.
      const query = tx('environments')
        .where({ name })
        .whereNull('destroyed_at');
      const row = await (this.sqlite ? query : query.forUpdate()).first();
      if (!row) throw new NotFoundError(`No environment named "${name}"`);
      const previous = toDate(row.updated_at)?.getTime() ?? 0;
      if (change.basedOn && previous !== change.basedOn.getTime())
        throw new EnvironmentChangedError(name);
      // updated_at only ever grows, so it tells every change apart, even two in one
      // millisecond.
      const now = new Date(Math.max(Date.now(), previous + 1));
      const destroying = await tx('environment_operations')
        .where({ environment_id: row.id })
        .whereIn('type', ['destroy', 'expire'])
        .whereIn('status', ['pending', 'running'])
        .first();
      if (destroying) {
        throw new ConflictError(
          `Environment "${name}" is being destroyed (operation ${destroying.id})`,
        );
      }
      if (op.type === 'repair') {
        // A repair is only for an environment nobody is changing: it never queues behind,
        // or ahead of, a person's operation.
        const busy = await tx('environment_operations')
          .where({ environment_id: row.id })
          .whereIn('status', ['pending', 'running'])
          .first();
        if (busy) return undefined;
      }
      if (op.type === 'destroy' || op.type === 'expire') {
        // Destroy supersedes what is queued, and stops what is running (a create still
        // waiting for pods, say): nothing of it matters once the namespace is gone.
        await tx('environment_operations')
          .where({ environment_id: row.id, status: 'pending' })
          .update({
            status: 'failed',
            error: `cancelled: superseded by ${op.type}`,
            finished_at: now,
          });
        await tx('environment_operations')
          .where({ environment_id: row.id, status: 'running' })
          .update({ cancel_requested: true });
      }
      const updates: Record<string, unknown> = { updated_at: now };
      let revision: number | undefined;
      if (change.hosts)
        await this.claimHosts(tx, row.id, row.cluster, change.hosts);
      if (change.spec) {
        revision = row.revision + 1;
        updates.spec = JSON.stringify(change.spec);
        updates.services = change.services
          ? JSON.stringify(change.services)
          : null;
        updates.revision = revision;
        updates.title = change.spec.title ?? null;
        await tx('environment_revisions').insert({
          environment_id: row.id,
          revision,
          spec: JSON.stringify(change.spec),
          services: change.services ? JSON.stringify(change.services) : null,
          reason: change.revisionReason ?? op.type,
          created_by: op.requestedBy,
          created_at: now,
        });
      }
      if (change.secretValues) {
        await tx('environment_secrets')
          .where({ environment_id: row.id })
          .delete();
        const secrets = Object.entries(change.secretValues);
        if (secrets.length)
          await tx('environment_secrets').insert(
            secrets.map(([key, value]) => ({
              environment_id: row.id,
              key,
              value,
              updated_at: now,
            })),
          );
      }
      if (change.stopped)
        updates.stopped = JSON.stringify([...new Set(change.stopped)].sort());
      if (change.restartedAt)
        updates.restarted_at = JSON.stringify(change.restartedAt);
      if (change.expiresAt !== undefined) updates.expires_at = change.expiresAt;
      if (change.clockSet) updates.clock_set_at = now;
      let params = op.params;
      if (change.islands?.add) {
        const added = await this.islands.allocate(
          tx,
          {
            ...change.islands.add,
            environmentId: row.id,
            cluster: row.cluster,
          },
          now,
        );
        // The operation names what it added: it gives them back if it fails before they run.
        params = { ...params, islands: added.map(i => i.id) };
      }
      if (change.islands?.relaunch?.length)
        await tx('environment_islands')
          .where({ environment_id: row.id, desired: 'running' })
          .whereIn('service', change.islands.relaunch)
          .update({ launch: tx.raw('launch + 1') });
      if (change.islands?.update)
        await this.islands.update(tx, change.islands.update.uid, {
          ...change.islands.update,
          now,
        });
      await tx('environments').where({ id: row.id }).update(updates);
      return this.insertOperation(
        tx,
        { id: row.id, name, cluster: row.cluster },
        {
          ...op,
          params,
          revision:
            revision ??
            (op.type === 'destroy' || op.type === 'expire'
              ? undefined
              : row.revision),
          now,
        },
      );
    });
    return opId === undefined ? undefined : this.queue.getOperation(opId);
  }

  /**
   * Queues a drift repair, unless the environment has an unfinished operation (which will
   * converge it anyway). Undefined when nothing was queued.
   */
  async requestRepair(
    name: string,
    drift: string[],
  ): Promise<OperationRecord | undefined> {
    return this.recordOperation(name, {
      type: 'repair',
      requestedBy: 'system:archipelago-reconciler',
      params: { drift },
    });
  }

  private async insertOperation(
    tx: Knex.Transaction,
    env: { id: string; name: string; cluster: string },
    op: {
      type: OperationType;
      requestedBy: string;
      params: Record<string, unknown>;
      revision?: number;
      now: Date;
    },
  ): Promise<string> {
    const id = randomUUID();
    await tx('environment_operations').insert({
      id,
      environment_id: env.id,
      environment: env.name,
      cluster: env.cluster,
      type: op.type,
      status: 'pending',
      requested_by: op.requestedBy,
      params: JSON.stringify(op.params),
      revision: op.revision ?? null,
      steps: '[]',
      attempts: 0,
      created_at: op.now,
    });
    return id;
  }

  async getEnvironment(name: string): Promise<EnvironmentRecord | undefined> {
    const live = await this.db('environments')
      .where({ name })
      .whereNull('destroyed_at')
      .first();
    const row =
      live ??
      (await this.db('environments')
        .where({ name })
        .orderBy('created_at', 'desc')
        .first());
    return row ? toEnvironment(row) : undefined;
  }

  async getEnvironmentById(id: string): Promise<EnvironmentRecord | undefined> {
    const row = await this.db('environments').where({ id }).first();
    return row ? toEnvironment(row) : undefined;
  }

  /** Environments by id, destroyed ones included, in one query per 500 ids. */
  async getEnvironmentsByIds(ids: string[]): Promise<EnvironmentRecord[]> {
    const out: EnvironmentRecord[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.db('environments').whereIn(
        'id',
        ids.slice(i, i + 500),
      );
      out.push(...rows.map(toEnvironment));
    }
    return out;
  }

  /** The ingress hosts other live environments of a cluster hold, with their names. */
  async heldHosts(
    cluster: string,
    except?: string,
  ): Promise<Array<{ host: string; environment: string }>> {
    return this.db('environment_hosts as h')
      .join('environments as e', 'e.id', 'h.environment_id')
      .where('h.cluster', cluster)
      .whereNull('e.destroyed_at')
      .modify(q => (except ? q.whereNot('h.environment_id', except) : q))
      .select('h.host as host', 'e.name as environment');
  }

  /** Records the environment's ingress hosts, replacing what it held; fails on a taken host. */
  private async claimHosts(
    tx: Knex.Transaction,
    id: string,
    cluster: string,
    hosts: string[],
  ) {
    await tx('environment_hosts').where({ environment_id: id }).delete();
    const unique = [...new Set(hosts)];
    if (unique.length)
      await tx('environment_hosts').insert(
        unique.map(host => ({ cluster, host, environment_id: id })),
      );
  }

  /** A subquery for whereNotExists: the environment has a destroy or expire pending or running. */
  private readonly beingDestroyed = (b: Knex.QueryBuilder) =>
    b
      .select(this.db.raw('1'))
      .from('environment_operations as o')
      .whereRaw('o.environment_id = environments.id')
      .whereIn('o.type', ['destroy', 'expire'])
      .whereIn('o.status', ['pending', 'running']);

  /** The live environments whose base is this one, but those already being destroyed. */
  async listDependants(id: string): Promise<EnvironmentRecord[]> {
    const rows = await this.db('environments')
      .where({ base_id: id })
      .whereNull('destroyed_at')
      .whereNotExists(this.beingDestroyed)
      .orderBy('name');
    return rows.map(r => toEnvironment(r));
  }

  /** How many live environments an owner has, and how many operations wait on them. */
  async ownerLoad(
    owner: string,
  ): Promise<{ environments: number; queued: number }> {
    const envs = await this.db('environments')
      .where({ owner })
      .whereNull('destroyed_at')
      .count({ n: '*' })
      .first();
    const ops = await this.db('environment_operations as o')
      .join('environments as e', 'e.id', 'o.environment_id')
      .where('e.owner', owner)
      .where('o.status', 'pending')
      .count({ n: '*' })
      .first();
    return { environments: Number(envs?.n ?? 0), queued: Number(ops?.n ?? 0) };
  }

  /** The live environment holding a namespace of a cluster, if any. */
  async getByNamespace(
    cluster: string,
    namespace: string,
  ): Promise<EnvironmentRecord | undefined> {
    const row = await this.db('environments')
      .where({ cluster, namespace })
      .whereNull('destroyed_at')
      .first();
    return row ? toEnvironment(row) : undefined;
  }

  async listEnvironments(
    filter: ListFilter = {},
  ): Promise<EnvironmentRecord[]> {
    const q = this.db('environments').orderBy('name');
    if (!filter.includeDestroyed) q.whereNull('destroyed_at');
    if (filter.owners?.length) q.whereIn('owner', filter.owners);
    if (filter.purpose) q.where({ purpose: filter.purpose });
    if (filter.cluster) q.where({ cluster: filter.cluster });
    if (filter.q) {
      const like = `%${filter.q.toLocaleLowerCase('en-US')}%`;
      q.where(b =>
        b
          .whereRaw('LOWER(name) LIKE ?', [like])
          .orWhereRaw('LOWER(title) LIKE ?', [like])
          .orWhereRaw('LOWER(spec) LIKE ?', [like]),
      );
    }
    let envs = (await q).map(r => toEnvironment(r));
    if (filter.branch) {
      // The spec column holds it (a row of its own would be worth it at thousands).
      envs = envs.filter(e => e.spec.branch === filter.branch);
    }
    const component = filter.component;
    if (!component) return envs;
    return envs.filter(e =>
      e.spec.services.some(
        s =>
          normalizeEntityRef(s.component ?? s.name, 'component') === component,
      ),
    );
  }

  async markDestroyed(id: string, reason: 'destroy' | 'expire'): Promise<void> {
    const now = new Date();
    await this.db.transaction(async tx => {
      await tx('environments').where({ id }).whereNull('destroyed_at').update({
        destroyed_at: now,
        updated_at: now,
        destroy_reason: reason,
      });
      // Its secret values and its ingress hosts go with it.
      await tx('environment_secrets').where({ environment_id: id }).delete();
      await tx('environment_hosts').where({ environment_id: id }).delete();
    });
  }

  /** Its namespace carries its id now: labels alone no longer make a namespace its own. */
  async clearLegacyNamespace(id: string): Promise<void> {
    await this.db('environments')
      .where({ id })
      .update({ legacy_namespace: false });
  }

  /** The secret values of an environment, by key of its Secret. */
  async getSecretValues(id: string): Promise<Record<string, string>> {
    const rows = await this.db('environment_secrets')
      .where({ environment_id: id })
      .select('key', 'value');
    return Object.fromEntries(rows.map(r => [r.key, r.value]));
  }

  /**
   * Deletes the revisions of environments destroyed before `cutoff` (their current spec stays
   * on the environment, for the history of what ran). Returns how many were deleted.
   */
  async purgeDestroyedRevisions(cutoff: Date): Promise<number> {
    return this.db('environment_revisions')
      .whereIn(
        'environment_id',
        this.db('environments')
          .whereNotNull('destroyed_at')
          .where('destroyed_at', '<', cutoff)
          .select('id'),
      )
      .delete();
  }

  // --- sleep ------------------------------------------------------------------------------

  /**
   * Someone used the environment (read its logs, typed in a terminal). Written at most once
   * a minute per environment: a busy terminal costs the database next to nothing.
   */
  async markUsed(id: string, now = new Date()): Promise<void> {
    await this.db('environments')
      .where({ id })
      .where(b =>
        b
          .whereNull('used_at')
          .orWhere('used_at', '<', new Date(now.getTime() - 60_000)),
      )
      .update({ used_at: now });
  }

  /**
   * Live, awake environments nobody has used for their `sleepAfter` (`windowOf`, in seconds;
   * 0 never sleeps; `minWindowSeconds` is the shortest any has): no operation asked by a
   * person (system:* ones do not count), no log read, no terminal keystroke since, and
   * nothing queued or running.
   */
  async listSleepy(
    windowOf: (env: EnvironmentRecord) => number,
    minWindowSeconds: number,
    now = new Date(),
  ): Promise<Array<EnvironmentRecord & { idleSince: Date }>> {
    if (minWindowSeconds <= 0) return [];
    const cutoff = new Date(now.getTime() - minWindowSeconds * 1000);
    const lastAsked = this.db('environment_operations as o')
      .max('o.created_at')
      .whereRaw('o.environment_id = environments.id')
      .whereNot('o.requested_by', 'like', 'system:%')
      .as('last_asked');
    const rows = await this.db('environments')
      .select('environments.*', lastAsked)
      .whereNull('destroyed_at')
      .whereNull('asleep_since')
      .where('created_at', '<=', cutoff)
      .where(b => b.whereNull('used_at').orWhere('used_at', '<=', cutoff))
      .whereNotExists(b =>
        b
          .select(this.db.raw('1'))
          .from('environment_operations as p')
          .whereRaw('p.environment_id = environments.id')
          .whereIn('p.status', ['pending', 'running']),
      );
    return rows.flatMap(r => {
      const env = toEnvironment(r);
      const idleSince = new Date(
        Math.max(
          env.createdAt.getTime(),
          env.usedAt?.getTime() ?? 0,
          toDate(r.last_asked)?.getTime() ?? 0,
        ),
      );
      const window = windowOf(env);
      return window > 0 && now.getTime() - idleSince.getTime() >= window * 1000
        ? [{ ...env, idleSince }]
        : [];
    });
  }

  /**
   * Marks an environment asleep with the services sleep stops: true for exactly one caller,
   * across replicas, until it wakes.
   */
  async claimSleep(
    id: string,
    services: string[],
    now = new Date(),
  ): Promise<boolean> {
    const n = await this.db('environments')
      .where({ id })
      .whereNull('destroyed_at')
      .whereNull('asleep_since')
      .update({ asleep_since: now, asleep_services: JSON.stringify(services) });
    return n === 1;
  }

  /**
   * It is awake (started again, or its sleep could not be queued); or, with `stillAsleep`,
   * some of the services sleep stopped were started and these still sleep.
   */
  async wake(id: string, stillAsleep: string[] = []): Promise<void> {
    await this.db('environments')
      .where({ id })
      .update(
        stillAsleep.length
          ? { asleep_services: JSON.stringify(stillAsleep) }
          : { asleep_since: null, asleep_services: null },
      );
  }

  /** Live environments past their expiry with no destroy or expire already queued. */
  async listExpired(now = new Date()): Promise<EnvironmentRecord[]> {
    const rows = await this.db('environments')
      .whereNull('destroyed_at')
      .whereNotNull('expires_at')
      .where('expires_at', '<=', now)
      .whereNotExists(this.beingDestroyed);
    return rows.map(r => toEnvironment(r));
  }

  // --- revisions --------------------------------------------------------------------------------

  /** Revisions newest first; a page of `limit` older than `before` when given. */
  async listRevisions(
    environmentId: string,
    page: { limit?: number; before?: number } = {},
  ): Promise<StoredRevision[]> {
    const env = await this.getEnvironmentById(environmentId);
    const q = this.db('environment_revisions')
      .where({ environment_id: environmentId })
      .orderBy('revision', 'desc');
    if (page.before !== undefined) q.where('revision', '<', page.before);
    if (page.limit !== undefined) q.limit(page.limit);
    const rows = await q;
    return rows.map(r => ({
      environment: env?.name ?? '',
      revision: r.revision,
      spec: json(r.spec, {} as EnvironmentSpec),
      services: json(r.services, undefined),
      reason: r.reason,
      createdBy: r.created_by,
      createdAt: iso(r.created_at)!,
    }));
  }

  async getRevision(
    environmentId: string,
    revision: number,
  ): Promise<StoredRevision | undefined> {
    const [found] = await this.listRevisions(environmentId, {
      before: revision + 1,
      limit: 1,
    });
    return found?.revision === revision ? found : undefined;
  }
}

function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return (
    err?.code === '23505' ||
    err?.code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    /UNIQUE constraint failed/.test(err?.message ?? '')
  );
}
