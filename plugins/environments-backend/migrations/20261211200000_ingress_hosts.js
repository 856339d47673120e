/*
 * An ingress host belongs to one live environment per cluster. The primary key makes that
 * hold under concurrent creates and deploys; the service's own check only words the refusal.
 * Existing environments' hosts are recorded from their pinned services.
 */

/** @param {import('knex').Knex} knex */
exports.up = async function up(knex) {
  await knex.schema.createTable('environment_hosts', t => {
    t.string('cluster', 63).notNullable();
    t.string('host', 253).notNullable();
    t.string('environment_id', 36)
      .notNullable()
      .references('id')
      .inTable('environments')
      .onDelete('CASCADE');
    t.primary(['cluster', 'host']);
    t.index(['environment_id']);
  });
  const rows = await knex('environments')
    .whereNull('destroyed_at')
    .select('id', 'cluster', 'services', 'spec');
  const seen = new Set();
  for (const row of rows) {
    const parse = v => (typeof v === 'string' ? JSON.parse(v) : v);
    const services = parse(row.services) ?? parse(row.spec)?.services ?? [];
    for (const s of services) {
      const host = s?.ingress?.host;
      const key = `${row.cluster} ${host}`;
      if (!host || seen.has(key)) continue;
      seen.add(key);
      await knex('environment_hosts').insert({
        cluster: row.cluster,
        host,
        environment_id: row.id,
      });
    }
  }
};

/** @param {import('knex').Knex} knex */
exports.down = async function down(knex) {
  await knex.schema.dropTable('environment_hosts');
};
