import { resolve } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { readSettings, CLICKHOUSE_SETTINGS, ConfigError } from '#shared/config.ts';
import { serverClient } from '#adapters/clickhouse/client.ts';
import type { Warehouse } from '#shared/ports/index.ts';
import { embeddedClient } from '#local/embedded-clickhouse.ts';
import { holdDataDir } from '#local/data-dir-lock.ts';

export function dataDirFrom(env: NodeJS.ProcessEnv, fallback = './.data'): string {
  return resolve(env.SYNC_DATA_DIR || fallback);
}

/** Where `--simulated` keeps its state when SYNC_DATA_DIR does not say otherwise (apart from real data, in ./.data). */
export const SIMULATED_DATA_DIR = './.data/simulated';

/** A command's data directory: SYNC_DATA_DIR, else ./.data, or SIMULATED_DATA_DIR with --simulated. */
export const localDataDir = (simulated: boolean | undefined, env: NodeJS.ProcessEnv = process.env): string =>
  dataDirFrom(env, simulated ? SIMULATED_DATA_DIR : './.data');

/** The embedded engine under the data directory, or the server CLICKHOUSE_URL names. */
export function localWarehouse(dataDir: string, env: NodeJS.ProcessEnv = process.env): Warehouse & { describe: string } {
  const s = readSettings(CLICKHOUSE_SETTINGS, env);
  if (s.CLICKHOUSE_SECRET_ARN) {
    throw new ConfigError('Configuration error: CLICKHOUSE_SECRET_ARN is for Lambda; locally set CLICKHOUSE_URL, CLICKHOUSE_USER and CLICKHOUSE_PASSWORD');
  }
  if (s.CLICKHOUSE_URL) {
    const host = new URL(s.CLICKHOUSE_URL).host;
    return {
      client: markingFailures(serverClient({ url: s.CLICKHOUSE_URL, username: s.CLICKHOUSE_USER, password: s.CLICKHOUSE_PASSWORD }, { quiet: true }), host),
      database: s.CLICKHOUSE_DATABASE,
      describe: `ClickHouse server ${host}, database ${s.CLICKHOUSE_DATABASE}`,
    };
  }
  // The engine does not notice a second process on its directory: the lock does.
  const release = holdDataDir(dataDir);
  let client: ClickHouseClient;
  try {
    client = embeddedClient(dataDir);
  } catch (err) {
    release();
    throw err;
  }
  const close = client.close.bind(client);
  client.close = async () => {
    try {
      await close();
    } finally {
      release();
    }
  };
  return {
    client,
    database: s.CLICKHOUSE_DATABASE,
    describe: `embedded ClickHouse (chDB) in ${dataDir}/clickhouse, database ${s.CLICKHOUSE_DATABASE}`,
  };
}

/** Errors that came from the ClickHouse server, by the host they were sent to. */
const serverFailures = new WeakMap<object, string>();

/** The ClickHouse server host an error (or one it wraps) came from, if it did. */
export function clickhouseHostOf(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  for (let e = err; e !== null && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const host = serverFailures.get(e);
    if (host !== undefined) return host;
  }
  return undefined;
}

/** The client as is, except that a failed call's error remembers the server it went to (for the message a person reads). */
function markingFailures(client: ClickHouseClient, host: string): ClickHouseClient {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || !['query', 'command', 'insert', 'exec', 'ping'].includes(String(property))) return value;
      return async (...args: unknown[]) => {
        try {
          return (await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)) as unknown;
        } catch (err) {
          if (err !== null && typeof err === 'object') serverFailures.set(err, host);
          throw err;
        }
      };
    },
  });
}
