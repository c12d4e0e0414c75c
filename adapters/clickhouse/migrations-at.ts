import type { ClickHouseClient } from '@clickhouse/client';
import { MIGRATIONS } from './migrations.ts';
import { assertIdentifier } from './schema.ts';

/**
 * Builds a database at an older version of the schema (every migration up to
 * `version`, recorded as `migrate` records them): the starting point of a
 * migration's test, and today's schema in a side-by-side benchmark.
 */
export async function migrateUpTo(client: ClickHouseClient, database: string, version: number): Promise<void> {
  const db = assertIdentifier(database);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${db}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.schema_migrations (version UInt32, name String, applied_at DateTime64(3, 'UTC') DEFAULT now64(3)) ENGINE = MergeTree ORDER BY version`,
  });
  for (const m of MIGRATIONS.filter((x) => x.version <= version)) {
    for (const step of m.statements(db)) {
      if (typeof step === 'string') await client.command({ query: step });
      else await step(client);
    }
    await client.insert({ table: `${db}.schema_migrations`, values: [{ version: m.version, name: m.name }], format: 'JSONEachRow' });
  }
}
