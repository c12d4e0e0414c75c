import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';

/**
 * The ClickHouse engine in-process (chDB), on disk, behind the same
 * `@clickhouse/client` API the Lambda loader uses against a server. chDB
 * binds one data directory per process: share this client, and separate
 * tests by database, not by directory.
 */
export function embeddedClient(dataDir: string): ClickHouseClient {
  const path = resolve(dataDir, 'clickhouse');
  mkdirSync(path, { recursive: true });
  return createClient({
    connection: createChdbConnection({ path }),
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
  } as Parameters<typeof createClient>[0]);
}
