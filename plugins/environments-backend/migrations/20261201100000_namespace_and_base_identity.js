/*
 * - A namespace belongs to at most one live environment per cluster: a change of prefix can
 *   never map two environments onto one namespace.
 * - A base is referenced by the environment's id, not its name: an environment created later
 *   under a destroyed base's name never inherits that base's dependants. Existing rows take
 *   the id of the live (or else the newest) environment of the name they recorded.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.raw(
    'CREATE UNIQUE INDEX environments_live_namespace ON environments (cluster, namespace) WHERE destroyed_at IS NULL',
  );
  await knex.schema.alterTable('environments', t => {
    t.string('base_id', 36).nullable();
    t.index(['base_id']);
  });
  const rows = await knex('environments')
    .whereNotNull('base')
    .select('id', 'base');
  for (const row of rows) {
    const base = await knex('environments')
      .where({ name: row.base })
      .orderByRaw('CASE WHEN destroyed_at IS NULL THEN 0 ELSE 1 END')
      .orderBy('created_at', 'desc')
      .first('id');
    if (base) {
      await knex('environments')
        .where({ id: row.id })
        .update({ base_id: base.id });
    }
  }
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('environments', t => {
    t.dropIndex(['base_id']);
    t.dropColumn('base_id');
  });
  await knex.raw('DROP INDEX environments_live_namespace');
};
