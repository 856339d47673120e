/*
 * Game-server islands (issue #12). Each island has an id unique on its cluster and a block of
 * host ports from the cluster's island range. Both are unique through indexes, so concurrent
 * requests, on any number of backend replicas, never share one: a colliding transaction fails
 * and is tried again. A port row is deleted only once the island's Pod is gone.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('environment_islands', t => {
    t.string('uid', 36).primary();
    t.string('cluster', 63).notNullable();
    t.integer('island_id').notNullable();
    t.string('environment_id', 36)
      .notNullable()
      .references('id')
      .inTable('environments')
      .onDelete('CASCADE');
    t.string('service', 63).notNullable();
    /** JSON: port number by port name. */
    t.text('ports').notNullable();
    /** running, stopped or removed. */
    t.string('desired', 16).notNullable();
    /** Incremented by each start and restart: a new launch is a new Pod. */
    t.integer('launch').notNullable().defaultTo(1);
    /** The last launch whose Pod was created: the reconciler never creates it again. */
    t.integer('launched').notNullable().defaultTo(0);
    /** JSON clock of the island's own, or null: it follows its service and environment. */
    t.text('clock');
    t.timestamp('clock_set_at');
    t.timestamp('created_at').notNullable();
    t.timestamp('removed_at');
    t.unique(['cluster', 'island_id']);
    t.index(['environment_id']);
  });
  await knex.schema.createTable('environment_island_ports', t => {
    t.string('cluster', 63).notNullable();
    t.integer('port').notNullable();
    t.string('island_uid', 36)
      .notNullable()
      .references('uid')
      .inTable('environment_islands')
      .onDelete('CASCADE');
    t.primary(['cluster', 'port']);
    t.index(['island_uid']);
  });
  await knex.schema.alterTable('environments', t => {
    // When the environment's clock (spec.clock) was last set: a start runs from then.
    t.timestamp('clock_set_at');
  });
  await knex.schema.alterTable('environment_registry', t => {
    // The island id of an island's entry (registrars key their rows on it).
    t.integer('island');
  });
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.alterTable('environment_registry', t =>
    t.dropColumn('island'),
  );
  await knex.schema.alterTable('environments', t =>
    t.dropColumn('clock_set_at'),
  );
  await knex.schema.dropTable('environment_island_ports');
  await knex.schema.dropTable('environment_islands');
};
