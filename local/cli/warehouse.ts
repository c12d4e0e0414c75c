import { resolve } from 'node:path';
import { readSettings, CLICKHOUSE_SETTINGS, ConfigError } from '#shared/config.ts';
import { serverClient } from '#adapters/clickhouse/client.ts';
import type { Warehouse } from '#shared/ports/index.ts';
import { embeddedClient } from '#local/embedded-clickhouse.ts';

export function dataDirFrom(env: NodeJS.ProcessEnv, fallback = './.data'): string {
  return resolve(env.SYNC_DATA_DIR || fallback);
}

/** The embedded engine under the data directory, or the server CLICKHOUSE_URL names. */
export function localWarehouse(dataDir: string, env: NodeJS.ProcessEnv = process.env): Warehouse & { describe: string } {
  const s = readSettings(CLICKHOUSE_SETTINGS, env);
  if (s.CLICKHOUSE_SECRET_ARN) {
    throw new ConfigError('Configuration error: CLICKHOUSE_SECRET_ARN is for Lambda; locally set CLICKHOUSE_URL, CLICKHOUSE_USER and CLICKHOUSE_PASSWORD');
  }
  if (s.CLICKHOUSE_URL) {
    return {
      client: serverClient({ url: s.CLICKHOUSE_URL, username: s.CLICKHOUSE_USER, password: s.CLICKHOUSE_PASSWORD }),
      database: s.CLICKHOUSE_DATABASE,
      describe: `ClickHouse server ${new URL(s.CLICKHOUSE_URL).host}, database ${s.CLICKHOUSE_DATABASE}`,
    };
  }
  return {
    client: embeddedClient(dataDir),
    database: s.CLICKHOUSE_DATABASE,
    describe: `embedded ClickHouse (chDB) in ${dataDir}/clickhouse, database ${s.CLICKHOUSE_DATABASE}`,
  };
}
