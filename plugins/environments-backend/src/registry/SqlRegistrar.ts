/*
 * The built-in SQL registrar: writes each registered instance as a row of a studio's own table
 * and deletes it on deregister (seed 002 writes each island into the studio's MySQL). knex
 * speaks MySQL/MariaDB (mysql2), PostgreSQL (pg) and SQLite (better-sqlite3); the table and
 * its columns are the studio's, named in config.
 */
import knexFactory, { Knex } from 'knex';
import { InputError } from '@backstage/errors';
import type { Config } from '@backstage/config';
import type {
  EnvironmentRegistrar,
  RegistrationEvent,
} from '@archipelago/plugin-environments-node';
import type { RegistryEntry } from '@archipelago/plugin-environments-common';

/** The entry fields a column can take; `port.<name>` takes the port of that name. */
export const SQL_REGISTRAR_FIELDS = [
  'island',
  'environment',
  'service',
  'instance',
  'version',
  'address',
  'node',
  'ready',
  'ports',
  'registeredAt',
  'updatedAt',
] as const;

export interface SqlRegistrarSettings {
  client: 'mysql2' | 'pg' | 'better-sqlite3';
  connection: string | Record<string, unknown>;
  table: string;
  /** The entry field whose column identifies a row: island (default) or instance. */
  key: 'island' | 'instance';
  /** Column by entry field, and "port.<name>" for the port of that name (portColumns). */
  columns: Record<string, string>;
  /** Which entries it writes: islands only (default), or every instance. */
  entries: 'islands' | 'all';
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]{0,63}(\.[A-Za-z_][A-Za-z0-9_]{0,63})?$/;

/** Reads environments.registrars.sql; every error names its key. */
export function readSqlRegistrarSettings(
  c: Config | undefined,
): SqlRegistrarSettings | undefined {
  if (!c) return undefined;
  const at = (k: string) => `environments.registrars.sql.${k}`;
  const client = c.getString('client');
  if (!['mysql2', 'pg', 'better-sqlite3'].includes(client))
    throw new InputError(
      `Invalid config ${at(
        'client',
      )}: "${client}" must be mysql2 (MySQL, MariaDB), pg or better-sqlite3`,
    );
  const table = c.getString('table');
  if (!IDENT.test(table))
    throw new InputError(
      `Invalid config ${at(
        'table',
      )}: "${table}" must be a table name (letters, digits, _; optionally schema.table)`,
    );
  const key = (c.getOptionalString('key') ?? 'island') as 'island' | 'instance';
  if (!['island', 'instance'].includes(key))
    throw new InputError(
      `Invalid config ${at('key')}: "${key}" must be island or instance`,
    );
  const entries = (c.getOptionalString('entries') ?? 'islands') as
    | 'islands'
    | 'all';
  if (!['islands', 'all'].includes(entries))
    throw new InputError(
      `Invalid config ${at('entries')}: "${entries}" must be islands or all`,
    );
  const columns: Record<string, string> = {};
  const columnName = (k: string, column: string) => {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(column))
      throw new InputError(
        `Invalid config ${at(k)}: "${column}" must be a column name`,
      );
    return column;
  };
  const columnsConfig = c.getConfig('columns');
  for (const field of columnsConfig.keys()) {
    if (!(SQL_REGISTRAR_FIELDS as readonly string[]).includes(field))
      throw new InputError(
        `Invalid config ${at(
          `columns.${field}`,
        )}: "${field}" is not an entry field (${SQL_REGISTRAR_FIELDS.join(
          ', ',
        )}; ports by name go in portColumns)`,
      );
    columns[field] = columnName(
      `columns.${field}`,
      columnsConfig.getString(field),
    );
  }
  const ports = c.getOptionalConfig('portColumns');
  for (const port of ports?.keys() ?? []) {
    columns[`port.${port}`] = columnName(
      `portColumns.${port}`,
      ports!.getString(port),
    );
  }
  if (!columns[key])
    throw new InputError(
      `Invalid config ${at('columns')}: needs a column for the key, ${key}`,
    );
  const connection = c.getOptional('connection') as
    | string
    | Record<string, unknown>
    | undefined;
  if (!connection)
    throw new InputError(`Invalid config ${at('connection')}: is required`);
  return {
    client: client as SqlRegistrarSettings['client'],
    connection,
    table,
    key,
    columns,
    entries,
  };
}

/** One entry as the row the mapping gives. */
export function rowOf(
  entry: RegistryEntry,
  columns: Record<string, string>,
): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const [field, column] of Object.entries(columns)) {
    if (field.startsWith('port.')) {
      row[column] =
        entry.ports.find(p => p.name === field.slice(5))?.port ?? null;
    } else if (field === 'ports') {
      row[column] = JSON.stringify(entry.ports);
    } else if (field === 'ready') {
      row[column] = entry.ready ? 1 : 0;
    } else if (field === 'registeredAt' || field === 'updatedAt') {
      row[column] = new Date(entry[field]);
    } else {
      row[column] = (entry as any)[field] ?? null;
    }
  }
  return row;
}

export class SqlRegistrar implements EnvironmentRegistrar {
  readonly name = 'sql';
  private readonly db: Knex;

  constructor(private readonly settings: SqlRegistrarSettings, db?: Knex) {
    this.db =
      db ??
      knexFactory({
        client: settings.client,
        connection: settings.connection as any,
        useNullAsDefault: settings.client === 'better-sqlite3',
        pool: { min: 0, max: 4 },
      });
  }

  async handle(event: RegistrationEvent): Promise<void> {
    const { entry } = event;
    if (this.settings.entries === 'islands' && entry.island === undefined)
      return;
    const keyColumn = this.settings.columns[this.settings.key];
    const keyValue = (entry as any)[this.settings.key];
    await this.db.transaction(async tx => {
      // Delete, then insert: the same on every database knex speaks, and idempotent, so a
      // retried delivery leaves one row.
      await tx(this.settings.table).where(keyColumn, keyValue).delete();
      // Only a ready instance is one a client can reach: it is what the table lists.
      if (event.action === 'register' && entry.ready)
        await tx(this.settings.table).insert(
          rowOf(entry, this.settings.columns),
        );
    });
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
