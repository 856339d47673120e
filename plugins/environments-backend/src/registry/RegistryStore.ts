/*
 * The registry of instances as observed, and the outbox that carries registration events to
 * registrars with retries.
 */
import type { Knex } from 'knex';
import type { RegistryEntry } from '@archipelago/plugin-environments-common';
import { iso, toRegistryEntry } from '../store/rows';

export class RegistryStore {
  constructor(private readonly db: Knex) {}

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
            island: e.island ?? null,
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
          (prev.node ?? undefined) !== e.node ||
          (prev.island ?? undefined) !== e.island
        ) {
          await tx('environment_registry')
            .where({ environment, service: e.service, instance: e.instance })
            .update({
              version: e.version,
              address: e.address,
              ports,
              ready,
              node: e.node ?? null,
              island: e.island ?? null,
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
          entry: toRegistryEntry(prev),
        });
      }
      return events;
    });
  }

  async listRegistry(environment: string): Promise<RegistryEntry[]> {
    const rows = await this.db('environment_registry')
      .where({ environment })
      .orderBy(['service', 'instance']);
    return rows.map(r => toRegistryEntry(r));
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

  /**
   * The events due for delivery, the oldest first, at most `limitPerRegistrar` of each of
   * these registrars: rows of a registrar that is not configured here never take the place
   * of another's, and one registrar's backlog never holds up another's.
   */
  async dueRegistrations(registrars: string[], limitPerRegistrar = 50) {
    const now = new Date();
    const batches = await Promise.all(
      [...new Set(registrars)].map(registrar =>
        this.db('environment_registrar_outbox')
          .where({ registrar })
          .whereNull('delivered_at')
          .whereNull('failed_at')
          .where('next_attempt_at', '<=', now)
          .orderBy('id')
          .limit(limitPerRegistrar),
      ),
    );
    return batches.flat().map(r => ({
      id: Number(r.id),
      registrar: r.registrar as string,
      event: JSON.parse(r.event),
      attempts: r.attempts as number,
    }));
  }

  /** A delivered event is done with: it leaves the outbox. */
  async registrationDelivered(id: number) {
    await this.db('environment_registrar_outbox').where({ id }).delete();
  }

  /**
   * Records a failed delivery. Once the event has failed `maxAttempts` times it is marked
   * failed: kept with its last error for the registry view, never retried. True when it was.
   */
  async registrationFailed(
    id: number,
    error: string,
    retryInMs: number,
    maxAttempts = Infinity,
  ): Promise<boolean> {
    await this.db('environment_registrar_outbox')
      .where({ id })
      .update({
        attempts: this.db.raw('attempts + 1'),
        last_error: error.slice(0, 2000),
        next_attempt_at: new Date(Date.now() + retryInMs),
      });
    if (!Number.isFinite(maxAttempts)) return false;
    const n = await this.db('environment_registrar_outbox')
      .where({ id })
      .whereNull('failed_at')
      .where('attempts', '>=', maxAttempts)
      .update({ failed_at: new Date() });
    return n === 1;
  }

  /**
   * Clears the outbox of what nobody will deliver or look at: events delivered before
   * delivered events were deleted (or by an older replica), events of registrars not among
   * `configured` that are older than `unconfiguredAfterMs` (the registrar was removed; the
   * grace keeps a replica that does not have it yet, during a rolling change of config, from
   * dropping another's work), and failed events older than `failedForMs`.
   */
  async purgeOutbox(options: {
    configured: string[];
    unconfiguredAfterMs: number;
    failedForMs: number;
  }) {
    const now = Date.now();
    const table = () => this.db('environment_registrar_outbox');
    const delivered = await table().whereNotNull('delivered_at').delete();
    const unconfigured = await table()
      .whereNotIn('registrar', options.configured)
      .where('created_at', '<=', new Date(now - options.unconfiguredAfterMs))
      .delete();
    const failed = await table()
      .where('failed_at', '<=', new Date(now - options.failedForMs))
      .delete();
    return { delivered, unconfigured, failed };
  }

  /**
   * Per registrar, for the registry view: events still to deliver (pending) and the most
   * attempts among them, events given up on (failed), and the newest error of either.
   */
  async registrarStatus(environment: string) {
    const rows = await this.db('environment_registrar_outbox')
      .where({ environment })
      .whereNull('delivered_at')
      .select('registrar', 'last_error', 'attempts', 'failed_at')
      .orderBy('id', 'desc');
    const out: Record<
      string,
      { pending: number; failed: number; lastError?: string; attempts: number }
    > = {};
    for (const r of rows) {
      const s = (out[r.registrar] ??= { pending: 0, failed: 0, attempts: 0 });
      if (r.failed_at === null || r.failed_at === undefined) {
        s.pending++;
        s.attempts = Math.max(s.attempts, r.attempts);
      } else {
        s.failed++;
      }
      if (!s.lastError && r.last_error) s.lastError = r.last_error;
    }
    return out;
  }
}
