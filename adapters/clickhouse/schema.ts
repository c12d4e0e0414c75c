import type { ClickHouseClient } from '@clickhouse/client';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.ts';

export class SchemaOutOfDateError extends Error {
  override name = 'SchemaOutOfDateError';
}

/** Identifiers cannot be bound as parameters, so they come only from this checked form. */
export function assertIdentifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) throw new Error(`not a plain identifier: ${JSON.stringify(name)}`);
  return name;
}

async function appliedVersion(client: ClickHouseClient, db: string): Promise<number> {
  const exists = await client.query({
    query: 'SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {table:String}',
    query_params: { db, table: 'schema_migrations' },
    format: 'JSONEachRow',
  });
  const [{ n }] = (await exists.json()) as [{ n: string | number }];
  if (Number(n) === 0) return 0;
  const res = await client.query({ query: `SELECT max(version) AS v FROM ${db}.schema_migrations`, format: 'JSONEachRow' });
  const [{ v }] = (await res.json()) as [{ v: string | number }];
  return Number(v);
}

/** Applies every migration newer than the database's version. Safe to run again. */
export async function migrate(client: ClickHouseClient, database: string): Promise<{ from: number; to: number }> {
  const db = assertIdentifier(database);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = MergeTree ORDER BY version`,
  });
  const from = await appliedVersion(client, db);
  for (const m of MIGRATIONS.filter((x) => x.version > from)) {
    for (const step of m.statements(db)) {
      if (typeof step === 'string') await client.command({ query: step });
      else await step(client);
    }
    await client.insert({
      table: `${db}.schema_migrations`,
      values: [{ version: m.version, name: m.name }],
      format: 'JSONEachRow',
    });
  }
  return { from, to: LATEST_SCHEMA_VERSION };
}

/** The loader refuses to insert into a database whose schema it does not know. */
export async function assertSchemaCurrent(client: ClickHouseClient, database: string): Promise<void> {
  const db = assertIdentifier(database);
  const v = await appliedVersion(client, db);
  if (v !== LATEST_SCHEMA_VERSION) {
    throw new SchemaOutOfDateError(`ClickHouse database ${db} is at schema version ${v}, this code needs ${LATEST_SCHEMA_VERSION}: run \`npm run migrate\``);
  }
}
