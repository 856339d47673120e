/*
 * - One row per cluster that claims of its operations lock (SELECT ... FOR UPDATE) on
 *   PostgreSQL, so that the per-cluster cap holds across backend replicas: claims on one
 *   cluster take turns (see src/queue/OperationQueue.ts). Rows are added by the first claim.
 * - A registration event that failed every allowed attempt is marked failed (failed_at),
 *   kept with its last error for the registry view, and no longer retried. Delivered events
 *   are deleted from now on (the dispatcher purges the ones delivered before).
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('environment_cluster_slots', t => {
    t.string('cluster', 63).primary();
  });
  await knex.schema.alterTable('environment_registrar_outbox', t => {
    t.timestamp('failed_at', { useTz: true }).nullable();
    t.index(['registrar', 'next_attempt_at']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('environment_registrar_outbox', t => {
    t.dropIndex(['registrar', 'next_attempt_at']);
    t.dropColumn('failed_at');
  });
  await knex.schema.dropTable('environment_cluster_slots');
};
