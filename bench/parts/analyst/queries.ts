/**
 * The analysts' queries, each as it is written against today's schema
 * (version 4: `trades` and `fills FINAL`) and against the new design (the
 * layout of version 5, the `token_markets` dictionary of version 6:
 * `wallet_trades`, `market_fills`, `fills FINAL` with `dictGet`).
 * Both forms must return the same rows; every ORDER BY is total, so the
 * comparison is exact.
 */
export interface Subject {
  wallet: string;
  slug: string;
  /** The month of the top-traders query, [from, to) in unix seconds. */
  from: number;
  to: number;
}

export interface AnalystQuery {
  name: string;
  /** The name for it. */
  title: string;
  today: (db: string, s: Subject) => string;
  next: (db: string, s: Subject) => string;
}

const WALLET_COLUMNS = `timestamp, market_slug, outcome, side, token_amount / 1e6 AS shares, price, usdc_amount / 1e6 AS usdc,
  if(is_taker_order, 'taker', 'maker') AS role, transaction_hash`;
const WALLET_ORDER = 'ORDER BY timestamp, block_number, log_index LIMIT 1000';

const OHLC = `SELECT toDate(timestamp) AS day, count() AS trades, toDecimal128(sum(usdc_amount), 6) / 1000000 AS volume_usdc,
  argMin(price, (timestamp, block_number, log_index)) AS open, max(price) AS high, min(price) AS low,
  argMax(price, (timestamp, block_number, log_index)) AS close, toDecimal128(sum(token_amount), 6) / 1000000 AS shares_traded`;

const TOP = (db: string, s: Subject) => `SELECT maker AS wallet, count() AS fills, countIf(is_taker_order) AS matches_taken,
  toDecimal128(sum(usdc_amount), 6) / 1000000 AS volume_usdc
  FROM ${db}.fills FINAL
  WHERE timestamp >= toDateTime(${s.from}, 'UTC') AND timestamp < toDateTime(${s.to}, 'UTC')
  GROUP BY wallet ORDER BY volume_usdc DESC, wallet LIMIT 100`;

const NEWEST_COLUMNS = 'fill_id, timestamp, maker, market_slug, outcome, side, price, usdc_amount';
const NEWEST_ORDER = 'ORDER BY timestamp DESC, block_number DESC, log_index DESC, fill_id LIMIT 1000';

export const ANALYST_QUERIES: readonly AnalystQuery[] = [
  {
    name: 'wallet-history',
    title: "one wallet's history (DATA.md query 1, 1,000 oldest)",
    today: (db, s) => `SELECT ${WALLET_COLUMNS} FROM ${db}.trades WHERE maker = '${s.wallet}' ${WALLET_ORDER}`,
    next: (db, s) => `SELECT ${WALLET_COLUMNS} FROM ${db}.wallet_trades(wallet = '${s.wallet}') ${WALLET_ORDER}`,
  },
  {
    name: 'market-day-ohlc',
    title: "one market's daily volume and OHLC (outcome 0, maker events)",
    today: (db, s) => `${OHLC} FROM ${db}.trades WHERE market_slug = '${s.slug}' AND outcome_index = 0 AND NOT is_taker_order GROUP BY day ORDER BY day`,
    next: (db, s) => `${OHLC} FROM ${db}.market_fills(slug = '${s.slug}') WHERE outcome_index = 0 AND NOT is_taker_order GROUP BY day ORDER BY day`,
  },
  {
    name: 'top-traders-month',
    title: 'top 100 traders by volume over a month',
    today: TOP,
    next: TOP,
  },
  {
    name: 'newest-trades',
    title: 'the 1,000 newest trades, with their market',
    today: (db) => `SELECT ${NEWEST_COLUMNS} FROM ${db}.trades ${NEWEST_ORDER}`,
    // The 1,000th newest stored row (copies included) bounds the window: the partitions before it are never read.
    // Each row's market comes from the token_markets dictionary (version 6) rather than trades' joins of the whole mapping.
    next: (db) => `SELECT fill_id, timestamp, maker, dictGet('${db}.token_markets', 'market_slug', token_id) AS market_slug,
        dictGet('${db}.token_markets', 'outcome', token_id) AS outcome, side, price, usdc_amount
      FROM ${db}.fills FINAL
      WHERE timestamp >= (SELECT min(timestamp) FROM (SELECT timestamp FROM ${db}.fills ORDER BY timestamp DESC LIMIT 1000))
      ${NEWEST_ORDER}`,
  },
  {
    name: 'distinct-fills',
    title: '`count()` of distinct fills',
    today: (db) => `SELECT count() AS fills FROM ${db}.fills FINAL`,
    next: (db) => `SELECT count() AS fills FROM ${db}.fills FINAL`,
  },
];
