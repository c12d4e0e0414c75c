import type { Migration } from './migrations.ts';

/**
 * Version 6: the token-to-market mapping as a dictionary, `token_markets`,
 * read by `trades`, `wallet_trades` and `market_fills` with `dictGet` instead of
 * joining `market_tokens` and `markets`. Those joins aggregated every claim
 * of the wallet's or market's tokens on each read, so a wallet's history took
 * longer as the mapping grew (2.5 s for one wallet at 100 M fills); a lookup
 * in the dictionary costs the same at any size.
 *
 * The dictionary holds what the joins return: `market_tokens` (the claims by
 * precedence) and each token's market from `markets FINAL`. It is exact after
 * every load: the loader reloads it whenever an object brings market or
 * token rows (`SYSTEM RELOAD DICTIONARY`). Writes made outside the loader are
 * picked up by its lifetime: every 10–30 s the server runs the cheap
 * invalidate query and reloads when the claims or markets changed.
 *
 * `trades` reads it too: every query on `trades` used to aggregate the whole
 * mapping, whatever it asked for (the 1,000 newest trades took 3.8 s at
 * 100 M fills).
 */

// SQL below spells its constants out: the security test admits no interpolation but the database's name.

const tokenMarkets = (db: string) => `CREATE OR REPLACE DICTIONARY ${db}.token_markets
  (
    token_id UInt256,
    condition_id String,
    outcome_index Nullable(UInt8),
    outcome String,
    sources Array(String),
    question String,
    market_slug String,
    neg_risk Bool
  )
  PRIMARY KEY token_id
  SOURCE(CLICKHOUSE(
    QUERY 'SELECT t.token_id AS token_id, t.condition_id AS condition_id, t.outcome_index AS outcome_index, t.outcome AS outcome,
             t.sources AS sources, m.question AS question, m.slug AS market_slug, m.neg_risk AS neg_risk
           FROM ${db}.market_tokens AS t
           LEFT JOIN (SELECT condition_id, question, slug, neg_risk FROM ${db}.markets FINAL) AS m ON t.condition_id = m.condition_id'
    INVALIDATE_QUERY 'SELECT (SELECT (count(), max(refreshed_at)) FROM ${db}.token_claims), (SELECT (count(), max(refreshed_at)) FROM ${db}.markets)'
  ))
  LAYOUT(COMPLEX_KEY_HASHED_ARRAY())
  LIFETIME(MIN 10 MAX 30)`;

/**
 * The market columns of `trades`, looked up for `f.token_id`: what its joins
 * with market_tokens and markets give. The key is passed bare, not as
 * `tuple(f.token_id)`: with a tuple, ClickHouse 26.7 rewrites
 * `dictGet(...) = 'slug'` into an IN over the dictionary's keys of the wrong
 * type and refuses the query (optimize_inverse_dictionary_lookup).
 */
const marketColumns = (db: string) => `dictGet('${db}.token_markets', 'condition_id', f.token_id) AS condition_id,
    dictGet('${db}.token_markets', 'outcome_index', f.token_id) AS outcome_index,
    dictGet('${db}.token_markets', 'outcome', f.token_id) AS outcome,
    dictGet('${db}.token_markets', 'sources', f.token_id) AS mapping_sources,
    dictGet('${db}.token_markets', 'question', f.token_id) AS question,
    dictGet('${db}.token_markets', 'market_slug', f.token_id) AS market_slug,
    dictGet('${db}.token_markets', 'neg_risk', f.token_id) AS neg_risk`;

/** Every fill with its market: the columns of versions 1–5, in their order. */
const trades = (db: string) => `CREATE OR REPLACE VIEW ${db}.trades AS
  SELECT f.*, f.usdc AS usdc, f.shares AS shares, ${marketColumns(db)}, condition_id != '' AS is_mapped
  FROM ${db}.fills AS f FINAL`;

/** Trades of one wallet: the columns of `trades`, in its order, for the fills the wallet made. */
const walletTrades = (db: string) => `CREATE OR REPLACE VIEW ${db}.wallet_trades AS
  SELECT f.*, f.usdc AS usdc, f.shares AS shares, ${marketColumns(db)}, condition_id != '' AS is_mapped
  FROM ${db}.fills AS f FINAL
  WHERE f.maker = {wallet:String}`;

/**
 * Fills of one market (by slug), each once, read through the `by_token`
 * projection (see version 5): the slug's tokens are every token any claim
 * gives one of its conditions; a fill is the market's when the mapping (by
 * precedence) puts its token in a market whose newest row has the slug.
 * That last test compares conditions, not `market_slug = {slug}`: ClickHouse
 * turns a `dictGet(...) = constant` filter into a scan of the whole
 * dictionary (optimize_inverse_dictionary_lookup), 0.8 s at 100 M fills.
 * The inner read repeats version 5's rather than sharing it: a shipped
 * migration's SQL must never change under a later edit.
 */
const marketFills = (db: string) => `CREATE OR REPLACE VIEW ${db}.market_fills AS
  SELECT
    f.token_id AS token_id, f.timestamp AS timestamp, toDate(f.timestamp) AS day, f.block_number AS block_number, f.log_index AS log_index,
    f.fill_id AS fill_id, f.side AS side, f.price AS price, f.usdc_amount AS usdc_amount, f.token_amount AS token_amount,
    toDecimal128(f.usdc_amount, 6) / 1000000 AS usdc, toDecimal128(f.token_amount, 6) / 1000000 AS shares, f.is_taker_order AS is_taker_order,
    ${marketColumns(db)}
  FROM
  (
    SELECT token_id, timestamp, block_number, log_index, fill_id, side, price, usdc_amount, token_amount, is_taker_order
    FROM ${db}.fills
    WHERE token_id IN (SELECT token_id FROM ${db}.token_claims WHERE condition_id IN (SELECT condition_id FROM ${db}.markets WHERE slug = {slug:String}))
    LIMIT 1 BY fill_id
  ) AS f
  WHERE condition_id IN
    (SELECT condition_id FROM ${db}.markets FINAL WHERE condition_id IN (SELECT condition_id FROM ${db}.markets WHERE slug = {slug:String}) AND slug = {slug:String})`;

export const MIGRATION_V6: Migration = {
  version: 6,
  name: 'the token_markets dictionary, read by trades, wallet_trades and market_fills',
  statements: (db) => [tokenMarkets(db), trades(db), walletTrades(db), marketFills(db)],
};
