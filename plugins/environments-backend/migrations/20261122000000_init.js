/*
 * The environments backend's schema. Revisions are immutable; operations are the durable queue
 * the reconciler works from; the registry mirrors ready instances; the outbox carries
 * registration events to registrars with retries.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('environments', t => {
    t.string('id', 36).primary();
    t.string('name', 63).notNullable();
    t.string('cluster', 63).notNullable();
    t.string('namespace', 63).notNullable();
    t.string('owner', 255).notNullable();
    t.string('purpose', 16).notNullable();
    t.string('base', 63).nullable();
    t.string('title', 255).nullable();
    t.text('spec').notNullable();
    t.integer('revision').notNullable();
    t.text('stopped').notNullable().defaultTo('[]');
    t.text('restarted_at').notNullable().defaultTo('{}');
    t.string('created_by', 255).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.timestamp('expires_at', { useTz: true }).nullable();
    t.timestamp('destroyed_at', { useTz: true }).nullable();
    t.string('destroy_reason', 16).nullable();
    t.index(['name']);
    t.index(['owner']);
    t.index(['expires_at']);
  });
  // A name is unique among live environments; a destroyed one frees its name.
  await knex.raw(
    'CREATE UNIQUE INDEX environments_live_name ON environments (name) WHERE destroyed_at IS NULL',
  );

  await knex.schema.createTable('environment_revisions', t => {
    t.string('environment_id', 36)
      .notNullable()
      .references('id')
      .inTable('environments')
      .onDelete('CASCADE');
    t.integer('revision').notNullable();
    t.text('spec').notNullable();
    t.string('reason', 255).notNullable();
    t.string('created_by', 255).notNullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.primary(['environment_id', 'revision']);
  });

  await knex.schema.createTable('environment_operations', t => {
    // seq orders the queue; id is the operation's public identity.
    t.bigIncrements('seq');
    t.string('id', 36).notNullable().unique();
    t.string('environment_id', 36)
      .notNullable()
      .references('id')
      .inTable('environments')
      .onDelete('CASCADE');
    t.string('environment', 63).notNullable();
    t.string('cluster', 63).notNullable();
    t.string('type', 16).notNullable();
    t.string('status', 16).notNullable();
    t.string('requested_by', 255).notNullable();
    t.text('params').notNullable();
    t.integer('revision').nullable();
    t.text('steps').notNullable().defaultTo('[]');
    t.text('error').nullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.string('locked_by', 64).nullable();
    t.timestamp('locked_until', { useTz: true }).nullable();
    t.timestamp('not_before', { useTz: true }).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.timestamp('started_at', { useTz: true }).nullable();
    t.timestamp('finished_at', { useTz: true }).nullable();
    t.index(['status', 'cluster']);
    t.index(['environment_id', 'status']);
  });

  await knex.schema.createTable('environment_registry', t => {
    t.string('environment', 63).notNullable();
    t.string('service', 63).notNullable();
    t.string('instance', 253).notNullable();
    t.string('version', 63).notNullable();
    t.string('address', 64).notNullable();
    t.text('ports').notNullable();
    t.boolean('ready').notNullable();
    t.string('node', 253).nullable();
    t.timestamp('registered_at', { useTz: true }).notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable();
    t.primary(['environment', 'service', 'instance']);
  });

  await knex.schema.createTable('environment_registrar_outbox', t => {
    t.bigIncrements('id');
    t.string('registrar', 63).notNullable();
    t.string('event_key', 512).notNullable();
    t.text('event').notNullable();
    t.string('environment', 63).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('last_error').nullable();
    t.timestamp('next_attempt_at', { useTz: true }).notNullable();
    t.timestamp('delivered_at', { useTz: true }).nullable();
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.unique(['registrar', 'event_key']);
    t.index(['delivered_at', 'next_attempt_at']);
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('environment_registrar_outbox');
  await knex.schema.dropTable('environment_registry');
  await knex.schema.dropTable('environment_operations');
  await knex.schema.dropTable('environment_revisions');
  await knex.raw('DROP INDEX IF EXISTS environments_live_name');
  await knex.schema.dropTable('environments');
};
