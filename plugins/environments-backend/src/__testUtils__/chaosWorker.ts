/*
 * A backend process for the chaos test (integration/chaos.test.ts): the environments plugin on
 * a SQLite file shared with the test, against the local test cluster. The test kills it with
 * SIGKILL at random moments and starts another. Prints "ready" once its worker runs.
 */
import { sharedSqlitePool } from './sqlite';
import knexFactory from 'knex';
import { startEnvironmentsBackend } from './harness';

async function main() {
  const filename = process.env.ARCHIPELAGO_CHAOS_DB;
  if (!filename) throw new Error('ARCHIPELAGO_CHAOS_DB is not set');
  const knex = knexFactory({
    client: 'better-sqlite3',
    connection: { filename },
    useNullAsDefault: true,
    pool: sharedSqlitePool,
  });
  await startEnvironmentsBackend({ knex, leaseMs: 4000 });
  process.stdout.write('ready\n');
}

main().catch(e => {
  process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
});
