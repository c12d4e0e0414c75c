import type { ClickHouseClient } from '@clickhouse/client';
import { LATEST_SCHEMA_VERSION } from '#adapters/clickhouse/migrations.ts';
import { assertIdentifier } from '#adapters/clickhouse/schema.ts';
import { causeText, check, elapsedMs, type Check } from './types.ts';

/**
 * What adapters/clickhouse/migrations.ts relies on. The projection modes are
 * MergeTree settings the `fills` and `activity` tables set (both exist as
 * MergeTree settings from 24.8: ClickHouse/ClickHouse
 * src/Core/SettingsChangesHistory.cpp lists `lightweight_mutation_projection_mode`
 * under 24.7 and the MergeTree history of `deduplicate_merge_projection_mode`
 * from 24.8); the server's own system tables are asked, not its version.
 */
export const MIN_CLICKHOUSE_VERSION = [24, 8] as const;
export const REQUIRED_FEATURES = {
  merge_tree_settings: ['deduplicate_merge_projection_mode', 'lightweight_mutation_projection_mode', 'non_replicated_deduplication_window'],
  data_type_families: ['UInt256', 'Int256', 'Bool'],
  table_engines: ['MergeTree', 'ReplacingMergeTree'],
} as const;

export interface WarehouseProbeInput {
  client: ClickHouseClient;
  database: string;
  /** "embedded ClickHouse (chDB) in …" or "ClickHouse server host:port …". */
  describe: string;
  timeoutMs: number;
}

export function versionAtLeast(version: string, min: readonly number[]): boolean {
  const parts = version.split('.').map((p) => Number.parseInt(p, 10));
  for (let i = 0; i < min.length; i++) {
    const v = parts[i] ?? 0;
    if (Number.isNaN(v)) return false;
    if (v !== min[i]) return v > min[i]!;
  }
  return true;
}

/** The ClickHouse version, whether it has what the schema needs, and where the database's schema stands. */
export async function probeWarehouse(input: WarehouseProbeInput): Promise<Check[]> {
  const { client, describe } = input;
  const rows = async <T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> => {
    const res = await client.query({ query, query_params: params, format: 'JSONEachRow', abort_signal: AbortSignal.timeout(input.timeoutMs) });
    return res.json<T>();
  };
  const start = performance.now();
  let version: string;
  try {
    const [row] = await rows<{ v: string }>('SELECT version() AS v');
    version = row?.v ?? '';
  } catch (err) {
    return [check('clickhouse: reachable', 'fail', `${describe}: ${causeText(err)}; check CLICKHOUSE_URL, CLICKHOUSE_USER and CLICKHOUSE_PASSWORD`)];
  }
  const ms = elapsedMs(start);
  const min = MIN_CLICKHOUSE_VERSION.join('.');
  const checks: Check[] = [
    versionAtLeast(version, MIN_CLICKHOUSE_VERSION)
      ? check('clickhouse: version', 'ok', `${version}, ${describe}, answered in ${ms} ms`, { version, latencyMs: ms })
      : check('clickhouse: version', 'fail', `${version} is older than ${min}, which the schema needs; ${describe}`, { version, latencyMs: ms }),
  ];

  const missing: string[] = [];
  for (const [table, names] of Object.entries(REQUIRED_FEATURES)) {
    const have = await rows<{ name: string }>(`SELECT name FROM system.${table} WHERE name IN {names:Array(String)}`, { names });
    const found = new Set(have.map((r) => r.name));
    for (const n of names) if (!found.has(n)) missing.push(`${n} (system.${table})`);
  }
  const wanted = Object.values(REQUIRED_FEATURES).flat();
  checks.push(
    missing.length === 0
      ? check('clickhouse: features', 'ok', `has ${wanted.join(', ')}`, { features: wanted })
      : check('clickhouse: features', 'fail', `lacks ${missing.join(', ')}: the schema cannot be created; use ClickHouse ${min} or newer`, { missing }),
  );
  checks.push(await schemaCheck(rows, input.database));
  return checks;
}

async function schemaCheck(rows: <T>(q: string, p?: Record<string, unknown>) => Promise<T[]>, database: string): Promise<Check> {
  const db = assertIdentifier(database);
  const [exists] = await rows<{ n: string | number }>('SELECT count() AS n FROM system.tables WHERE database = {db:String} AND name = {t:String}', {
    db,
    t: 'schema_migrations',
  });
  if (Number(exists?.n ?? 0) === 0) {
    return check('clickhouse: schema', 'ok', `database ${db} has no schema yet: the first sync creates it (version ${LATEST_SCHEMA_VERSION})`, { version: 0 });
  }
  const [row] = await rows<{ v: string | number }>(`SELECT max(version) AS v FROM ${db}.schema_migrations`);
  const v = Number(row?.v ?? 0);
  const data = { version: v, latest: LATEST_SCHEMA_VERSION };
  if (v > LATEST_SCHEMA_VERSION) {
    return check(
      'clickhouse: schema',
      'fail',
      `database ${db} is at schema version ${v}, newer than this code's ${LATEST_SCHEMA_VERSION}: upgrade polymarket-sync`,
      data,
    );
  }
  if (v < LATEST_SCHEMA_VERSION)
    return check('clickhouse: schema', 'ok', `database ${db} at schema version ${v}; the next sync migrates it to ${LATEST_SCHEMA_VERSION}`, data);
  return check('clickhouse: schema', 'ok', `database ${db} at schema version ${v} (current)`, data);
}
