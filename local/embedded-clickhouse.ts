import { createWriteStream, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { createChdbConnection } from 'chdb/connection';
import { sqlString } from '#adapters/clickhouse/sql-literal.ts';

/**
 * The ClickHouse engine in-process (chDB), on disk, behind the same
 * `@clickhouse/client` API the Lambda loader uses against a server. chDB
 * binds one data directory per process: share this client, and separate
 * tests by database, not by directory.
 */
export function embeddedClient(dataDir: string): ClickHouseClient {
  const path = resolve(dataDir, 'clickhouse');
  mkdirSync(path, { recursive: true });
  const connection = spoolingInserts(statelessSettings(createChdbConnection({ path })), resolve(dataDir, 'clickhouse-spool'));
  return createClient({
    connection,
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
  } as Parameters<typeof createClient>[0]);
}

type ChdbConnection = ReturnType<typeof createChdbConnection>;
type ExecParams = Parameters<ChdbConnection['exec']>[0];

/**
 * chdb/connection applies a call's settings as session `SET`s, which outlive
 * the call; a server applies them to one request only. An insert that names
 * no token would inherit the previous insert's and could be dropped as its
 * duplicate, so every call states the token, empty unless it sets one.
 */
function statelessSettings(connection: ChdbConnection): ChdbConnection {
  const reset = { insert_deduplication_token: '' };
  const query = connection.query.bind(connection);
  const exec = connection.exec.bind(connection);
  const command = connection.command.bind(connection);
  const insert = connection.insert.bind(connection);
  connection.query = (params) => query({ ...params, clickhouse_settings: { ...reset, ...params.clickhouse_settings } });
  connection.exec = (params) => exec({ ...params, clickhouse_settings: { ...reset, ...params.clickhouse_settings } });
  connection.command = (params) => command({ ...params, clickhouse_settings: { ...reset, ...params.clickhouse_settings } });
  connection.insert = (params) => insert({ ...params, clickhouse_settings: { ...reset, ...params.clickhouse_settings } });
  return connection;
}

/** `INSERT INTO <table> [(columns)] FORMAT <format>`, as the client writes a streamed insert. */
const STREAMED_INSERT = /^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_.]*(?:\s*\([A-Za-z0-9_,\s]*\))?)\s+FORMAT\s+([A-Za-z]+)\s*$/i;

/**
 * chdb/connection hands an insert's body to the engine as one JavaScript
 * string, so a large insert costs its size several times over in V8 (a
 * 1,000,000-row object failed with `RangeError: Invalid string length`).
 * Streamed inserts are written to a file instead and read by the engine
 * with `FROM INFILE`: memory stays flat and the engine parses in parallel.
 * Same statement, settings and deduplication token; only the transport differs.
 */
function spoolingInserts(connection: ChdbConnection, spoolRoot: string): ChdbConnection {
  mkdirSync(spoolRoot, { recursive: true });
  const exec = connection.exec.bind(connection);
  connection.exec = async (params: ExecParams) => {
    const insert = params.values === undefined ? null : STREAMED_INSERT.exec(params.query);
    if (!insert) return exec(params);
    const dir = mkdtempSync(join(spoolRoot, 'insert-'));
    try {
      const file = join(dir, `body.${insert[2]!.toLowerCase()}`);
      const values = params.values as Readable | string;
      await pipeline(typeof values === 'string' ? Readable.from([values]) : values, createWriteStream(file));
      // An empty body goes the library's way: it answers an insert of nothing with success.
      if (statSync(file).size === 0) return await exec({ ...params, values: Readable.from([]) });
      const target = insert[1]!;
      const format = insert[2]!;
      // The spool path is ours (mkdtemp under the data directory), quoted as a string literal all the same.
      return await exec({ ...params, values: undefined, query: `INSERT INTO ${target} FROM INFILE ${sqlString(file)} FORMAT ${format}` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  return connection;
}
