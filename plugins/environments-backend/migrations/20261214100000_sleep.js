/*
 * Sleep (issue #15): an environment nobody uses is stopped and marked asleep; start wakes it.
 * - used_at: the last time someone read its logs or typed in one of its terminals (operations
 *   are counted from environment_operations);
 * - asleep_since, asleep_services: when sleep stopped it, and which services it stopped (a
 *   wake starts those, and leaves alone what its owner had stopped).
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.alterTable('environments', t => {
    t.timestamp('used_at');
    t.timestamp('asleep_since');
    t.text('asleep_services');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('environments', t => {
    t.dropColumn('used_at');
    t.dropColumn('asleep_since');
    t.dropColumn('asleep_services');
  });
};
