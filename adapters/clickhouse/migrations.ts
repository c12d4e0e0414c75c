import type { ClickHouseClient } from '@clickhouse/client';
import { MIGRATION_V5 } from './migrations-v5.ts';
import { MIGRATION_V6 } from './migrations-v6.ts';
import { MIGRATION_V7 } from './migrations-v7.ts';
import { MIGRATION_V8 } from './migrations-v8.ts';
import { MIGRATION_V9 } from './migrations-v9.ts';
import { MIGRATION_V10 } from './migrations-v10.ts';

/**
 * The ClickHouse schema as an ordered list of migrations. A migration is
 * never edited once released: change the schema by appending one. The names
 * in docs/DATA.md are the contract; add columns freely, rename none.
 */
export interface Migration {
  version: number;
  name: string;
  statements: (db: string) => MigrationStep[];
}

/**
 * A statement, or a step that must look before it acts. Every step is safe
 * to run again, and to run while another process runs the same migration
 * (two cycles starting at once both migrate).
 */
export type MigrationStep = string | ((client: ClickHouseClient) => Promise<void>);

/**
 * Until version 3, `market_tokens` was the CLOB list's table; from version 3
 * it is a view over every source's claims. The old rows become CLOB claims,
 * then the table goes. Run again (or by a second process) after the swap, it
 * finds the view and does nothing.
 */
function moveMarketTokensIntoClaims(db: string): MigrationStep {
  const stillATable = async (client: ClickHouseClient): Promise<boolean> => {
    const res = await client.query({
      query: 'SELECT engine FROM system.tables WHERE database = {db:String} AND name = {table:String}',
      query_params: { db, table: 'market_tokens' },
      format: 'JSONEachRow',
    });
    const [table] = (await res.json()) as { engine: string }[];
    return table !== undefined && table.engine !== 'View';
  };
  return async (client) => {
    if (!(await stillATable(client))) return;
    try {
      await client.command({
        query: `INSERT INTO ${db}.token_claims (token_id, source, condition_id, outcome_index, outcome, complement_id, winner, exchange, block_number, staged_object, refreshed_at)
        SELECT token_id, 'clob', condition_id, outcome_index, outcome, '', NULL, '', 0, staged_object, refreshed_at FROM ${db}.market_tokens FINAL`,
        clickhouse_settings: { insert_deduplication_token: `${db}:migration-3:market_tokens`, insert_deduplicate: 1 },
      });
    } catch (error) {
      // Another process copied the rows and dropped the table between our look and our copy: its copy is the one.
      if (!(await stillATable(client))) return;
      throw error;
    }
    await client.command({ query: `DROP VIEW IF EXISTS ${db}.trades` });
    await client.command({ query: `DROP TABLE IF EXISTS ${db}.market_tokens` });
  };
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'fills, markets, market_tokens, rejects, trades',
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.fills
      (
        fill_id String,
        source LowCardinality(String),
        exchange LowCardinality(String),
        block_number UInt64,
        log_index UInt32,
        timestamp DateTime('UTC'),
        transaction_hash String,
        order_hash String,
        maker String,
        taker String,
        maker_asset_id UInt256,
        taker_asset_id UInt256,
        maker_amount_filled UInt256,
        taker_amount_filled UInt256,
        fee UInt256,
        token_id UInt256,
        side Enum8('BUY' = 1, 'SELL' = 2),
        usdc_amount UInt256,
        token_amount UInt256,
        price Float64,
        staged_object String,
        ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = ReplacingMergeTree
      PARTITION BY toYYYYMM(timestamp)
      ORDER BY fill_id
      SETTINGS non_replicated_deduplication_window = 100000`,
      `CREATE TABLE IF NOT EXISTS ${db}.markets
      (
        condition_id String,
        question_id String,
        question String,
        slug String,
        end_date Nullable(DateTime('UTC')),
        closed Bool,
        neg_risk Bool,
        neg_risk_market_id String,
        staged_object String,
        refreshed_at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = ReplacingMergeTree(refreshed_at)
      ORDER BY condition_id
      SETTINGS non_replicated_deduplication_window = 100000`,
      `CREATE TABLE IF NOT EXISTS ${db}.market_tokens
      (
        token_id UInt256,
        condition_id String,
        outcome_index UInt8,
        outcome String,
        staged_object String,
        refreshed_at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = ReplacingMergeTree(refreshed_at)
      ORDER BY token_id
      SETTINGS non_replicated_deduplication_window = 100000`,
      `CREATE TABLE IF NOT EXISTS ${db}.rejects
      (
        source LowCardinality(String),
        reason String,
        raw String,
        staged_object String,
        rejected_at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = MergeTree
      ORDER BY (source, rejected_at)
      SETTINGS non_replicated_deduplication_window = 100000`,
      `CREATE VIEW IF NOT EXISTS ${db}.trades AS
      SELECT
        f.*,
        t.condition_id AS condition_id,
        t.outcome_index AS outcome_index,
        t.outcome AS outcome,
        m.question AS question,
        m.slug AS market_slug,
        m.neg_risk AS neg_risk,
        t.condition_id != '' AS is_mapped
      FROM ${db}.fills AS f FINAL
      LEFT JOIN (SELECT token_id, condition_id, outcome_index, outcome FROM ${db}.market_tokens FINAL) AS t ON f.token_id = t.token_id
      LEFT JOIN (SELECT condition_id, question, slug, neg_risk FROM ${db}.markets FINAL) AS m ON t.condition_id = m.condition_id`,
    ],
  },
  {
    version: 2,
    name: 'fills_replay: where a replayed window lands before only its missing fills join fills',
    statements: (db) => [
      `CREATE TABLE IF NOT EXISTS ${db}.fills_replay AS ${db}.fills
      ENGINE = MergeTree
      ORDER BY (staged_object, fill_id)
      TTL toDateTime(ingested_at) + INTERVAL 7 DAY
      SETTINGS non_replicated_deduplication_window = 100000`,
    ],
  },
  {
    version: 3,
    name: 'mapping from every source, resolutions, activity, positions, taker-order legs',
    statements: (db) => [
      // A fill whose taker is the exchange that emitted it is the taker order's own leg (both eras).
      // V1 rows read from the subgraph carry no exchange; their taker-order legs name either V1 exchange.
      `ALTER TABLE ${db}.fills ADD COLUMN IF NOT EXISTS is_taker_order Bool DEFAULT
        taker = exchange OR (exchange = '' AND taker IN ('0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e', '0xc5d563a36ae78145c45a50134d48a1215220f80a'))`,
      `ALTER TABLE ${db}.fills_replay ADD COLUMN IF NOT EXISTS is_taker_order Bool DEFAULT
        taker = exchange OR (exchange = '' AND taker IN ('0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e', '0xc5d563a36ae78145c45a50134d48a1215220f80a'))`,
      // Protocol V2's exchange trades PositionManager positions, whose ids are not CTF token ids.
      `ALTER TABLE ${db}.fills ADD COLUMN IF NOT EXISTS asset_namespace LowCardinality(String) DEFAULT
        if(exchange = '0xe3333700ca9d93003f00f0f71f8515005f6c00aa', 'protocol-v2', 'ctf')`,
      `ALTER TABLE ${db}.fills_replay ADD COLUMN IF NOT EXISTS asset_namespace LowCardinality(String) DEFAULT
        if(exchange = '0xe3333700ca9d93003f00f0f71f8515005f6c00aa', 'protocol-v2', 'ctf')`,
      // Positions read fills by block range (the changed wallets, then their events): a block-ordered
      // projection makes that proportional to the window instead of the table. Deletes (a source switch)
      // and merges rebuild it.
      `ALTER TABLE ${db}.fills MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild', lightweight_mutation_projection_mode = 'rebuild'`,
      `ALTER TABLE ${db}.fills ADD PROJECTION IF NOT EXISTS by_block
        (SELECT maker, exchange, block_number, log_index, maker_asset_id, taker_asset_id, maker_amount_filled, taker_amount_filled ORDER BY block_number, log_index)`,
      `ALTER TABLE ${db}.fills MATERIALIZE PROJECTION by_block`,
      `CREATE TABLE IF NOT EXISTS ${db}.token_claims
      (
        token_id UInt256,
        source LowCardinality(String),
        condition_id String,
        outcome_index Nullable(UInt8),
        outcome String,
        complement_id String,
        winner Nullable(Bool),
        exchange String,
        block_number UInt64,
        staged_object String,
        refreshed_at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = ReplacingMergeTree(refreshed_at)
      ORDER BY (token_id, source)
      SETTINGS non_replicated_deduplication_window = 100000`,
      // What the CLOB list told us before this version stays, as CLOB claims.
      moveMarketTokensIntoClaims(db),
      // Precedence: the exchange's own registry, then the CTF (ids of each prepared condition's outcomes),
      // then the CLOB list, then Gamma, then the subgraph.
      // Labels ("Yes") come from the lists only. Disagreements stay visible in token_conflicts.
      `CREATE VIEW IF NOT EXISTS ${db}.market_tokens AS
      SELECT
        token_id,
        argMin(condition_id, rank) AS condition_id,
        argMinIf(outcome_index, rank, outcome_index IS NOT NULL) AS outcome_index,
        argMinIf(outcome, rank, outcome != '') AS outcome,
        arraySort(groupUniqArray(source)) AS sources
      FROM
      (
        SELECT token_id, source, condition_id, outcome_index, outcome,
               multiIf(source IN ('registry', 'protocol-v2'), 1, source = 'ctf', 2, source = 'clob', 3, source = 'gamma', 4, 5) AS rank
        FROM ${db}.token_claims FINAL
      )
      GROUP BY token_id`,
      `CREATE VIEW IF NOT EXISTS ${db}.token_conflicts AS
      SELECT
        token_id,
        arraySort(groupArray((source, condition_id, outcome_index))) AS claims,
        uniqExact(condition_id) > 1 AS condition_differs,
        uniqExactIf(outcome_index, outcome_index IS NOT NULL) > 1 AS outcome_differs
      FROM ${db}.token_claims FINAL
      GROUP BY token_id
      HAVING condition_differs OR outcome_differs`,
      `CREATE TABLE IF NOT EXISTS ${db}.conditions
      (
        condition_id String,
        oracle String,
        question_id String,
        outcome_slot_count UInt16,
        payout_numerators Array(UInt256),
        payout_denominator UInt256,
        resolved_at Nullable(DateTime('UTC')),
        is_resolved UInt8 MATERIALIZED resolved_at IS NOT NULL,
        block_number UInt64,
        log_index UInt32,
        transaction_hash String,
        staged_object String,
        ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = ReplacingMergeTree(is_resolved)
      ORDER BY condition_id
      SETTINGS non_replicated_deduplication_window = 100000`,
      `CREATE TABLE IF NOT EXISTS ${db}.activity
      (
        event_id String,
        kind Enum8('split' = 1, 'merge' = 2, 'redeem' = 3, 'convert' = 4),
        contract LowCardinality(String),
        stakeholder String,
        wallet String,
        collateral LowCardinality(String),
        condition_id String,
        index_sets Array(UInt256),
        amounts Array(UInt256),
        amount UInt256,
        payout UInt256,
        block_number UInt64,
        log_index UInt32,
        timestamp DateTime('UTC'),
        transaction_hash String,
        staged_object String,
        ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = ReplacingMergeTree
      ORDER BY (wallet, block_number, log_index)
      SETTINGS non_replicated_deduplication_window = 100000, deduplicate_merge_projection_mode = 'rebuild'`,
      `ALTER TABLE ${db}.activity ADD PROJECTION IF NOT EXISTS by_block (SELECT wallet, block_number ORDER BY block_number)`,
      `CREATE TABLE IF NOT EXISTS ${db}.neg_risk_questions
      (
        market_id String,
        question_id String,
        question_index UInt8,
        condition_id String,
        block_number UInt64,
        log_index UInt32,
        staged_object String,
        ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = ReplacingMergeTree
      ORDER BY (market_id, question_index)
      SETTINGS non_replicated_deduplication_window = 100000`,
      `CREATE TABLE IF NOT EXISTS ${db}.wallets
      (
        proxy String,
        owner String,
        kind Enum8('proxy' = 1, 'safe' = 2),
        factory String,
        block_number UInt64,
        transaction_hash String,
        staged_object String,
        ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = ReplacingMergeTree
      ORDER BY proxy
      SETTINGS non_replicated_deduplication_window = 100000`,
      `CREATE TABLE IF NOT EXISTS ${db}.chain_coverage
      (
        from_block UInt64,
        to_block UInt64,
        staged_object String,
        ingested_at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = ReplacingMergeTree
      ORDER BY (from_block, to_block)
      SETTINGS non_replicated_deduplication_window = 100000`,
      // Integers in 1e6 units (DATA section 4). version orders rewrites of one position: the last event applied.
      `CREATE TABLE IF NOT EXISTS ${db}.positions
      (
        wallet String,
        token_id UInt256,
        amount UInt256,
        -- Int: a NegRisk conversion can price the YES it buys below zero (noPrice * k < 1e6 * (k - 1)).
        avg_price Int256,
        realized_pnl Int256,
        total_bought UInt256,
        block_number UInt64,
        log_index UInt32,
        version UInt64,
        updated_at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = ReplacingMergeTree(version)
      ORDER BY (wallet, token_id)`,
      `CREATE TABLE IF NOT EXISTS ${db}.positions_progress
      (
        up_to_block UInt64,
        wallets UInt64,
        events UInt64,
        -- Set on the row that closes a rebuild from scratch after an operator's window (a backfill or replay).
        rebuilt_for_run String DEFAULT '',
        computed_at DateTime64(3, 'UTC') DEFAULT now64(3)
      )
      ENGINE = MergeTree
      ORDER BY up_to_block`,
      `CREATE VIEW IF NOT EXISTS ${db}.wallet_pnl AS
      SELECT
        wallet,
        sum(p.realized_pnl) AS realized_pnl,
        toDecimal128(realized_pnl, 6) / 1000000 AS realized_pnl_usdc,
        count() AS positions,
        countIf(p.amount > 0) AS open_positions
      FROM ${db}.positions AS p FINAL
      GROUP BY wallet`,
      `CREATE OR REPLACE VIEW ${db}.trades AS
      SELECT
        f.* REPLACE (f.token_id AS token_id),
        t.condition_id AS condition_id,
        t.outcome_index AS outcome_index,
        t.outcome AS outcome,
        t.sources AS mapping_sources,
        m.question AS question,
        m.slug AS market_slug,
        m.neg_risk AS neg_risk,
        t.condition_id != '' AS is_mapped
      FROM ${db}.fills AS f FINAL
      LEFT JOIN ${db}.market_tokens AS t ON f.token_id = t.token_id
      LEFT JOIN (SELECT condition_id, question, slug, neg_risk FROM ${db}.markets FINAL) AS m ON t.condition_id = m.condition_id`,
    ],
  },
  {
    version: 4,
    name: 'quality_snapshots: what each quality check run and monitor probe saw, for the next one to compare with',
    statements: (db) => [
      // One row per `npm run check` run or monitor probe; a later run compares with the newest row.
      `CREATE TABLE IF NOT EXISTS ${db}.quality_snapshots
      (
        taken_at DateTime64(3, 'UTC') DEFAULT now64(3),
        taken_by LowCardinality(String),
        market_tokens UInt64
      )
      ENGINE = MergeTree
      ORDER BY taken_at
      TTL toDateTime(taken_at) + INTERVAL 400 DAY`,
    ],
  },
  MIGRATION_V5,
  MIGRATION_V6,
  MIGRATION_V7,
  MIGRATION_V8,
  MIGRATION_V9,
  MIGRATION_V10,
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;
