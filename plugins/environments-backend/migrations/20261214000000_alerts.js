/*
 * Alerts (issue #15 §2): each environment's rule overrides and chosen channels, its watchers,
 * the state of each alert (per environment, rule and key) and a history of what was sent.
 *
 * An alert is sent once across replicas: the replica whose conditional update sets fired_at
 * (or deletes the fired row, for a resolution) sends it; any other replica's update changes
 * no row. The state outlives restarts, so a backend that restarts mid-incident neither sends
 * the alert again nor forgets to send its resolution.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('environment_alert_settings', t => {
    t.string('environment_id', 36)
      .primary()
      .references('id')
      .inTable('environments')
      .onDelete('CASCADE');
    /** JSON: the environment's own rule values, by rule (see alerts/rules.ts). */
    t.text('rules').notNullable();
    /** JSON: names of configured channels; null: the configured defaults. */
    t.text('channels');
    t.string('updated_by', 255).notNullable();
    t.timestamp('updated_at').notNullable();
  });
  await knex.schema.createTable('environment_watchers', t => {
    t.string('environment_id', 36)
      .notNullable()
      .references('id')
      .inTable('environments')
      .onDelete('CASCADE');
    t.string('user_ref', 255).notNullable();
    t.timestamp('created_at').notNullable();
    t.primary(['environment_id', 'user_ref']);
  });
  await knex.schema.createTable('environment_alert_state', t => {
    t.string('environment_id', 36)
      .notNullable()
      .references('id')
      .inTable('environments')
      .onDelete('CASCADE');
    t.string('rule', 32).notNullable();
    /** What the alert is about within the rule: a pod/container, an island, an operation. */
    t.string('key', 255).notNullable();
    /** Since when the condition has held (a rule fires once it has held long enough). */
    t.timestamp('pending_since').notNullable();
    /** When the alert was sent; null while pending. */
    t.timestamp('fired_at');
    /** JSON: what the alert said when it fired. */
    t.text('details');
    t.primary(['environment_id', 'rule', 'key']);
  });
  await knex.schema.createTable('environment_alert_events', t => {
    t.increments('seq').primary();
    t.string('environment_id', 36)
      .notNullable()
      .references('id')
      .inTable('environments')
      .onDelete('CASCADE');
    t.string('rule', 32).notNullable();
    t.string('key', 255).notNullable();
    /** firing or resolved. */
    t.string('kind', 16).notNullable();
    t.text('title').notNullable();
    t.text('details');
    t.timestamp('at').notNullable();
    t.index(['environment_id', 'seq']);
  });
  // The expiry warning became the `expiring` rule: an expiry already warned about (the column
  // expiry_warned_for of 20261213000000) is a fired alert, so the upgrade does not warn again.
  const warned = await knex('environments')
    .whereNull('destroyed_at')
    .whereNotNull('expires_at')
    .whereNotNull('expiry_warned_for')
    .select('id', 'expires_at', 'expiry_warned_for');
  const time = v =>
    new Date(typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : v);
  const now = new Date();
  for (const row of warned) {
    const expiresAt = time(row.expires_at);
    if (expiresAt.getTime() !== time(row.expiry_warned_for).getTime()) continue;
    await knex('environment_alert_state').insert({
      environment_id: row.id,
      rule: 'expiring',
      key: expiresAt.toISOString(),
      pending_since: now,
      fired_at: now,
      details: JSON.stringify({
        title: 'Environment expiry warning',
        details: [],
      }),
    });
  }
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('environment_alert_events');
  await knex.schema.dropTable('environment_alert_state');
  await knex.schema.dropTable('environment_watchers');
  await knex.schema.dropTable('environment_alert_settings');
};
