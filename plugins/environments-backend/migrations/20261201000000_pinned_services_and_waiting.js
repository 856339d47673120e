/*
 * - Revisions pin the resolved services they were made from (service definitions merged in),
 *   so a catalog edit reaches an environment only at its next deploy. Older rows have none
 *   and resolve live until their next deploy.
 * - An operation that only waits for pods is marked waiting: it holds no slot of its
 *   cluster's queue.
 * - A destroy asks running operations of its environment to stop (cancel_requested).
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.alterTable('environments', t => {
    t.text('services').nullable();
  });
  await knex.schema.alterTable('environment_revisions', t => {
    t.text('services').nullable();
  });
  await knex.schema.alterTable('environment_operations', t => {
    t.boolean('waiting').notNullable().defaultTo(false);
    t.boolean('cancel_requested').notNullable().defaultTo(false);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('environment_operations', t => {
    t.dropColumn('cancel_requested');
    t.dropColumn('waiting');
  });
  await knex.schema.alterTable('environment_revisions', t => {
    t.dropColumn('services');
  });
  await knex.schema.alterTable('environments', t => {
    t.dropColumn('services');
  });
};
