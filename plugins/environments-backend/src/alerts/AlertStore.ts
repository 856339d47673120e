/*
 * Alert settings, watchers, state and history (migrations/20261214000000_alerts.js).
 *
 * Sending is claimed: claimFire and claimResolve are conditional updates that change a row
 * for exactly one caller, however many replicas evaluate the same environment at once. The
 * caller whose claim changed the row sends; the others see 0 rows and send nothing.
 */
import type { Knex } from 'knex';
import { json, toDate } from '../store/rows';
import type { AlertRule, AlertState } from './rules';

/** An environment's own alert settings (PUT /environments/{name}/alerts). */
export interface AlertSettings {
  /** The environment's rule values as text, by config key (degradedFor: "10m"). */
  rules: Record<string, string>;
  /** Names of configured channels; undefined: the channels configured as default. */
  channels?: string[];
  updatedBy?: string;
  updatedAt?: Date;
}

/** One message sent (or the first of its deliveries), as the Alerts tab lists it. */
export interface AlertEvent {
  rule: AlertRule;
  key: string;
  kind: 'firing' | 'resolved';
  title: string;
  details: string[];
  at: Date;
}

export class AlertStore {
  constructor(private readonly db: Knex) {}

  async getSettings(environmentId: string): Promise<AlertSettings> {
    const row = await this.db('environment_alert_settings')
      .where({ environment_id: environmentId })
      .first();
    if (!row) return { rules: {} };
    return {
      rules: json(row.rules, {}),
      channels: json(row.channels, undefined),
      updatedBy: row.updated_by,
      updatedAt: toDate(row.updated_at),
    };
  }

  /** Replaces the environment's settings (an upsert: one row per environment). */
  async setSettings(
    environmentId: string,
    settings: { rules: Record<string, string>; channels?: string[] },
    by: string,
    now = new Date(),
  ) {
    await this.db('environment_alert_settings')
      .insert({
        environment_id: environmentId,
        rules: JSON.stringify(settings.rules),
        channels:
          settings.channels === undefined
            ? null
            : JSON.stringify(settings.channels),
        updated_by: by,
        updated_at: now,
      })
      .onConflict('environment_id')
      .merge();
  }

  /** Every environment's settings, for a check of many environments at once. */
  async allSettings(ids: string[]): Promise<Map<string, AlertSettings>> {
    const out = new Map<string, AlertSettings>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.db('environment_alert_settings').whereIn(
        'environment_id',
        ids.slice(i, i + 500),
      );
      for (const row of rows)
        out.set(row.environment_id, {
          rules: json(row.rules, {}),
          channels: json(row.channels, undefined),
        });
    }
    return out;
  }

  async watchers(environmentId: string): Promise<string[]> {
    const rows = await this.db('environment_watchers')
      .where({ environment_id: environmentId })
      .orderBy('user_ref');
    return rows.map(r => r.user_ref);
  }

  /** Adds a watcher; watching twice is watching. */
  async watch(environmentId: string, userRef: string, now = new Date()) {
    await this.db('environment_watchers')
      .insert({
        environment_id: environmentId,
        user_ref: userRef,
        created_at: now,
      })
      .onConflict(['environment_id', 'user_ref'])
      .ignore();
  }

  async unwatch(environmentId: string, userRef: string) {
    await this.db('environment_watchers')
      .where({ environment_id: environmentId, user_ref: userRef })
      .delete();
  }

  async states(environmentId: string): Promise<AlertState[]> {
    const rows = await this.db('environment_alert_state').where({
      environment_id: environmentId,
    });
    return rows.map(r => ({
      rule: r.rule,
      key: r.key,
      pendingSince: toDate(r.pending_since)!,
      firedAt: toDate(r.fired_at),
      title: json<{ title?: string }>(r.details, {}).title,
    }));
  }

  /** Records that a condition holds from now, unless it already does. */
  async markPending(
    environmentId: string,
    rule: AlertRule,
    key: string,
    now = new Date(),
  ) {
    await this.db('environment_alert_state')
      .insert({
        environment_id: environmentId,
        rule,
        key,
        pending_since: now,
      })
      .onConflict(['environment_id', 'rule', 'key'])
      .ignore();
  }

  /**
   * Claims the sending of an alert whose condition has held since at most `heldSince`: true
   * for exactly one caller until the alert is resolved or forgotten.
   */
  async claimFire(
    environmentId: string,
    rule: AlertRule,
    key: string,
    details: { title: string; details: string[] },
    heldSince: Date,
    now = new Date(),
  ): Promise<boolean> {
    await this.markPending(environmentId, rule, key, now);
    const n = await this.db('environment_alert_state')
      .where({ environment_id: environmentId, rule, key })
      .whereNull('fired_at')
      // A replica that saw the condition clear may have dropped the state meanwhile: the
      // condition then starts again, and must hold its time again.
      .where('pending_since', '<=', heldSince)
      .update({ fired_at: now, details: JSON.stringify(details) });
    return n === 1;
  }

  /** Claims the resolution of a fired alert: true for exactly one caller; the state goes. */
  async claimResolve(
    environmentId: string,
    rule: AlertRule,
    key: string,
  ): Promise<boolean> {
    const n = await this.db('environment_alert_state')
      .where({ environment_id: environmentId, rule, key })
      .whereNotNull('fired_at')
      .delete();
    return n === 1;
  }

  /** Drops an alert's state without a message. */
  async forget(environmentId: string, rule: AlertRule, key: string) {
    await this.db('environment_alert_state')
      .where({ environment_id: environmentId, rule, key })
      .delete();
  }

  async record(environmentId: string, event: AlertEvent) {
    await this.db('environment_alert_events').insert({
      environment_id: environmentId,
      rule: event.rule,
      key: event.key,
      kind: event.kind,
      title: event.title,
      details: JSON.stringify(event.details),
      at: event.at,
    });
  }

  /** The latest alerts sent about an environment, newest first. */
  async history(environmentId: string, limit = 50): Promise<AlertEvent[]> {
    const rows = await this.db('environment_alert_events')
      .where({ environment_id: environmentId })
      .orderBy('seq', 'desc')
      .limit(limit);
    return rows.map(r => ({
      rule: r.rule,
      key: r.key,
      kind: r.kind,
      title: r.title,
      details: json(r.details, []),
      at: toDate(r.at)!,
    }));
  }
}
