/*
 * A small knex migration, run on every database engine the test run provides. scripts/test.sh
 * starts PostgreSQL and sets BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING; with
 * ARCHIPELAGO_REQUIRE_POSTGRES=1 (set by scripts/test.sh) a missing PostgreSQL fails the run
 * instead of narrowing it to SQLite.
 */
import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { Knex } from 'knex';

jest.setTimeout(60_000);

const migrations: Record<string, Knex.Migration> = {
  '20261122_001_islands': {
    async up(knex) {
      await knex.schema.createTable('islands', table => {
        table.string('name', 63).primary();
        table.string('owner').notNullable();
        table.jsonb('spec').notNullable();
        table.timestamp('created_at').notNullable().defaultTo(knex.fn.now());
      });
    },
    async down(knex) {
      await knex.schema.dropTable('islands');
    },
  },
  '20261122_002_islands_expiry': {
    async up(knex) {
      await knex.schema.alterTable('islands', table => {
        table.timestamp('expires_at').nullable().index();
      });
    },
    async down(knex) {
      await knex.schema.alterTable('islands', table => {
        table.dropColumn('expires_at');
      });
    },
  },
};

const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations).sort(),
  getMigrationName: name => name,
  getMigration: async name => migrations[name],
};

const ids: TestDatabaseId[] = ['SQLITE_3', 'POSTGRES_15'];
const databases = TestDatabases.create({ ids, disableDocker: true });

describe('knex migrations', () => {
  it('runs on PostgreSQL as well as SQLite in the full test run', () => {
    const supported = databases.eachSupportedId().map(([id]) => id);
    const required: TestDatabaseId[] =
      process.env.ARCHIPELAGO_REQUIRE_POSTGRES === '1'
        ? ['SQLITE_3', 'POSTGRES_15']
        : ['SQLITE_3'];
    expect(supported).toEqual(expect.arrayContaining(required));
  });

  it.each(databases.eachSupportedId())(
    'migrates up and down on %p',
    async databaseId => {
      const knex = await databases.init(databaseId);
      const config = { migrationSource, tableName: 'foundation_migrations' };

      const [, applied] = await knex.migrate.latest(config);
      expect(applied).toEqual(Object.keys(migrations).sort());

      await knex('islands').insert({
        name: 'feat-login',
        owner: 'group:default/backend',
        spec: JSON.stringify({
          services: [{ module: 'game', version: '1.2.3' }],
        }),
        expires_at: new Date('2030-01-01T00:00:00Z'),
      });
      const row = await knex('islands').where({ name: 'feat-login' }).first();
      const spec =
        typeof row.spec === 'string' ? JSON.parse(row.spec) : row.spec;
      expect(spec.services[0]).toEqual({ module: 'game', version: '1.2.3' });

      // The primary key holds: a second island with the same name is refused.
      const duplicate = await knex('islands')
        .insert({ name: 'feat-login', owner: 'x', spec: '{}' })
        .then(
          () => 'inserted',
          (e: Error) => e.message,
        );
      const rows = await knex('islands').where({ name: 'feat-login' });
      expect({ duplicate, rows: rows.length }).toEqual({
        duplicate: expect.stringMatching(
          /UNIQUE constraint failed|duplicate key value/,
        ),
        rows: 1,
      });

      await knex.migrate.rollback(config, true);
      expect(await knex.schema.hasTable('islands')).toBe(false);
    },
  );
});
