/*
 * The SQL registrar against real databases: MariaDB from Debian's packages (scripts/mariadb.sh,
 * ARCHIPELAGO_TEST_MARIADB_URL) and PostgreSQL (the store tests' database), plus SQLite.
 * scripts/test.sh starts both; without them the full run fails here, it does not skip.
 */
import { mockServices } from '@backstage/backend-test-utils';
import knexFactory, { Knex } from 'knex';
import type { RegistryEntry } from '@archipelago/plugin-environments-common';
import {
  SqlRegistrar,
  SqlRegistrarSettings,
  readSqlRegistrarSettings,
} from './SqlRegistrar';

jest.setTimeout(60_000);

const mariadb = process.env.ARCHIPELAGO_TEST_MARIADB_URL;
const postgres =
  process.env.BACKSTAGE_TEST_DATABASE_POSTGRES15_CONNECTION_STRING;
const required = process.env.ARCHIPELAGO_REQUIRE_POSTGRES === '1';

const entry = (island: number, ready = true): RegistryEntry => ({
  environment: 'qa-one',
  service: 'altraserver',
  instance: `altraserver-${island}`,
  island,
  version: '20210918',
  address: '198.51.100.12',
  ports: [
    { name: 'app-common-port', port: 7000 + 3 * island },
    { name: 'remote-msg-port', port: 7001 + 3 * island },
    { name: 'server-port', port: 7002 + 3 * island },
  ],
  ready,
  node: 'kwok-node-2',
  registeredAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
});

const config = {
  columns: {
    island: 'server_id',
    environment: 'env',
    address: 'host',
    ready: 'ready',
  },
  portColumns: { 'server-port': 'port', 'remote-msg-port': 'msg_port' },
};
const columns = {
  ...config.columns,
  'port.server-port': 'port',
  'port.remote-msg-port': 'msg_port',
};

const targets: Array<[string, string | undefined, Knex.Config['client']]> = [
  ['MariaDB', mariadb, 'mysql2'],
  ['PostgreSQL', postgres, 'pg'],
];

describe('SqlRegistrar', () => {
  it('has MariaDB and PostgreSQL to test against in the full test run', () => {
    const have = { mariadb: !!mariadb, postgres: !!postgres };
    expect(have).toEqual(required ? { mariadb: true, postgres: true } : have);
  });

  it('reads its config, naming the key of what is wrong', () => {
    const read = (sql: object) =>
      readSqlRegistrarSettings(mockServices.rootConfig({ data: sql as any }));
    expect(
      read({
        client: 'mysql2',
        connection: 'mysql://x',
        table: 'islands',
        ...config,
      }),
    ).toMatchObject({
      key: 'island',
      entries: 'islands',
      table: 'islands',
      columns,
    });
    expect(() =>
      read({ client: 'oracle', connection: 'x', table: 't', ...config }),
    ).toThrow('environments.registrars.sql.client');
    expect(() =>
      read({ client: 'pg', connection: 'x', table: 't; drop', ...config }),
    ).toThrow('environments.registrars.sql.table');
    expect(() =>
      read({
        client: 'pg',
        connection: 'x',
        table: 't',
        columns: { color: 'c' },
      }),
    ).toThrow('environments.registrars.sql.columns.color');
    expect(() =>
      read({
        client: 'pg',
        connection: 'x',
        table: 't',
        columns: { address: 'a' },
      }),
    ).toThrow('needs a column for the key, island');
  });

  describe.each(
    targets.filter(([, url]) => url || required) as Array<
      [string, string, any]
    >,
  )('on %s', (_name, url, client) => {
    let db: Knex;
    const table = `island_servers_${Date.now().toString(36)}`;
    const settings = (): SqlRegistrarSettings => ({
      client,
      connection: url,
      table,
      key: 'island',
      columns,
      entries: 'islands',
    });
    beforeAll(async () => {
      if (!url)
        throw new Error(
          `no ${_name} to test against (scripts/test.sh starts one)`,
        );
      db = knexFactory({ client, connection: url });
      await db.schema.createTable(table, t => {
        t.integer('server_id').primary();
        t.string('env', 64);
        t.string('host', 64);
        t.integer('port');
        t.integer('msg_port');
        t.integer('ready');
      });
    });
    afterAll(async () => {
      await db?.schema.dropTableIfExists(table);
      await db?.destroy();
    });

    it('writes a row per ready island, updates it, and removes it on deregister', async () => {
      const registrar = new SqlRegistrar(settings());
      try {
        await registrar.handle({ action: 'register', entry: entry(269) });
        await registrar.handle({ action: 'register', entry: entry(270) });
        // A retried delivery leaves one row.
        await registrar.handle({ action: 'register', entry: entry(270) });
        expect(await db(table).orderBy('server_id')).toEqual([
          {
            server_id: 269,
            env: 'qa-one',
            host: '198.51.100.12',
            port: 7809,
            msg_port: 7808,
            ready: 1,
          },
          {
            server_id: 270,
            env: 'qa-one',
            host: '198.51.100.12',
            port: 7812,
            msg_port: 7811,
            ready: 1,
          },
        ]);
        // Not ready (restarting): not listed; then back on another node.
        await registrar.handle({
          action: 'register',
          entry: entry(270, false),
        });
        expect((await db(table)).map(r => r.server_id)).toEqual([269]);
        await registrar.handle({
          action: 'register',
          entry: { ...entry(270), address: '198.51.100.10' },
        });
        expect((await db(table).where({ server_id: 270 }))[0].host).toBe(
          '198.51.100.10',
        );
        await registrar.handle({ action: 'deregister', entry: entry(269) });
        expect((await db(table)).map(r => r.server_id)).toEqual([270]);
        // Instances that are not islands are not its business (entries: islands).
        const { island: _island, ...plain } = entry(1);
        await registrar.handle({ action: 'register', entry: plain });
        expect(await db(table).count({ n: '*' })).toEqual([
          { n: expect.anything() },
        ]);
        expect((await db(table)).map(r => r.server_id)).toEqual([270]);
      } finally {
        await registrar.close();
      }
    });
  });
});
