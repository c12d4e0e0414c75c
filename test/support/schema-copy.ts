import type { ClickHouseClient } from '@clickhouse/client';
import { assertIdentifier } from '#adapters/clickhouse/schema.ts';

interface SchemaObject {
  name: string;
  engine: string;
  create_table_query: string;
}

/**
 * A fresh database with the tables and views of `template`, a database
 * `migrate` made, and its schema_migrations rows: the schema `migrate` would
 * make, from one statement per table and view instead of every version's
 * steps again. For tests that need many fresh databases.
 */
export async function copyMigratedSchema(client: ClickHouseClient, template: string, database: string): Promise<void> {
  const from = assertIdentifier(template);
  const to = assertIdentifier(database);
  const res = await client.query({
    query: 'SELECT name, engine, create_table_query FROM system.tables WHERE database = {db:String}',
    query_params: { db: from },
    format: 'JSONEachRow',
  });
  const objects = (await res.json()) as SchemaObject[];
  const inDatabase = new RegExp(`\\b${from}\\.`, 'g');
  await client.command({ query: `CREATE DATABASE ${to}` });
  for (const o of inCreationOrder(objects, from)) await client.command({ query: o.create_table_query.replace(inDatabase, `${to}.`) });
  await client.command({ query: `INSERT INTO ${to}.schema_migrations SELECT * FROM ${from}.schema_migrations` });
}

/** Tables first, then views, each view after the views it reads. */
function inCreationOrder(objects: SchemaObject[], database: string): SchemaObject[] {
  const ordered = objects.filter((o) => o.engine !== 'View');
  const views = objects.filter((o) => o.engine === 'View');
  const reads = (view: SchemaObject, other: SchemaObject) => new RegExp(`\\b${database}\\.${other.name}\\b`).test(view.create_table_query);
  while (views.length > 0) {
    const next = views.findIndex((v) => views.every((other) => other === v || !reads(v, other)));
    if (next < 0) throw new Error(`views of ${database} read one another in a cycle: ${views.map((v) => v.name).join(', ')}`);
    ordered.push(...views.splice(next, 1));
  }
  return ordered;
}
