/*
 * Environments made before namespaces carried archipelago.dev/environment-id may adopt their
 * namespace by Archipelago's labels alone (it is annotated at their next apply). Environments
 * created from now on never do: a namespace with our labels but no id is someone else's.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.alterTable('environments', t => {
    t.boolean('legacy_namespace').notNullable().defaultTo(false);
  });
  await knex('environments').update({ legacy_namespace: true });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('environments', t => {
    t.dropColumn('legacy_namespace');
  });
};
