import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '@backstage/errors';
import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { normalizeEntityRef } from '@archipelago/plugin-environments-common';
import type {
  EnvironmentSpec,
  ResolvedService,
  Operation,
  OperationState,
  OperationStep,
  OperationType,
  RegistryEntry,
  Revision,
} from '@archipelago/plugin-environments-common';

const migrationsDir = resolvePackagePath(
  '@archipelago/plugin-environments-backend',
  'migrations',
);

/** The desired state of one environment, as stored. */
export interface EnvironmentRecord {
  id: string;
  name: string;
  cluster: string;
  namespace: string;
  owner: string;
  purpose: string;
  base?: string;
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
  includeDestroyed?: boolean;
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
}

const toDate = (v: unknown): Date | undefined => {
  if (v === null || v === undefined) return undefined;
  return v instanceof Date ? v : new Date(v as any);
};
const iso = (v: unknown) => toDate(v)?.toISOString();
const json = <T>(v: unknown, fallback: T): T =>
  typeof v === 'string' ? JSON.parse(v) : (v as T) ?? fallback;

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

  constructor(private readonly db: Knex) {}

  // --- environments -------------------------------------------------------------------------

  /** Creates an environment, its first revision and its create operation, atomically. */
  async createEnvironment(input: {
    spec: EnvironmentSpec;
    /** The services pinned by the first revision; without them they resolve live. */
    services?: ResolvedService[];
    cluster: string;
    namespace: string;
    createdBy: string;
    expiresAt?: Date;
  }): Promise<{ environment: EnvironmentRecord; operation: OperationRecord }> {
    const now = new Date();
    const id = randomUUID();
    try {
      await this.db.transaction(async tx => {
        await tx('environments').insert({
          id,
          name: input.spec.name,
          cluster: input.cluster,
          namespace: input.namespace,
          owner: input.spec.owner,
          purpose: input.spec.purpose,
          base: input.spec.base ?? null,
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
        });
        await tx('environment_revisions').insert({
          environment_id: id,
          revision: 1,
          spec: JSON.stringify(input.spec),
          services: input.services ? JSON.stringify(input.services) : null,
          reason: 'create',
          created_by: input.createdBy,
          created_at: now,
        });
        await this.insertOperation(
          tx,
          { id, name: input.spec.name, cluster: input.cluster },
          {
            type: 'create',
            requestedBy: input.createdBy,
            params: {},
            revision: 1,
            now,
          },
        );
      });
    } catch (e) {
      if (isUniqueViolation(e)) {
        throw new ConflictError(
          `An environment named "${input.spec.name}" already exists`,
        );
      }
      throw e;
    }
    const environment = (await this.getEnvironment(input.spec.name))!;
    const [operation] = await this.listOperations(environment.id, 1);
    return { environment, operation };
  }

  /**
   * Records a mutation: optionally a new immutable revision and other desired-state changes,
   * plus the operation that makes the cluster match. Refuses while the environment is being
   * destroyed, so nothing is lost or resurrected.
   */
  async requestOperation(
    name: string,
    op: {
      type: OperationType;
      requestedBy: string;
      params: Record<string, unknown>;
    },
    change: DesiredStateChange = {},
  ): Promise<OperationRecord> {
    const recorded = await this.recordOperation(name, op, change);
    if (!recorded)
      throw new ConflictError(
        `Environment "${name}" has an operation under way`,
      );
    return recorded;
  }

  private async recordOperation(
    name: string,
    op: {
      type: OperationType;
      requestedBy: string;
      params: Record<string, unknown>;
    },
    change: DesiredStateChange = {},
  ): Promise<OperationRecord | undefined> {
    const now = new Date();
    const opId = await this.db.transaction(async tx => {
      const row = await tx('environments')
        .where({ name })
        .whereNull('destroyed_at')
        .first();
      if (!row) throw new NotFoundError(`No environment named "${name}"`);
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
      if (change.spec) {
        revision = row.revision + 1;
        updates.spec = JSON.stringify(change.spec);
        updates.services = change.services
          ? JSON.stringify(change.services)
          : null;
        updates.revision = revision;
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
      if (change.stopped)
        updates.stopped = JSON.stringify([...new Set(change.stopped)].sort());
      if (change.restartedAt)
        updates.restarted_at = JSON.stringify(change.restartedAt);
      if (change.expiresAt !== undefined) updates.expires_at = change.expiresAt;
      await tx('environments').where({ id: row.id }).update(updates);
      return this.insertOperation(
        tx,
        { id: row.id, name, cluster: row.cluster },
        {
          ...op,
          revision:
            revision ??
            (op.type === 'destroy' || op.type === 'expire'
              ? undefined
              : row.revision),
          now,
        },
      );
    });
    return opId === undefined ? undefined : this.getOperation(opId);
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
    return row ? this.toEnvironment(row) : undefined;
  }

  async getEnvironmentById(id: string): Promise<EnvironmentRecord | undefined> {
    const row = await this.db('environments').where({ id }).first();
    return row ? this.toEnvironment(row) : undefined;
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
    const envs = (await q).map(r => this.toEnvironment(r));
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
    await this.db('environments')
      .where({ id })
      .whereNull('destroyed_at')
      .update({
        destroyed_at: now,
        updated_at: now,
        destroy_reason: reason,
      });
  }

  /** Live environments past their expiry with no destroy or expire already queued. */
  async listExpired(now = new Date()): Promise<EnvironmentRecord[]> {
    const rows = await this.db('environments')
      .whereNull('destroyed_at')
      .whereNotNull('expires_at')
      .where('expires_at', '<=', now)
      .whereNotExists(b =>
        b
          .select(this.db.raw('1'))
          .from('environment_operations as o')
          .whereRaw('o.environment_id = environments.id')
          .whereIn('o.type', ['destroy', 'expire'])
          .whereIn('o.status', ['pending', 'running']),
      );
    return rows.map(r => this.toEnvironment(r));
  }

  // --- revisions --------------------------------------------------------------------------------

  async listRevisions(environmentId: string): Promise<StoredRevision[]> {
    const env = await this.getEnvironmentById(environmentId);
    const rows = await this.db('environment_revisions')
      .where({ environment_id: environmentId })
      .orderBy('revision', 'desc');
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
    return (await this.listRevisions(environmentId)).find(
      r => r.revision === revision,
    );
  }

  // --- operations: the durable queue ----------------------------------------------------------

  async listOperations(
    environmentId: string,
    limit = 100,
  ): Promise<OperationRecord[]> {
    const rows = await this.db('environment_operations')
      .where({ environment_id: environmentId })
      .orderBy('seq', 'desc')
      .limit(limit);
    return rows.map(r => this.toOperation(r));
  }

  async getOperation(id: string): Promise<OperationRecord | undefined> {
    const row = await this.db('environment_operations').where({ id }).first();
    return row ? this.toOperation(row) : undefined;
  }

  /**
   * Claims the next runnable operation for this worker, or returns undefined. An operation is
   * runnable when it is pending (or running with an expired lease: its worker died), it is the
   * oldest unfinished operation of its environment, and its cluster has a free slot. The claim
   * is one conditional UPDATE, so two workers never claim the same operation.
   */
  async claimNext(
    workerId: string,
    options: { leaseMs: number; maxPerCluster: number; clusters?: string[] },
  ): Promise<OperationRecord | undefined> {
    const now = new Date();
    const candidates = await this.db('environment_operations as o')
      .where(b =>
        b
          .where('o.status', 'pending')
          .orWhere(b2 =>
            b2.where('o.status', 'running').where('o.locked_until', '<', now),
          ),
      )
      .where(b =>
        b.whereNull('o.not_before').orWhere('o.not_before', '<=', now),
      )
      .whereNotExists(b =>
        b
          .select(this.db.raw('1'))
          .from('environment_operations as p')
          .whereRaw('p.environment_id = o.environment_id')
          .whereIn('p.status', ['pending', 'running'])
          .whereRaw('p.seq < o.seq'),
      )
      .modify(q =>
        options.clusters ? q.whereIn('o.cluster', options.clusters) : q,
      )
      .orderBy('o.seq')
      .limit(20)
      .select('o.id', 'o.cluster');
    for (const c of candidates) {
      const running = await this.db('environment_operations')
        .where({ cluster: c.cluster, status: 'running', waiting: false })
        .where('locked_until', '>=', now)
        .count({ n: '*' })
        .first();
      if (Number(running?.n ?? 0) >= options.maxPerCluster) continue;
      const claimed = await this.db('environment_operations')
        .where({ id: c.id })
        .where(b =>
          b
            .where('status', 'pending')
            .orWhere(b2 =>
              b2.where('status', 'running').where('locked_until', '<', now),
            ),
        )
        .update({
          status: 'running',
          locked_by: workerId,
          locked_until: new Date(now.getTime() + options.leaseMs),
          attempts: this.db.raw('attempts + 1'),
          waiting: false,
          started_at: this.db.raw('COALESCE(started_at, ?)', [now]),
        });
      if (claimed === 1) return this.getOperation(c.id);
    }
    return undefined;
  }

  /**
   * Extends this worker's lease. 'lost' when another worker holds it now, 'cancelled' when a
   * destroy asked the operation to stop: either way the worker must stop before its next write.
   */
  async renewLease(
    id: string,
    workerId: string,
    leaseMs: number,
  ): Promise<'ok' | 'lost' | 'cancelled'> {
    const n = await this.db('environment_operations')
      .where({ id, locked_by: workerId, status: 'running' })
      .update({ locked_until: new Date(Date.now() + leaseMs) });
    if (n !== 1) return 'lost';
    return (await this.cancelRequested([id])).length ? 'cancelled' : 'ok';
  }

  /** Of these operations, the ones a destroy asked to stop. */
  async cancelRequested(ids: string[]): Promise<string[]> {
    if (!ids.length) return [];
    const rows = await this.db('environment_operations')
      .whereIn('id', ids)
      .where({ cancel_requested: true })
      .select('id');
    return rows.map(r => r.id);
  }

  /** Marks a running operation as only waiting for pods: its slot is free for others. */
  async setWaiting(id: string, workerId: string): Promise<void> {
    await this.db('environment_operations')
      .where({ id, locked_by: workerId, status: 'running' })
      .update({ waiting: true });
  }

  async saveSteps(
    id: string,
    workerId: string,
    steps: OperationStep[],
  ): Promise<void> {
    await this.db('environment_operations')
      .where({ id, locked_by: workerId })
      .update({ steps: JSON.stringify(steps) });
  }

  async finishOperation(
    id: string,
    workerId: string,
    result: {
      status: Extract<OperationState, 'succeeded' | 'failed'>;
      steps: OperationStep[];
      error?: string;
    },
  ): Promise<boolean> {
    const n = await this.db('environment_operations')
      .where({ id, locked_by: workerId, status: 'running' })
      .update({
        status: result.status,
        steps: JSON.stringify(result.steps),
        error: result.error ?? null,
        finished_at: new Date(),
        locked_until: null,
      });
    return n === 1;
  }

  /** Puts an operation back in the queue after a transient failure, to retry after a delay. */
  async retryLater(
    id: string,
    workerId: string,
    delayMs: number,
    steps: OperationStep[],
    error: string,
  ): Promise<void> {
    await this.db('environment_operations')
      .where({ id, locked_by: workerId, status: 'running' })
      .update({
        status: 'pending',
        locked_by: null,
        locked_until: null,
        not_before: new Date(Date.now() + delayMs),
        waiting: false,
        steps: JSON.stringify(steps),
        error,
      });
  }

  async unfinishedOperations(
    environmentId: string,
  ): Promise<OperationRecord[]> {
    const rows = await this.db('environment_operations')
      .where({ environment_id: environmentId })
      .whereIn('status', ['pending', 'running'])
      .orderBy('seq');
    return rows.map(r => this.toOperation(r));
  }

  // --- registry -------------------------------------------------------------------------------

  /**
   * Replaces the registry of one environment with what is observed now, and returns what
   * changed as registration events (register for new or changed, deregister for gone).
   */
  async syncRegistry(
    environment: string,
    observed: Omit<RegistryEntry, 'registeredAt' | 'updatedAt'>[],
  ) {
    const now = new Date();
    return this.db.transaction(async tx => {
      const existing = await tx('environment_registry').where({ environment });
      const key = (e: { service: string; instance: string }) =>
        `${e.service}/${e.instance}`;
      const before = new Map(existing.map(r => [key(r), r]));
      const events: Array<{
        action: 'register' | 'deregister';
        entry: RegistryEntry;
      }> = [];
      const seen = new Set<string>();
      for (const e of observed) {
        const k = key(e);
        seen.add(k);
        const prev = before.get(k);
        const ports = JSON.stringify(e.ports);
        const ready = !!e.ready;
        if (!prev) {
          await tx('environment_registry').insert({
            environment,
            service: e.service,
            instance: e.instance,
            version: e.version,
            address: e.address,
            ports,
            ready,
            node: e.node ?? null,
            registered_at: now,
            updated_at: now,
          });
          events.push({
            action: 'register',
            entry: {
              ...e,
              registeredAt: now.toISOString(),
              updatedAt: now.toISOString(),
            },
          });
        } else if (
          prev.version !== e.version ||
          prev.address !== e.address ||
          prev.ports !== ports ||
          !!prev.ready !== ready ||
          (prev.node ?? undefined) !== e.node
        ) {
          await tx('environment_registry')
            .where({ environment, service: e.service, instance: e.instance })
            .update({
              version: e.version,
              address: e.address,
              ports,
              ready,
              node: e.node ?? null,
              updated_at: now,
            });
          events.push({
            action: 'register',
            entry: {
              ...e,
              registeredAt: iso(prev.registered_at)!,
              updatedAt: now.toISOString(),
            },
          });
        }
      }
      for (const [k, prev] of before) {
        if (seen.has(k)) continue;
        await tx('environment_registry')
          .where({
            environment,
            service: prev.service,
            instance: prev.instance,
          })
          .delete();
        events.push({
          action: 'deregister',
          entry: this.toRegistryEntry(prev),
        });
      }
      return events;
    });
  }

  async listRegistry(environment: string): Promise<RegistryEntry[]> {
    const rows = await this.db('environment_registry')
      .where({ environment })
      .orderBy(['service', 'instance']);
    return rows.map(r => this.toRegistryEntry(r));
  }

  // --- registrar outbox -----------------------------------------------------------------------

  async enqueueRegistrations(
    registrars: string[],
    events: Array<{ key: string; environment: string; event: unknown }>,
  ) {
    if (!registrars.length || !events.length) return;
    const now = new Date();
    const rows = registrars.flatMap(registrar =>
      events.map(e => ({
        registrar,
        event_key: e.key,
        event: JSON.stringify(e.event),
        environment: e.environment,
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
      })),
    );
    await this.db('environment_registrar_outbox')
      .insert(rows)
      .onConflict(['registrar', 'event_key'])
      .ignore();
  }

  async dueRegistrations(limit = 50) {
    const rows = await this.db('environment_registrar_outbox')
      .whereNull('delivered_at')
      .where('next_attempt_at', '<=', new Date())
      .orderBy('id')
      .limit(limit);
    return rows.map(r => ({
      id: Number(r.id),
      registrar: r.registrar as string,
      event: JSON.parse(r.event),
      attempts: r.attempts as number,
    }));
  }

  async registrationDelivered(id: number) {
    await this.db('environment_registrar_outbox')
      .where({ id })
      .update({ delivered_at: new Date(), last_error: null });
  }

  async registrationFailed(id: number, error: string, retryInMs: number) {
    await this.db('environment_registrar_outbox')
      .where({ id })
      .update({
        attempts: this.db.raw('attempts + 1'),
        last_error: error.slice(0, 2000),
        next_attempt_at: new Date(Date.now() + retryInMs),
      });
  }

  /** Per registrar: undelivered events and the newest error, for the registry view. */
  async registrarStatus(environment: string) {
    const rows = await this.db('environment_registrar_outbox')
      .where({ environment })
      .whereNull('delivered_at')
      .select('registrar', 'last_error', 'attempts')
      .orderBy('id', 'desc');
    const out: Record<
      string,
      { pending: number; lastError?: string; attempts: number }
    > = {};
    for (const r of rows) {
      const s = (out[r.registrar] ??= { pending: 0, attempts: 0 });
      s.pending++;
      s.attempts = Math.max(s.attempts, r.attempts);
      if (!s.lastError && r.last_error) s.lastError = r.last_error;
    }
    return out;
  }

  // --- mapping --------------------------------------------------------------------------------

  private toEnvironment(r: any): EnvironmentRecord {
    return {
      id: r.id,
      name: r.name,
      cluster: r.cluster,
      namespace: r.namespace,
      owner: r.owner,
      purpose: r.purpose,
      base: r.base ?? undefined,
      title: r.title ?? undefined,
      spec: json(r.spec, {} as EnvironmentSpec),
      revision: r.revision,
      services: json(r.services, undefined),
      stopped: json(r.stopped, []),
      restartedAt: json(r.restarted_at, {}),
      createdBy: r.created_by,
      createdAt: toDate(r.created_at)!,
      updatedAt: toDate(r.updated_at)!,
      expiresAt: toDate(r.expires_at),
      destroyedAt: toDate(r.destroyed_at),
      destroyReason: r.destroy_reason ?? undefined,
    };
  }

  private toOperation(r: any): OperationRecord {
    return {
      id: r.id,
      environmentId: r.environment_id,
      environment: r.environment,
      cluster: r.cluster,
      type: r.type,
      status: r.status,
      requestedBy: r.requested_by,
      params: json(r.params, {}),
      revision: r.revision ?? undefined,
      steps: json(r.steps, []),
      error: r.error ?? undefined,
      attempts: r.attempts,
      lockedBy: r.locked_by ?? undefined,
      waiting: !!r.waiting,
      createdAt: iso(r.created_at)!,
      startedAt: iso(r.started_at),
      finishedAt: iso(r.finished_at),
    };
  }

  private toRegistryEntry(r: any): RegistryEntry {
    return {
      environment: r.environment,
      service: r.service,
      instance: r.instance,
      version: r.version,
      address: r.address,
      ports: json(r.ports, []),
      ready: !!r.ready,
      node: r.node ?? undefined,
      registeredAt: iso(r.registered_at)!,
      updatedAt: iso(r.updated_at)!,
    };
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
