/*
 * Islands as the database holds them: each island's id (unique on its cluster) and its block
 * of host ports (each port unique on its cluster). Both are claimed by unique indexes inside
 * the transaction that records the operation, so two requests, on one backend or many, never
 * get the same id or port: the later transaction fails on the index and is tried again with
 * what the earlier one took. A port goes back to the pool only once the island's Pod is gone.
 */
import type { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { ConflictError } from '@backstage/errors';
import type { Clock } from '@archipelago/plugin-environments-common';
import type { IslandSettings } from '../config';
import { json, toDate } from '../store/rows';

export interface IslandRecord {
  uid: string;
  cluster: string;
  id: number;
  environmentId: string;
  service: string;
  ports: Record<string, number>;
  desired: 'running' | 'stopped' | 'removed';
  launch: number;
  launched: number;
  clock?: Clock;
  clockSetAt?: Date;
  createdAt: Date;
  removedAt?: Date;
}

interface IslandRow {
  uid: string;
  cluster: string;
  island_id: number;
  environment_id: string;
  service: string;
  ports: string;
  desired: IslandRecord['desired'];
  launch: number;
  launched: number;
  clock: string | null;
  clock_set_at: Date | string | number | null;
  created_at: Date | string | number;
  removed_at: Date | string | number | null;
}

const toIsland = (r: IslandRow): IslandRecord => ({
  uid: r.uid,
  cluster: r.cluster,
  id: Number(r.island_id),
  environmentId: r.environment_id,
  service: r.service,
  ports: json(r.ports, {}),
  desired: r.desired,
  launch: Number(r.launch),
  launched: Number(r.launched),
  ...(r.clock ? { clock: json(r.clock, {}) } : {}),
  clockSetAt: toDate(r.clock_set_at),
  createdAt: toDate(r.created_at)!,
  removedAt: toDate(r.removed_at),
});

/** What adding islands needs: where, how many, and the port names of each. */
export interface IslandRequest {
  cluster: string;
  environmentId: string;
  service: string;
  portNames: string[];
  count: number;
  settings: IslandSettings;
}

/** A unique index of the island tables refused a row: another transaction took it first. */
export function isIslandCollision(e: unknown): boolean {
  const msg = String((e as Error)?.message ?? e);
  return (
    /environment_island/.test(msg) &&
    /unique|duplicate|UNIQUE constraint|SQLITE_CONSTRAINT/i.test(msg)
  );
}

export class IslandStore {
  constructor(private readonly db: Knex) {}

  /**
   * Claims ids and port blocks for new islands, inside the caller's transaction. Refuses, with
   * the numbers, when the range has no room; then nothing is claimed.
   */
  async allocate(
    tx: Knex.Transaction,
    req: IslandRequest,
    now: Date,
  ): Promise<IslandRecord[]> {
    const { from, to } = req.settings.ports;
    const size = req.portNames.length;
    const taken = new Set<number>(
      (
        await tx('environment_island_ports')
          .where({ cluster: req.cluster })
          .select('port')
      ).map(r => Number(r.port)),
    );
    const total = to - from + 1;
    const needed = size * req.count;
    const free = total - [...taken].filter(p => p >= from && p <= to).length;
    const range = `${from}\u2013${to}`;
    if (needed > free)
      throw new ConflictError(
        `count: ${needed} ports needed (${req.count} island(s) of ${size}), ${free} free in ${range} on cluster ${req.cluster}`,
      );
    const maxRow = await tx('environment_islands')
      .where({ cluster: req.cluster })
      .max({ max: 'island_id' })
      .first();
    let nextId = Math.max(req.settings.firstId, Number(maxRow?.max ?? 0) + 1);
    const out: IslandRecord[] = [];
    let cursor = from;
    for (let n = 0; n < req.count; n++) {
      // The lowest block of `size` consecutive free ports.
      let start = -1;
      for (let p = cursor; p + size - 1 <= to; p++) {
        let ok = true;
        for (let k = 0; k < size; k++) {
          if (taken.has(p + k)) {
            ok = false;
            p += k;
            break;
          }
        }
        if (ok) {
          start = p;
          break;
        }
      }
      if (start < 0)
        throw new ConflictError(
          `count: ${needed} ports needed (${req.count} island(s) of ${size}), and ${range} on cluster ${req.cluster} has ${free} free but no more blocks of ${size} consecutive ports`,
        );
      const ports = Object.fromEntries(
        req.portNames.map((name, k) => [name, start + k]),
      );
      for (let k = 0; k < size; k++) taken.add(start + k);
      cursor = start + size;
      const uid = randomUUID();
      const row = {
        uid,
        cluster: req.cluster,
        island_id: nextId++,
        environment_id: req.environmentId,
        service: req.service,
        ports: JSON.stringify(ports),
        desired: 'running' as const,
        launch: 1,
        launched: 0,
        clock: null,
        clock_set_at: null,
        created_at: now,
        removed_at: null,
      };
      await tx('environment_islands').insert(row);
      await tx('environment_island_ports').insert(
        Object.values(ports).map(port => ({
          cluster: req.cluster,
          port,
          island_uid: uid,
        })),
      );
      out.push(toIsland(row));
    }
    return out;
  }

  /** The environment's islands; removed ones only while they still hold ports. */
  async list(
    environmentId: string,
    options: { includeRemoved?: boolean } = {},
  ): Promise<IslandRecord[]> {
    const q = this.db('environment_islands')
      .where({ environment_id: environmentId })
      .orderBy('island_id');
    if (!options.includeRemoved) q.whereNot({ desired: 'removed' });
    return (await q).map(toIsland);
  }

  async get(
    environmentId: string,
    id: number,
    tx: Knex = this.db,
  ): Promise<IslandRecord | undefined> {
    const row = await tx('environment_islands')
      .where({ environment_id: environmentId, island_id: id })
      .first();
    return row ? toIsland(row) : undefined;
  }

  /** Changes one island's desired state inside the caller's transaction. */
  async update(
    tx: Knex.Transaction,
    uid: string,
    change: {
      desired?: IslandRecord['desired'];
      bumpLaunch?: boolean;
      clock?: Clock | null;
      now: Date;
    },
  ): Promise<void> {
    const updates: Record<string, unknown> = {};
    if (change.desired) updates.desired = change.desired;
    if (change.desired === 'removed') updates.removed_at = change.now;
    if (change.bumpLaunch) updates.launch = tx.raw('launch + 1');
    if (change.clock !== undefined) {
      updates.clock = change.clock ? JSON.stringify(change.clock) : null;
      updates.clock_set_at = change.now;
    }
    if (Object.keys(updates).length)
      await tx('environment_islands').where({ uid }).update(updates);
  }

  /** Records that these launches' Pods were created: they are never created again. */
  async markLaunched(
    environmentId: string,
    launches: Array<{ id: number; launch: number }>,
  ): Promise<void> {
    for (const l of launches) {
      await this.db('environment_islands')
        .where({ environment_id: environmentId, island_id: l.id })
        .where('launched', '<', l.launch)
        .update({ launched: l.launch });
    }
  }

  /**
   * Marks removed the islands of services the environment no longer runs, and gives back the
   * ports of removed islands that have no Pod left (`withPods`: ids that still have one).
   * Returns the ids whose ports went back.
   */
  async releaseGone(
    environmentId: string,
    services: string[],
    withPods: Set<number>,
  ): Promise<number[]> {
    const now = new Date();
    return this.db.transaction(async tx => {
      await tx('environment_islands')
        .where({ environment_id: environmentId })
        .whereNot({ desired: 'removed' })
        .whereNotIn('service', services.length ? services : [''])
        .update({ desired: 'removed', removed_at: now });
      const removed: IslandRow[] = await tx('environment_islands')
        .where({ environment_id: environmentId, desired: 'removed' })
        .whereIn('uid', tx('environment_island_ports').distinct('island_uid'));
      const gone = removed.filter(r => !withPods.has(Number(r.island_id)));
      if (gone.length)
        await tx('environment_island_ports')
          .whereIn(
            'island_uid',
            gone.map(r => r.uid),
          )
          .delete();
      return gone.map(r => Number(r.island_id));
    });
  }

  /**
   * Gives back the ports of these islands and marks them removed, if none of their Pods was
   * ever created: islands an island-add claimed whose operation failed before they ran.
   */
  async releaseUnlaunched(
    environmentId: string,
    ids: number[],
  ): Promise<number[]> {
    if (!ids.length) return [];
    const now = new Date();
    return this.db.transaction(async tx => {
      const rows: IslandRow[] = await tx('environment_islands')
        .where({ environment_id: environmentId, launched: 0 })
        .whereNot({ desired: 'removed' })
        .whereIn('island_id', ids);
      if (!rows.length) return [];
      const uids = rows.map(r => r.uid);
      await tx('environment_island_ports').whereIn('island_uid', uids).delete();
      await tx('environment_islands')
        .whereIn('uid', uids)
        .update({ desired: 'removed', removed_at: now });
      return rows.map(r => Number(r.island_id));
    });
  }

  /** Destroy: the namespace and every Pod in it are gone; all ports go back. */
  async releaseAll(environmentId: string): Promise<void> {
    const now = new Date();
    await this.db.transaction(async tx => {
      const uids = (
        await tx('environment_islands')
          .where({ environment_id: environmentId })
          .select('uid')
      ).map(r => r.uid);
      if (uids.length)
        await tx('environment_island_ports')
          .whereIn('island_uid', uids)
          .delete();
      await tx('environment_islands')
        .where({ environment_id: environmentId })
        .whereNot({ desired: 'removed' })
        .update({ desired: 'removed', removed_at: now });
    });
  }

  /** Every port claim of a cluster, with its island and environment, for the ledger. */
  async claims(cluster: string) {
    const rows = await this.db('environment_island_ports as p')
      .join('environment_islands as i', 'i.uid', 'p.island_uid')
      .join('environments as e', 'e.id', 'i.environment_id')
      .where('p.cluster', cluster)
      .select(
        'p.port',
        'i.island_id',
        'i.service',
        'i.desired',
        'e.name as environment',
      )
      .orderBy('p.port');
    return rows.map(r => ({
      port: Number(r.port),
      island: Number(r.island_id),
      service: r.service as string,
      environment: r.environment as string,
      removed: r.desired === 'removed',
    }));
  }
}
