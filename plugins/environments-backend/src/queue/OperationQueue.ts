/*
 * The operation queue, in the database: each environment's operations in request order, a
 * conditional claim so that every operation runs once across backend replicas, leases that a
 * live worker renews, waiting operations that hold no slot, and cancellation.
 */
import type { Knex } from 'knex';
import type {
  OperationState,
  OperationStep,
} from '@archipelago/plugin-environments-common';
import type { OperationRecord } from '../store/EnvironmentStore';
import { toOperation } from '../store/rows';

export class OperationQueue {
  constructor(private readonly db: Knex) {}

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

  async getOperation(id: string): Promise<OperationRecord | undefined> {
    const row = await this.db('environment_operations').where({ id }).first();
    return row ? toOperation(row) : undefined;
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
    return rows.map(r => toOperation(r));
  }
}
