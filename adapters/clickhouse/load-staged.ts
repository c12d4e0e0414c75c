import { randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { once } from 'node:events';
import type { ClickHouseClient } from '@clickhouse/client';
import { readStagedLines } from '#shared/staging/codec.ts';
import { REFRESHED_TABLES, STAGED_TABLES, type StagedTable } from '#shared/model/staged.ts';
import { FILL_FIELDS } from '#shared/staging/fill-line.ts';
import { assertIdentifier } from './schema.ts';
import { V1_EXCHANGES } from '#shared/sources/chain/events/addresses.ts';

export interface StagedLoadResult {
  /** Rows the object held, per table. */
  rows: Record<StagedTable, number>;
  /** Fills of the object that were in ClickHouse already and were not inserted again (`skipLoadedFills` only). */
  fillsAlreadyLoaded: number;
  /** Transactions whose subgraph rows were replaced by this object's V1 fills read from the chain. */
  supersededTransactions: number;
  /** Newest fill timestamp (unix s) in the object, for the freshness heartbeat. */
  newestFillTimestamp: number | null;
}

const TIMESTAMP_FIELD = /"timestamp":(\d+)/;
/** A canonical fill line read from a V1 exchange's logs: it supersedes the subgraph's row for the same fill. */
const V1_CHAIN_FILL = new RegExp(`^\\{"fill_id":"[^"]*","source":"chain","exchange":"(?:${V1_EXCHANGES.map((a) => a.toLowerCase()).join('|')})"`);
const TRANSACTION_HASH_FIELD = /"transaction_hash":"(0x[0-9a-f]{64})"/;

/**
 * Fills go in as inserts of at most this many rows, each with its own
 * deduplication token: no single insert grows with the object (a server
 * holds an insert's block in memory), and a retry repeats each part's token.
 */
export const MAX_ROWS_PER_INSERT = 100_000;

export interface LoadOptions {
  maxRowsPerInsert?: number;
  /**
   * For objects that may repeat fills loaded by an earlier run (a replayed
   * window): their fills go to `fills_replay` first, and only the ones not
   * in `fills` yet are copied across, so a replay adds no physical copies.
   */
  skipLoadedFills?: boolean;
}

/**
 * Inserts one staged object. Fill rows stream straight into ClickHouse, so a
 * million-row object never sits in memory; the other tables are small and go
 * in after. Each table's insert carries a deduplication token derived from
 * the object's key and ETag, so loading the same object again adds nothing.
 */
export async function loadStagedObject(
  client: ClickHouseClient,
  database: string,
  object: { key: string; etag: string; body: Readable },
  { maxRowsPerInsert = MAX_ROWS_PER_INSERT, skipLoadedFills = false }: LoadOptions = {},
): Promise<StagedLoadResult> {
  const db = assertIdentifier(database);
  const fillsTable = skipLoadedFills ? `${db}.fills_replay` : `${db}.fills`;
  const lineage = `,"staged_object":${JSON.stringify(object.key)}}\n`;
  // Fills dedupe on key + ETag (a retried load of this object). Market lists are refreshed
  // whole every run under new keys, so they dedupe on content alone: an unchanged page adds no rows.
  const token = (table: StagedTable) => (REFRESHED_TABLES.has(table) ? `content:${object.etag}:${table}` : `${object.key}:${object.etag}:${table}`);
  const rows = Object.fromEntries(STAGED_TABLES.map((t) => [t, 0])) as Record<StagedTable, number>;
  const small: Partial<Record<StagedTable, string[]>> = {};
  let newest: number | null = null;
  const v1ChainTransactions = new Set<string>();

  let fills: PassThrough | null = null;
  let fillsInsert: Promise<unknown> | null = null;
  let part = 0;
  let rowsInPart = 0;
  try {
    for await (const line of readStagedLines(object.body)) {
      rows[line.table]++;
      const withLineage = line.rowJson.slice(0, -1) + lineage;
      if (line.table !== 'fills') {
        (small[line.table] ??= []).push(withLineage);
        continue;
      }
      if (V1_CHAIN_FILL.test(line.rowJson)) {
        const tx = TRANSACTION_HASH_FIELD.exec(line.rowJson)?.[1];
        if (tx) v1ChainTransactions.add(tx);
      }
      const ts = Number(TIMESTAMP_FIELD.exec(line.rowJson)?.[1] ?? NaN);
      if (Number.isFinite(ts) && (newest === null || ts > newest)) newest = ts;
      if (fills && fillsInsert && rowsInPart >= maxRowsPerInsert) {
        fills.end();
        await fillsInsert;
        fills = null;
        part++;
        rowsInPart = 0;
      }
      if (!fills) {
        fills = new PassThrough();
        fillsInsert = insertRaw(client, fillsTable, fills, `${token('fills')}:${part}`);
        // Surface an early insert failure instead of writing into a dead stream.
        fillsInsert.catch(() => fills?.destroy());
      }
      rowsInPart++;
      if (!fills.write(withLineage)) await Promise.race([once(fills, 'drain'), fillsInsert]);
    }
  } catch (err) {
    fills?.destroy(err as Error);
    await fillsInsert?.catch(() => undefined);
    throw err;
  }
  if (fills && fillsInsert) {
    fills.end();
    await fillsInsert;
  }
  const fillsAlreadyLoaded = skipLoadedFills && rows.fills > 0 ? await copyMissingFills(client, db, object.key) : 0;
  if (v1ChainTransactions.size > 0) await dropSupersededSubgraphFills(client, db, [...v1ChainTransactions]);
  for (const table of STAGED_TABLES) {
    if (table === 'fills') continue;
    const lines = small[table];
    if (!lines?.length) continue;
    await insertRaw(client, `${db}.${table}`, Readable.from([lines.join('')]), token(table));
  }
  return { rows, fillsAlreadyLoaded, supersededTransactions: v1ChainTransactions.size, newestFillTimestamp: newest };
}

const FILL_COLUMNS = [...FILL_FIELDS, 'staged_object'].join(', ');

/**
 * Copies the object's fills from `fills_replay` into `fills`, leaving out
 * every fill id `fills` holds already. A retry after a partial copy finds
 * the copied ids present and adds only the rest. Returns the fills left out.
 */
async function copyMissingFills(client: ClickHouseClient, db: string, key: string): Promise<number> {
  const res = await client.query({
    query:
      `SELECT uniqExactIf(fill_id, fill_id IN (SELECT fill_id FROM ${db}.fills WHERE fill_id IN ` +
      `(SELECT fill_id FROM ${db}.fills_replay WHERE staged_object = {key:String}))) AS present ` +
      `FROM ${db}.fills_replay WHERE staged_object = {key:String}`,
    query_params: { key },
    format: 'JSONEachRow',
  });
  const [{ present }] = (await res.json()) as [{ present: string }];
  await client.command({
    query:
      `INSERT INTO ${db}.fills (${FILL_COLUMNS}) SELECT ${FILL_COLUMNS} FROM ${db}.fills_replay ` +
      `WHERE staged_object = {key:String} AND fill_id NOT IN (SELECT fill_id FROM ${db}.fills WHERE fill_id IN ` +
      `(SELECT fill_id FROM ${db}.fills_replay WHERE staged_object = {key:String})) ORDER BY fill_id LIMIT 1 BY fill_id`,
    query_params: { key },
    // NOT IN is what makes a retry safe. A repeated token would be wrong here: a retry after a partial
    // copy sends different rows, and a token dedupes by position, not content, so it would drop them.
    // Hence a token of this attempt alone.
    clickhouse_settings: { insert_deduplication_token: `copy:${randomUUID()}`, insert_deduplicate: 1 },
  });
  return Number(present);
}

/**
 * A user who switches V1 history from the subgraph to the chain must not see
 * each fill twice: the subgraph's id (tx hash + order hash) and the chain's
 * (tx hash + log index) differ, so the chain's rows replace every subgraph
 * row of the same transactions once they are in. Deleting by transaction is
 * exact because both sources hold every fill of a V1 transaction. Safe to
 * repeat: a second delete finds nothing.
 */
async function dropSupersededSubgraphFills(client: ClickHouseClient, db: string, transactions: string[]): Promise<void> {
  await client.command({
    query: `DELETE FROM ${db}.fills WHERE source = 'subgraph' AND transaction_hash IN {transactions:Array(String)}`,
    query_params: { transactions },
  });
}

/** Sends JSONEachRow text as it is: the staged lines are already in the table's shape. */
async function insertRaw(client: ClickHouseClient, table: string, body: Readable, dedupToken: string): Promise<void> {
  const res = await client.exec({
    query: `INSERT INTO ${table} FORMAT JSONEachRow`,
    values: body,
    clickhouse_settings: { insert_deduplication_token: dedupToken, insert_deduplicate: 1 },
  });
  // The response body must be consumed for the socket to return to the pool.
  for await (const _ of res.stream) void _;
}
