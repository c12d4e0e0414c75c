/**
 * The ClickHouse schema as an ordered list of migrations. A migration is
 * never edited once released: change the schema by appending one. The names
 * in DATA.md section 4 are the contract; add columns freely, rename none.
 */
export interface Migration {
  version: number;
  name: string;
  statements: (db: string) => string[];
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
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)!.version;
