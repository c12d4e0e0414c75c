import { randomUUID } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { once } from 'node:events';
import type { ClickHouseClient } from '@clickhouse/client';
import { readStagedLines } from '#shared/staging/codec.ts';
import { readStagedV2 } from '#shared/staging/format-v2.ts';
import { tsvColumnSuffix } from '#shared/staging/fill-tsv.ts';
import { sniffStagedFormat, type StagedFormat } from '#shared/staging/sniff.ts';
import { REFRESHED_TABLES, STAGED_TABLES, type StagedTable } from '#shared/model/staged.ts';
import { FILL_FIELDS } from '#shared/staging/fill-line.ts';
import { activityToLoad } from './replayed-activity.ts';
import { assertIdentifier } from './schema.ts';
import { V1_EXCHANGES } from '#shared/sources/chain/events/addresses.ts';

export interface StagedLoadResult {
  /** Rows the object held, per table. */
  rows: Record<StagedTable, number>;
  /** Fills of the object that were in ClickHouse already and were not inserted again (`skipLoadedFills` only). */
  fillsAlreadyLoaded: number;
  /** Activity events of a windowed run loaded before under another wallet, and replaced (see activityToLoad). */
  activityReattributed: number;
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
   * The same holds for its `activity` rows (see activityToLoad).
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
  // Fills dedupe on key + ETag (a retried load of this object). Market lists are refreshed
  // whole every run under new keys, so they dedupe on content alone: an unchanged page adds no rows.
  const token = (table: StagedTable) => (REFRESHED_TABLES.has(table) ? `content:${object.etag}:${table}` : `${object.key}:${object.etag}:${table}`);
  const { format, body } = await sniffStagedFormat(object.body);
  const lineage = `,"staged_object":${JSON.stringify(object.key)}}\n`;
  const fills = new FillInserts(client, fillsTable, format, `${token('fills')}:`, maxRowsPerInsert);
  const v1ChainTransactions = new Set<string>();
  let read: ReadResult;
  try {
    read =
      format === 'v2' ? await readV2(body, object.key, maxRowsPerInsert, fills, v1ChainTransactions) : await readV1(body, lineage, fills, v1ChainTransactions);
    await fills.finish();
  } catch (err) {
    await fills.abort(err as Error);
    throw err;
  }
  const { rows, small, newest } = read;
  const fillsAlreadyLoaded = skipLoadedFills && rows.fills > 0 ? await copyMissingFills(client, db, object.key) : 0;
  if (v1ChainTransactions.size > 0) await dropSupersededSubgraphFills(client, db, [...v1ChainTransactions]);
  let activityReattributed = 0;
  for (const table of STAGED_TABLES) {
    if (table === 'fills') continue;
    let lines = small[table];
    if (table === 'activity' && skipLoadedFills && lines?.length) {
      const toLoad = await activityToLoad(client, db, lines);
      lines = toLoad.lines;
      activityReattributed = toLoad.reattributed;
    }
    if (!lines?.length) continue;
    await insertRaw(client, `${db}.${table}`, Readable.from([lines.map((l) => l.slice(0, -1) + lineage).join('')]), token(table));
  }
  if (small.markets?.length || small.token_claims?.length) await reloadTokenMarkets(client, db);
  return { rows, fillsAlreadyLoaded, activityReattributed, supersededTransactions: v1ChainTransactions.size, newestFillTimestamp: newest };
}

/** The mapping dictionary (schema version 6) follows the rows just loaded, so queries through it are exact once the load is done. */
async function reloadTokenMarkets(client: ClickHouseClient, db: string): Promise<void> {
  try {
    await client.command({ query: `SYSTEM RELOAD DICTIONARY ${db}.token_markets` });
  } catch (err) {
    throw new Error(
      `the market rows are loaded, but the dictionary ${db}.token_markets could not be reloaded (the ClickHouse user needs SYSTEM RELOAD DICTIONARY): ${(err as Error).message}`,
      { cause: err },
    );
  }
}

interface ReadResult {
  rows: Record<StagedTable, number>;
  /** Row JSON of the tables other than fills, by table. */
  small: Partial<Record<StagedTable, string[]>>;
  newest: number | null;
}

const emptyRead = (): ReadResult => ({ rows: Object.fromEntries(STAGED_TABLES.map((t) => [t, 0])) as Record<StagedTable, number>, small: {}, newest: null });

/** Format 1 (gzip JSON lines): every fill line is checked and sent on as JSONEachRow with its lineage. */
async function readV1(body: Readable, lineage: string, fills: FillInserts, v1ChainTransactions: Set<string>): Promise<ReadResult> {
  const out = emptyRead();
  for await (const line of readStagedLines(body)) {
    out.rows[line.table]++;
    if (line.table !== 'fills') {
      (out.small[line.table] ??= []).push(line.rowJson);
      continue;
    }
    if (V1_CHAIN_FILL.test(line.rowJson)) {
      const tx = TRANSACTION_HASH_FIELD.exec(line.rowJson)?.[1];
      if (tx) v1ChainTransactions.add(tx);
    }
    const ts = Number(TIMESTAMP_FIELD.exec(line.rowJson)?.[1] ?? NaN);
    if (Number.isFinite(ts) && (out.newest === null || ts > out.newest)) out.newest = ts;
    await fills.write(line.rowJson.slice(0, -1) + lineage, 1);
  }
  return out;
}

/** Format 2 (zstd, fills as TSV): checked blocks of fill lines go to the engine as they are, with the lineage column added. */
async function readV2(body: Readable, key: string, maxRows: number, fills: FillInserts, v1ChainTransactions: Set<string>): Promise<ReadResult> {
  const out = emptyRead();
  for await (const item of readStagedV2(body, { fillSuffix: tsvColumnSuffix(key), cutEvery: maxRows, v1ChainTransactions })) {
    if (item.kind === 'record') {
      out.rows[item.table]++;
      (out.small[item.table] ??= []).push(item.rowJson);
      continue;
    }
    out.rows.fills += item.rows;
    if (item.newest !== null && (out.newest === null || item.newest > out.newest)) out.newest = item.newest;
    await fills.write(item.body, item.rows);
  }
  return out;
}

/**
 * The object's fills as inserts of at most `maxRows` rows each, numbered in
 * order, each with its own deduplication token. Parts are cut at exact row
 * counts, so a retry sends the same rows under the same tokens. While one
 * insert finishes in the engine the next part is already streaming: at most
 * two inserts are open at a time.
 */
class FillInserts {
  private part = 0;
  private rowsInPart = 0;
  private stream: PassThrough | null = null;
  private current: Promise<void> | null = null;
  private previous: Promise<void> | null = null;

  constructor(
    private readonly client: ClickHouseClient,
    private readonly table: string,
    private readonly format: StagedFormat,
    private readonly tokenPrefix: string,
    private readonly maxRows: number,
  ) {}

  async write(chunk: string | Buffer, rows: number): Promise<void> {
    if (this.stream && this.rowsInPart >= this.maxRows) await this.endPart();
    if (!this.stream) this.startPart();
    const stream = this.stream!;
    this.rowsInPart += rows;
    if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), this.current]);
  }

  private startPart(): void {
    const stream = new PassThrough();
    const insert = insertRaw(this.client, insertTarget(this.table, this.format), stream, `${this.tokenPrefix}${this.part}`, this.format, FILL_INSERT_SETTINGS);
    // Surface an early insert failure instead of writing into a dead stream.
    insert.catch(() => stream.destroy());
    this.stream = stream;
    this.current = insert;
  }

  /** Ends the open part; waits for the one before it, so no more than two are in flight. */
  private async endPart(): Promise<void> {
    this.stream!.end();
    const before = this.previous;
    this.previous = this.current;
    this.stream = null;
    this.current = null;
    this.part++;
    this.rowsInPart = 0;
    await before;
  }

  async finish(): Promise<void> {
    if (this.stream) await this.endPart();
    await this.previous;
    this.previous = null;
  }

  async abort(err: Error): Promise<void> {
    this.stream?.destroy(err);
    await Promise.allSettled([this.current, this.previous]);
  }
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
 *
 * The delete is a mutation that rewrites every part it matches, projections
 * included, and takes seconds even when it matches nothing; most chain
 * objects have no subgraph row to replace (a warehouse that never read V1
 * from the subgraph, or a re-load), so a read looks first. Either way it is
 * one moment's view: a subgraph row inserted after it is the same case as
 * one inserted after the delete.
 */
async function dropSupersededSubgraphFills(client: ClickHouseClient, db: string, transactions: string[]): Promise<void> {
  const found = await client.query({
    query: `SELECT 1 FROM ${db}.fills WHERE source = 'subgraph' AND transaction_hash IN {transactions:Array(String)} LIMIT 1`,
    query_params: { transactions },
    format: 'JSONEachRow',
  });
  if (((await found.json()) as unknown[]).length === 0) return;
  await client.command({
    query: `DELETE FROM ${db}.fills WHERE source = 'subgraph' AND transaction_hash IN {transactions:Array(String)}`,
    query_params: { transactions },
  });
}

/** The table and, for TSV, the columns in the order of the staged lines with the lineage column last. */
const insertTarget = (table: string, format: StagedFormat) => (format === 'v2' ? `${table} (${FILL_COLUMNS})` : table);

/**
 * Fill inserts leave the replacing to the table's merges (`optimize_on_insert = 0`): with it on, the
 * engine first runs each sorted block through the ReplacingMergeTree merge, row by row, which was a
 * third of the engine's CPU on a 1 M-row object. It would only collapse a fill that one insert holds
 * twice, and a staged object never does (a shard's pages follow a cursor); a fill loaded twice is one
 * row under FINAL and after the merge either way, and a retried insert is still dropped by its token.
 */
const FILL_INSERT_SETTINGS = { optimize_on_insert: 0 } as const;

/** Sends the staged text as it is: JSONEachRow (format 1, and the small tables) or TabSeparated (format 2's fills). */
async function insertRaw(
  client: ClickHouseClient,
  target: string,
  body: Readable,
  dedupToken: string,
  format: StagedFormat = 'v1',
  settings: Record<string, number> = {},
): Promise<void> {
  const res = await client.exec({
    query: `INSERT INTO ${target} FORMAT ${format === 'v2' ? 'TabSeparated' : 'JSONEachRow'}`,
    values: body,
    clickhouse_settings: {
      ...settings,
      insert_deduplication_token: dedupToken,
      insert_deduplicate: 1,
      // The first line is a row, never a header of names (the engine would otherwise guess).
      ...(format === 'v2' ? { input_format_tsv_detect_header: 0 } : {}),
    },
  });
  // The response body must be consumed for the socket to return to the pool.
  for await (const _ of res.stream) void _;
}
