/*
 * Secret values of environments, kept apart from specs and revisions: the API never returns
 * them, and they go when their environment is destroyed. Specs hold only references (a key of
 * the environment's archipelago-secrets Secret).
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('environment_secrets', t => {
    t.string('environment_id', 36)
      .notNullable()
      .references('id')
      .inTable('environments')
      .onDelete('CASCADE');
    t.string('key', 253).notNullable();
    t.text('value').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.primary(['environment_id', 'key']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('environment_secrets');
};
