/*
 * Expiry warnings (issue #15): the expiry an environment's owner was last warned about. A
 * warning is sent once per expiry, by whichever replica claims it first (a conditional
 * update); an extension sets a new expiry, which is warned about again.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.alterTable('environments', t => {
    t.timestamp('expiry_warned_for');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('environments', t => {
    t.dropColumn('expiry_warned_for');
  });
};
