import { FILL_FIELDS } from '#shared/staging/fill-line.ts';
import type { ClickHouseClient } from '@clickhouse/client';
import { withMigrationLock } from './migration-lock.ts';
import type { Migration, MigrationStep } from './migrations.ts';

/**
 * Version 5: `fills` laid out for how analysts read it. Until version 4 the
 * table was ordered by `fill_id` alone, so every query by wallet, market or
 * day read the whole table. From version 5:
 *
 * - ordered by (`maker`, `timestamp`, `fill_id`): one wallet's history is a
 *   range of the primary key in each monthly partition, with or without
 *   FINAL; granules of 1,024 rows, so a wallet reads about that per month. `fill_id` stays the last
 *   key column and a fill's `maker` and `timestamp` are fixed by its event, so
 *   ReplacingMergeTree still folds exactly the copies of one fill (monthly
 *   partitions already assumed a fill keeps its timestamp);
 * - projection `by_token` (the columns a market's volume and OHLC need,
 *   ordered by token and time): read by queries without FINAL, which
 *   deduplicate themselves (`LIMIT 1 BY fill_id`), as `market_fills` does;
 * - a bloom filter on `fill_id`, so lookups by id (a replay's missing fills)
 *   skip most granules now that the id no longer leads the key;
 * - ZSTD on the hex strings and the 256-bit ids (LZ4 cannot shrink random
 *   hex; ZSTD's entropy coding halves it);
 * - `usdc`, `shares` (exact `Decimal(38, 6)`) and `day`: ALIAS columns,
 *   computed when read, nothing on disk, nothing for the loader to fill;
 * - parameterized views `wallet_trades(wallet)` and `market_fills(slug)`:
 *   `trades` for one wallet or one market, joining only that wallet's or
 *   market's tokens instead of the whole mapping (projections `by_slug` on
 *   `markets` and `by_condition` on `token_claims` find a market's tokens).
 *
 * The rows move to a new table, copied partition by partition in chunks that
 * each carry their own deduplication token (a second process copying at the
 * same time inserts nothing twice), then the names are swapped in one
 * EXCHANGE under a lock (see moveFillsToSortedTable).
 */

// SQL below spells its constants out: the security test admits no interpolation but the database's name.

/**
 * The stored columns of `fills` at version 4, in table order: what the copy
 * moves. It starts with the staged fill's fields, which staged format 2 fixes
 * (another order would be another format), then the columns the loader adds.
 */
export const FILLS_V4_COLUMNS = [...FILL_FIELDS, 'staged_object', 'ingested_at', 'is_taker_order', 'asset_namespace'] as const;

export const FILLS_SORTING_KEY = 'maker, timestamp, fill_id';
/** Rows per copied chunk: one insert block each, so one deduplication token covers it. */
const CHUNK_ROWS = 500_000;

const createFillsV5 = (db: string, table: string) => `CREATE TABLE IF NOT EXISTS ${db}.${table}
  (
    fill_id String CODEC(ZSTD(1)),
    source LowCardinality(String),
    exchange LowCardinality(String),
    block_number UInt64,
    log_index UInt32,
    timestamp DateTime('UTC'),
    transaction_hash String CODEC(ZSTD(1)),
    order_hash String CODEC(ZSTD(1)),
    maker String CODEC(ZSTD(1)),
    taker String CODEC(ZSTD(1)),
    maker_asset_id UInt256 CODEC(ZSTD(1)),
    taker_asset_id UInt256 CODEC(ZSTD(1)),
    maker_amount_filled UInt256,
    taker_amount_filled UInt256,
    fee UInt256,
    token_id UInt256 CODEC(ZSTD(1)),
    side Enum8('BUY' = 1, 'SELL' = 2),
    usdc_amount UInt256,
    token_amount UInt256,
    price Float64,
    staged_object String,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3),
    is_taker_order Bool DEFAULT taker = exchange OR (exchange = '' AND taker IN ('0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e', '0xc5d563a36ae78145c45a50134d48a1215220f80a')),
    asset_namespace LowCardinality(String) DEFAULT if(exchange = '0xe3333700ca9d93003f00f0f71f8515005f6c00aa', 'protocol-v2', 'ctf'),
    usdc Decimal(38, 6) ALIAS toDecimal128(usdc_amount, 6) / 1000000,
    shares Decimal(38, 6) ALIAS toDecimal128(token_amount, 6) / 1000000,
    day Date ALIAS toDate(timestamp),
    INDEX fill_id_bloom fill_id TYPE bloom_filter(0.01) GRANULARITY 1,
    PROJECTION by_block
      (SELECT maker, exchange, block_number, log_index, maker_asset_id, taker_asset_id, maker_amount_filled, taker_amount_filled ORDER BY block_number, log_index),
    PROJECTION by_token
      (SELECT token_id, timestamp, block_number, log_index, fill_id, side, price, usdc_amount, token_amount, is_taker_order
       ORDER BY token_id, timestamp, block_number, log_index)
  )
  ENGINE = ReplacingMergeTree
  PARTITION BY toYYYYMM(timestamp)
  ORDER BY (maker, timestamp, fill_id)
  SETTINGS index_granularity = 1024, non_replicated_deduplication_window = 100000,
    deduplicate_merge_projection_mode = 'rebuild', lightweight_mutation_projection_mode = 'rebuild'`;

async function rows<T>(client: ClickHouseClient, query: string, params: Record<string, unknown> = {}): Promise<T[]> {
  const res = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return (await res.json()) as T[];
}

async function sortingKey(client: ClickHouseClient, db: string, table: string): Promise<string | null> {
  const [t] = await rows<{ sorting_key: string }>(client, 'SELECT sorting_key FROM system.tables WHERE database = {db:String} AND name = {table:String}', {
    db,
    table,
  });
  return t?.sorting_key ?? null;
}

const isSorted = async (client: ClickHouseClient, db: string) => (await sortingKey(client, db, 'fills')) === FILLS_SORTING_KEY;

/** Copies every fill of the old table into `fills_v5`, once, chunk by chunk; true when the copy holds what FINAL reads from the old one. */
async function copyFills(client: ClickHouseClient, db: string): Promise<boolean> {
  const partitions = await rows<{ partition_id: string; n: string }>(
    client,
    `SELECT partition_id, sum(rows) AS n FROM system.parts WHERE database = {db:String} AND table = 'fills' AND active GROUP BY partition_id ORDER BY partition_id`,
    { db },
  );
  for (const { partition_id: partition, n } of partitions) {
    const chunks = Math.max(1, Math.ceil(Number(n) / CHUNK_ROWS));
    for (let chunk = 0; chunk < chunks; chunk++) {
      await client.command({
        query: `INSERT INTO ${db}.fills_v5 (
            fill_id, source, exchange, block_number, log_index, timestamp, transaction_hash, order_hash, maker, taker, maker_asset_id, taker_asset_id, maker_amount_filled, taker_amount_filled, fee, token_id, side, usdc_amount, token_amount, price, staged_object, ingested_at, is_taker_order, asset_namespace)
          SELECT fill_id, source, exchange, block_number, log_index, timestamp, transaction_hash, order_hash, maker, taker, maker_asset_id, taker_asset_id, maker_amount_filled, taker_amount_filled, fee, token_id, side, usdc_amount, token_amount, price, staged_object, ingested_at, is_taker_order, asset_namespace
          FROM ${db}.fills FINAL
          WHERE _partition_id = {partition:String} AND cityHash64(fill_id) % {chunks:UInt32} = {chunk:UInt32}`,
        query_params: { partition, chunks, chunk },
        clickhouse_settings: {
          insert_deduplicate: 1,
          insert_deduplication_token: `${db}:migration-5:fills:${partition}:${chunks}:${chunk}`,
          // One block per chunk: the token then names exactly this chunk's rows.
          max_insert_threads: '1',
          min_insert_block_size_rows: String(4 * CHUNK_ROWS),
          min_insert_block_size_bytes: '0',
        },
      });
    }
  }
  const [c] = await rows<{ old: string; copied: string }>(
    client,
    `SELECT (SELECT count() FROM ${db}.fills FINAL) AS old, (SELECT count() FROM ${db}.fills_v5) AS copied`,
  );
  return c!.old === c!.copied;
}

/** Test seams: what the copier does between its verified copy and the swap. */
export interface MoveFillsHooks {
  beforeSwap?: () => Promise<void>;
}

/**
 * Moves the fills into the new layout. Done when `fills` already has the new
 * key (a second process, or a re-run). The copy is shared: a second process
 * copying at the same time inserts nothing twice, and a re-run continues a
 * copy a crash interrupted. The swap is one `EXCHANGE TABLES` under the
 * migration lock, taken only while `fills` still has the old key; whoever
 * holds the lock then drops what `fills_v5` names: the old table after a swap,
 * or a late copy once another process has swapped.
 */
export function moveFillsToSortedTable(db: string, hooks: MoveFillsHooks = {}): (client: ClickHouseClient) => Promise<void> {
  return async (client) => {
    if (await isSorted(client, db)) return;
    try {
      await client.command({ query: createFillsV5(db, 'fills_v5') });
      if (!(await copyFills(client, db))) {
        // Rows loaded during the copy, or a second copy with other chunk counts: fold them before the swap.
        await client.command({ query: `OPTIMIZE TABLE ${db}.fills_v5 FINAL` });
        if (!(await copyFills(client, db))) throw new Error('migration 5: the copy of fills does not match the table it copies');
      }
    } catch (err) {
      // Another process swapped while this one copied: its copy is in place, and the lock's holder removes this one.
      if (await isSorted(client, db)) return;
      throw err;
    }
    await hooks.beforeSwap?.();
    await withMigrationLock(client, db, async () => {
      if (!(await isSorted(client, db))) await client.command({ query: `EXCHANGE TABLES ${db}.fills AND ${db}.fills_v5` });
      await client.command({ query: `DROP TABLE IF EXISTS ${db}.fills_v5` });
    });
  };
}

/** One process migrating at a time per client and database; other processes are handled by the tokens and the migration lock. */
const running = new Map<string, Promise<void>>();
function once(key: string, step: (client: ClickHouseClient) => Promise<void>): MigrationStep {
  return async (client) => {
    const prior = running.get(key);
    if (prior) return prior;
    const p = step(client).finally(() => running.delete(key));
    running.set(key, p);
    return p;
  };
}

/** The columns of `trades` (and of `wallet_trades`, which returns the same rows for one wallet): f is fills, t market_tokens, m markets. */
const TRADE_COLUMNS = `f.* REPLACE (f.token_id AS token_id), f.usdc AS usdc, f.shares AS shares,
    t.condition_id AS condition_id, t.outcome_index AS outcome_index, t.outcome AS outcome, t.sources AS mapping_sources,
    m.question AS question, m.slug AS market_slug, m.neg_risk AS neg_risk, t.condition_id != '' AS is_mapped`;

/** Trades of one wallet: the columns of `trades`, joining only the wallet's tokens and their markets. */
const walletTrades = (db: string) => `CREATE OR REPLACE VIEW ${db}.wallet_trades AS
  SELECT ${TRADE_COLUMNS}
  FROM ${db}.fills AS f FINAL
  LEFT JOIN
  (
    SELECT * FROM ${db}.market_tokens
    WHERE token_id IN (SELECT token_id FROM ${db}.fills WHERE maker = {wallet:String})
  ) AS t ON f.token_id = t.token_id
  LEFT JOIN
  (
    SELECT condition_id, question, slug, neg_risk FROM ${db}.markets FINAL
    WHERE condition_id IN (SELECT condition_id FROM ${db}.token_claims WHERE token_id IN (SELECT token_id FROM ${db}.fills WHERE maker = {wallet:String}))
  ) AS m ON t.condition_id = m.condition_id
  WHERE f.maker = {wallet:String}`;

/**
 * Fills of one market (by slug) with their outcome, read through the
 * `by_token` projection: no FINAL (projections are not read under FINAL),
 * each fill once by `LIMIT 1 BY fill_id`. The slug's conditions (any stored
 * version of a market row; the last join keeps the newest) and their tokens are found
 * through the `by_slug` and `by_condition` projections of `markets` and
 * `token_claims`; the mapping itself is `market_tokens`, as in `trades`.
 */
const marketFills = (db: string) => `CREATE OR REPLACE VIEW ${db}.market_fills AS
  SELECT
    f.token_id AS token_id, f.timestamp AS timestamp, toDate(f.timestamp) AS day, f.block_number AS block_number, f.log_index AS log_index,
    f.fill_id AS fill_id, f.side AS side, f.price AS price, f.usdc_amount AS usdc_amount, f.token_amount AS token_amount,
    toDecimal128(f.usdc_amount, 6) / 1000000 AS usdc, toDecimal128(f.token_amount, 6) / 1000000 AS shares, f.is_taker_order AS is_taker_order,
    t.condition_id AS condition_id, t.outcome_index AS outcome_index, t.outcome AS outcome,
    m.question AS question, m.slug AS market_slug, m.neg_risk AS neg_risk
  FROM
  (
    SELECT token_id, timestamp, block_number, log_index, fill_id, side, price, usdc_amount, token_amount, is_taker_order
    FROM ${db}.fills
    WHERE token_id IN (SELECT token_id FROM ${db}.token_claims WHERE condition_id IN (SELECT condition_id FROM ${db}.markets WHERE slug = {slug:String}))
    LIMIT 1 BY fill_id
  ) AS f
  INNER JOIN
  (
    SELECT token_id, condition_id, outcome_index, outcome FROM ${db}.market_tokens WHERE token_id IN (SELECT token_id FROM ${db}.token_claims WHERE condition_id IN (SELECT condition_id FROM ${db}.markets WHERE slug = {slug:String}))
  ) AS t ON f.token_id = t.token_id
  INNER JOIN
  (
    SELECT condition_id, question, slug, neg_risk FROM ${db}.markets FINAL WHERE condition_id IN (SELECT condition_id FROM ${db}.markets WHERE slug = {slug:String}) AND slug = {slug:String}
  ) AS m ON m.condition_id = t.condition_id`;

export const MIGRATION_V5: Migration = {
  version: 5,
  name: 'fills ordered by wallet and time, a token projection, decimal amounts, wallet_trades and market_fills',
  statements: (db) => [
    once(`${db}:fills`, moveFillsToSortedTable(db)),
    `CREATE OR REPLACE VIEW ${db}.trades AS
      SELECT ${TRADE_COLUMNS}
      FROM ${db}.fills AS f FINAL
      LEFT JOIN ${db}.market_tokens AS t ON f.token_id = t.token_id
      LEFT JOIN (SELECT condition_id, question, slug, neg_risk FROM ${db}.markets FINAL) AS m ON t.condition_id = m.condition_id`,
    // A market by its slug, and a condition's tokens, without reading the whole mapping.
    // Projections on ReplacingMergeTrees, kept through merges and deletes.
    `ALTER TABLE ${db}.markets MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild', lightweight_mutation_projection_mode = 'rebuild'`,
    `ALTER TABLE ${db}.markets ADD PROJECTION IF NOT EXISTS by_slug (SELECT slug, condition_id ORDER BY slug)`,
    `ALTER TABLE ${db}.markets MATERIALIZE PROJECTION by_slug`,
    `ALTER TABLE ${db}.token_claims MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild', lightweight_mutation_projection_mode = 'rebuild'`,
    `ALTER TABLE ${db}.token_claims ADD PROJECTION IF NOT EXISTS by_condition (SELECT condition_id, token_id ORDER BY condition_id)`,
    `ALTER TABLE ${db}.token_claims MATERIALIZE PROJECTION by_condition`,
    walletTrades(db),
    marketFills(db),
  ],
};
