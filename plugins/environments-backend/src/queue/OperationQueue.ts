/*
 * The operation queue, in the database: each environment's operations in request order, a
 * conditional claim so that every operation runs once across backend replicas, leases that a
 * live worker renews, waiting operations that hold no slot, and cancellation.
 *
 * The per-cluster cap. An operation holds a slot of its cluster while it is running, not only
 * waiting, and its lease is live. A claim (and the renewal of a lapsed lease) is one
 * conditional UPDATE whose WHERE counts the cluster's slot holders, so the count and the
 * claim are one statement. On PostgreSQL that alone is not enough: under READ COMMITTED two
 * UPDATEs of different rows run side by side, and both count the slots as they were before
 * either. So each one runs in a transaction that first locks the cluster's row of
 * environment_cluster_slots (inserted when missing, then SELECT ... FOR UPDATE): claims on one
 * cluster queue up behind each other, and each one's UPDATE, a new statement, sees the claims
 * committed before it. Claims on different clusters do not wait for each other. SQLite needs
 * no lock: it has one writer at a time, and the UPDATE counts and writes as one step.
 * Every transaction locks one cluster row before any operation row, and nothing locks an
 * operation row and then a cluster row, so the lock cannot deadlock.
 *
 * What else changes the count only lowers it: setWaiting, retryLater, finishOperation, and a
 * lease that lapses. A lease is extended only while it is live or its operation holds no slot
 * (waiting); a lapsed one, under the cluster lock, only if the cluster has a free slot, as a
 * new claim would.
 */
import type { Knex } from 'knex';
import type {
  OperationState,
  OperationStep,
} from '@archipelago/plugin-environments-common';
import type { OperationRecord } from '../store/EnvironmentStore';
import { isSqlite, toOperation } from '../store/rows';

/** Candidates looked at per claim, oldest first, on clusters with a free slot. */
const CANDIDATES = 20;

export class OperationQueue {
  private readonly sqlite: boolean;

  constructor(private readonly db: Knex) {
    this.sqlite = isSqlite(db);
  }

  async listOperations(
    environmentId: string,
    limit = 100,
  ): Promise<OperationRecord[]> {
    const rows = await this.db('environment_operations')
      .where({ environment_id: environmentId })
      .orderBy('seq', 'desc')
      .limit(limit);
    return rows.map(r => toOperation(r));
  }

  /**
   * The latest operations of many environments, `limit` each, in one query per 500
   * environments: a list or a sweep costs the database the same for 1 and 1,000.
   */
  async recentOperations(
    environmentIds: string[],
    limit = 20,
  ): Promise<Map<string, OperationRecord[]>> {
    const out = new Map<string, OperationRecord[]>(
      environmentIds.map(id => [id, []]),
    );
    for (let i = 0; i < environmentIds.length; i += 500) {
      const ids = environmentIds.slice(i, i + 500);
      const ranked = this.db('environment_operations')
        .whereIn('environment_id', ids)
        .select(
          '*',
          this.db.raw(
            'row_number() over (partition by environment_id order by seq desc) as recent',
          ),
        )
        .as('ranked');
      const rows = await this.db
        .from(ranked)
        .where('recent', '<=', limit)
        .orderBy([
          { column: 'environment_id' },
          { column: 'seq', order: 'desc' },
        ]);
      for (const r of rows) {
        const { recent: _recent, ...row } = r;
        out.get(row.environment_id)?.push(toOperation(row));
      }
    }
    return out;
  }

  async getOperation(id: string): Promise<OperationRecord | undefined> {
    const row = await this.db('environment_operations').where({ id }).first();
    return row ? toOperation(row) : undefined;
  }

  /**
   * Claims the next runnable operation for this worker, or returns undefined. An operation is
   * runnable when it is pending (or running with an expired lease: its worker died), due, and
   * the oldest unfinished operation of its environment; it is claimed if its cluster has a
   * free slot. The candidates are the oldest runnable operations of clusters that have a free
   * slot, so a full cluster's backlog never hides another cluster's work. Each claim is one
   * conditional UPDATE under the cluster's lock (see the top of this file): two workers never
   * claim the same operation, and a cluster never runs more than maxPerCluster at once.
   */
  async claimNext(
    workerId: string,
    options: { leaseMs: number; maxPerCluster: number; clusters?: string[] },
  ): Promise<OperationRecord | undefined> {
    const now = new Date();
    const candidates = await this.db('environment_operations as o')
      .where(b => this.runnable(b, 'o', now))
      .whereRaw('(?) < ?', [
        this.slotHolders(this.db, now).whereRaw('r.cluster = o.cluster'),
        options.maxPerCluster,
      ])
      .modify(q =>
        options.clusters ? q.whereIn('o.cluster', options.clusters) : q,
      )
      .orderBy('o.seq')
      .limit(CANDIDATES)
      .select('o.id', 'o.cluster');
    const full = new Set<string>();
    for (const c of candidates) {
      if (full.has(c.cluster)) continue;
      const result = await this.claimIn(c.cluster, c.id, workerId, options);
      if (result === 'claimed') return this.getOperation(c.id);
      if (result === 'full') full.add(c.cluster);
    }
    return undefined;
  }

  /**
   * Claims this operation for this worker if it is runnable and its cluster has a free slot:
   * one step of claimNext, atomic on its own.
   */
  async claim(
    id: string,
    workerId: string,
    options: { leaseMs: number; maxPerCluster: number },
  ): Promise<OperationRecord | undefined> {
    const row = await this.db('environment_operations')
      .where({ id })
      .first('cluster');
    if (!row) return undefined;
    const result = await this.claimIn(row.cluster, id, workerId, options);
    return result === 'claimed' ? this.getOperation(id) : undefined;
  }

  /** The claim itself: runnable and a free slot, checked and taken in one UPDATE. */
  private claimIn(
    cluster: string,
    id: string,
    workerId: string,
    options: { leaseMs: number; maxPerCluster: number },
  ): Promise<'claimed' | 'full' | 'taken'> {
    return this.inClusterLock(cluster, async tx => {
      const now = new Date();
      const n = await tx('environment_operations')
        .where({ id, cluster })
        .where(b => this.runnable(b, 'environment_operations', now))
        .whereRaw('(?) < ?', [
          this.slotHolders(tx, now).where('r.cluster', cluster),
          options.maxPerCluster,
        ])
        .update({
          status: 'running',
          locked_by: workerId,
          locked_until: new Date(now.getTime() + options.leaseMs),
          attempts: tx.raw('attempts + 1'),
          waiting: false,
          started_at: tx.raw('COALESCE(started_at, ?)', [now]),
        });
      if (n === 1) return 'claimed';
      // Not claimed: the cluster filled up since the candidates were read, or another worker
      // took this operation (or it finished, or was cancelled).
      const held = await this.slotHolders(tx, now)
        .where('r.cluster', cluster)
        .first();
      return Number(held?.n ?? 0) >= options.maxPerCluster ? 'full' : 'taken';
    });
  }

  /**
   * Runnable operations, of the table or alias t: pending, or running with a lapsed lease
   * (its worker died or stalled); due; and the oldest unfinished one of their environment.
   */
  private runnable(b: Knex.QueryBuilder, t: string, now: Date) {
    return b
      .where(q =>
        q
          .where(`${t}.status`, 'pending')
          .orWhere(q2 =>
            q2
              .where(`${t}.status`, 'running')
              .where(`${t}.locked_until`, '<', now),
          ),
      )
      .where(q =>
        q.whereNull(`${t}.not_before`).orWhere(`${t}.not_before`, '<=', now),
      )
      .whereNotExists(q =>
        q
          .select(this.db.raw('1'))
          .from('environment_operations as p')
          .whereRaw('p.environment_id = ??', [`${t}.environment_id`])
          .whereIn('p.status', ['pending', 'running'])
          .whereRaw('p.seq < ??', [`${t}.seq`]),
      );
  }

  /**
   * Extends this worker's lease. 'lost' when another worker holds it now, or when the lease
   * lapsed and the cluster has no free slot for it any more (others may have claimed the
   * slot it held); 'cancelled' when a destroy asked the operation to stop: either way the
   * worker must stop before its next write. Without maxPerCluster a lapsed lease is lost.
   */
  async renewLease(
    id: string,
    workerId: string,
    leaseMs: number,
    options: { maxPerCluster?: number } = {},
  ): Promise<'ok' | 'lost' | 'cancelled'> {
    const mine = (b: Knex.QueryBuilder) =>
      b.where({ id, locked_by: workerId, status: 'running' });
    const row = await this.db('environment_operations')
      .where(mine)
      .first('cluster');
    if (!row) return 'lost';
    const n = await this.inClusterLock(row.cluster, async tx => {
      const now = new Date();
      return tx('environment_operations')
        .where(mine)
        .where(b => {
          b.where('locked_until', '>=', now).orWhere('waiting', true);
          if (options.maxPerCluster !== undefined)
            b.orWhereRaw('(?) < ?', [
              this.slotHolders(tx, now).where('r.cluster', row.cluster),
              options.maxPerCluster,
            ]);
        })
        .update({ locked_until: new Date(now.getTime() + leaseMs) });
    });
    if (n !== 1) return 'lost';
    return (await this.cancelRequested([id])).length ? 'cancelled' : 'ok';
  }

  /** The count of a cluster's slot holders (alias r): running, not waiting, lease live. */
  private slotHolders(db: Knex | Knex.Transaction, now: Date) {
    return db('environment_operations as r')
      .where('r.status', 'running')
      .where('r.waiting', false)
      .where('r.locked_until', '>=', now)
      .count({ n: '*' });
  }

  /** Runs fn in a transaction that holds the cluster's lock (see the top of this file). */
  private inClusterLock<T>(
    cluster: string,
    fn: (tx: Knex.Transaction) => Promise<T>,
  ): Promise<T> {
    return this.db.transaction(async tx => {
      if (!this.sqlite) {
        await tx('environment_cluster_slots')
          .insert({ cluster })
          .onConflict('cluster')
          .ignore();
        await tx('environment_cluster_slots')
          .where({ cluster })
          .forUpdate()
          .select('cluster');
      }
      return fn(tx);
    });
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
  /**
   * Puts a running operation back in the queue after a delay. `spendAttempt: false` gives the
   * attempt back: the cluster was away, which the operation did not cause.
   */
  async retryLater(
    id: string,
    workerId: string,
    delayMs: number,
    steps: OperationStep[],
    error: string,
    options: { spendAttempt?: boolean } = {},
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
        ...(options.spendAttempt === false
          ? { attempts: this.db.raw('attempts - 1') }
          : {}),
      });
  }

  async unfinishedOperations(
    environmentId: string,
  ): Promise<OperationRecord[]> {
    const rows = await this.db('environment_operations')
      .where({ environment_id: environmentId })
      .whereIn('status', ['pending', 'running'])
      .orderBy('seq');
    return rows.map(r => toOperation(r));
  }
}
