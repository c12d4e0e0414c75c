import type { ClickHouseClient } from '@clickhouse/client';
import { assertIdentifier } from '#adapters/clickhouse/schema.ts';

/**
 * Synthetic fills of Polymarket's shape for the analyst part, generated
 * inside the engine (`INSERT ... SELECT ... FROM numbers()`), so a hundred
 * million fills never pass through JavaScript (as bench/lib/positions-data.ts
 * does for the positions part).
 *
 * A match is two `OrderFilled` rows in one transaction: the maker order's
 * (maker → taker wallet) and the taker order's own leg (maker = the taker
 * wallet, taker = the exchange), opposite sides of one token at one price.
 * Wallets and markets are drawn with a heavy tail (index = n·u³), as in the
 * positions part; time runs evenly over `months` months, so the table has
 * that many monthly partitions. Markets (with a slug), and registry and CLOB
 * claims for both tokens of each, go in `markets` and `token_claims`.
 */
export interface AnalystDataSpec {
  seed: number;
  /** Fills (rounded up to whole matches). */
  fills: number;
  wallets: number;
  markets: number;
  months: number;
}

/** Polymarket's own ratio (37 M fills over 171,305 markets), and 20 fills per wallet, as the positions part uses. */
export function analystDataSpec(fills: number, seed: number): AnalystDataSpec {
  return {
    seed,
    fills,
    wallets: Math.max(100, Math.round(fills / 20)),
    markets: Math.max(10, Math.round(fills / (37_000_000 / 171_305))),
    months: 24,
  };
}

/** 2024-01-01T00:00:00Z; Polygon makes a block about every 2 s. */
export const FIRST_TIMESTAMP = 1_704_067_200;
const FIRST_BLOCK = 51_000_000;
const SECONDS_PER_MONTH = 30.4375 * 86_400;
const CTF_EXCHANGE = '0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e';
const NEG_RISK_EXCHANGE = '0xc5d563a36ae78145c45a50134d48a1215220f80a';
/** Matches per insert statement: bounds the engine's memory at any size. */
const PAIRS_PER_INSERT = 2_500_000;

const pairsOf = (spec: AnalystDataSpec) => Math.ceil(spec.fills / 2);
/** The fills `generate` inserts: the spec's, rounded up to whole matches. */
export const generatedFills = (spec: AnalystDataSpec) => 2 * pairsOf(spec);
const hash = (spec: AnalystDataSpec, tag: string, x: string) => `SHA256(concat('${Math.trunc(spec.seed)}:${tag}:', toString(${x})))`;
const hex32 = (spec: AnalystDataSpec, tag: string, x: string) => `concat('0x', lower(hex(${hash(spec, tag, x)})))`;
const address = (spec: AnalystDataSpec, x: string) => `concat('0x', substring(lower(hex(${hash(spec, 'wallet', x)})), 1, 40))`;
/** The CTF-like token id of outcome `o` of market `m` (a uniformly random 256-bit integer). */
const tokenSql = (spec: AnalystDataSpec, m: string, o: string) => `reinterpretAsUInt256(${hash(spec, 'token', `concat(toString(${m}), ':', toString(${o}))`)})`;
export const conditionSql = (spec: AnalystDataSpec, m: string) => hex32(spec, 'condition', m);
export const slugOf = (idx: number) => `bench-market-${idx}`;

/** Markets, and the registry's and the CLOB list's claims about both tokens of each. */
export async function createMarkets(client: ClickHouseClient, database: string, spec: AnalystDataSpec): Promise<void> {
  const db = assertIdentifier(database);
  await client.command({
    query: `INSERT INTO ${db}.markets (condition_id, question_id, question, slug, end_date, closed, neg_risk, neg_risk_market_id, staged_object)
      SELECT ${conditionSql(spec, 'number')}, ${hex32(spec, 'question', 'number')}, concat('Bench market ', toString(number), '?'),
             concat('bench-market-', toString(number)), NULL, number % 2 = 0, number % 3 = 0, '', 'bench'
      FROM numbers(${spec.markets})`,
  });
  await client.command({
    query: `INSERT INTO ${db}.token_claims (token_id, source, condition_id, outcome_index, outcome, complement_id, winner, exchange, block_number, staged_object)
      SELECT ${tokenSql(spec, 'm', 'o')}, source, ${conditionSql(spec, 'm')}, o, if(source = 'clob', if(o = 0, 'Yes', 'No'), ''), '', NULL,
             if(source = 'registry', if(m % 3 = 0, '${NEG_RISK_EXCHANGE}', '${CTF_EXCHANGE}'), ''), 0, 'bench'
      FROM (SELECT intDiv(number, 2) AS m, toUInt8(number % 2) AS o FROM numbers(${2 * spec.markets}))
      ARRAY JOIN ['registry', 'clob'] AS source`,
  });
}

/** Inserts matches [firstPair, endPair): two fills each. */
async function insertFills(client: ClickHouseClient, db: string, spec: AnalystDataSpec, firstPair: number, endPair: number): Promise<void> {
  const s = Math.trunc(spec.seed);
  const uniform = (tag: string) => `(sipHash64(${s}, '${tag}', p) % 4503599627370496) / 4503599627370496.`;
  const heavy = (n: number, tag: string) => `toUInt32(floor(${n} * pow(${uniform(tag)}, 3)))`;
  const secondsPerPair = (spec.months * SECONDS_PER_MONTH) / pairsOf(spec);
  // ClickHouse lets a SELECT use an alias before the expression that defines it.
  await client.command({
    query: `INSERT INTO ${db}.fills (fill_id, source, exchange, block_number, log_index, timestamp, transaction_hash, order_hash, maker, taker,
        maker_asset_id, taker_asset_id, maker_amount_filled, taker_amount_filled, fee, token_id, side, usdc_amount, token_amount, price, staged_object)
      SELECT concat(tx, '_', toString(log_index)), 'chain', exchange, block_number, log_index, timestamp, tx, ${hex32(spec, 'order', 'i')},
             if(leg = 0, ${address(spec, 'maker_wallet')}, ${address(spec, 'taker_wallet')}),
             if(leg = 0, ${address(spec, 'taker_wallet')}, exchange),
             if(sells = 1, token, toUInt256(0)), if(sells = 1, toUInt256(0), token),
             toUInt256(if(sells = 1, tokens, usdc)), toUInt256(if(sells = 1, usdc, tokens)),
             toUInt256(0), token, if(sells = 1, 'SELL', 'BUY'), toUInt256(usdc), toUInt256(tokens), usdc / tokens, 'bench'
      FROM (
        SELECT number AS i, intDiv(number, 2) AS p, number % 2 AS leg,
               ${heavy(spec.markets, 'market')} AS market, ${heavy(spec.wallets, 'maker')} AS maker_wallet,
               ${heavy(spec.wallets, 'taker')} AS taker_wallet,
               sipHash64(${s}, 'side', p) % 2 AS maker_sells, if(leg = 0, maker_sells, 1 - maker_sells) AS sells,
               sipHash64(${s}, 'outcome', p) % 2 AS outcome,
               ${tokenSql(spec, 'market', 'outcome')} AS token,
               if(market % 3 = 0, '${NEG_RISK_EXCHANGE}', '${CTF_EXCHANGE}') AS exchange,
               toUInt64(exp(${uniform('size')} * 9.2103) * 1000000) AS tokens,
               intDiv(tokens * toUInt64(1 + sipHash64(${s}, 'price', p) % 999) * 1000, 1000000) AS usdc,
               toUInt32(${FIRST_TIMESTAMP} + floor(p * ${secondsPerPair})) AS ts, toDateTime(ts, 'UTC') AS timestamp,
               toUInt64(${FIRST_BLOCK} + intDiv(ts - ${FIRST_TIMESTAMP}, 2)) AS block_number,
               toUInt32(2 * (p % 64) + leg) AS log_index,
               ${hex32(spec, 'tx', 'p')} AS tx
        FROM numbers(${2 * firstPair}, ${2 * (endPair - firstPair)})
      )`,
  });
}

/** Markets and every fill of the spec, into a warehouse at today's schema. */
export async function generate(client: ClickHouseClient, database: string, spec: AnalystDataSpec, log: (line: string) => void): Promise<void> {
  const db = assertIdentifier(database);
  await createMarkets(client, db, spec);
  const pairs = pairsOf(spec);
  for (let first = 0; first < pairs; first += PAIRS_PER_INSERT) {
    await insertFills(client, db, spec, first, Math.min(pairs, first + PAIRS_PER_INSERT));
    if (pairs > PAIRS_PER_INSERT) log(`generated ${Math.min(pairs, first + PAIRS_PER_INSERT) * 2} of ${pairs * 2} fills`);
  }
}

/** The data's last whole month: [from, to) as unix seconds (time runs to about the end of month `months`). */
export function lastWholeMonth(spec: AnalystDataSpec): { from: number; to: number } {
  const first = new Date(FIRST_TIMESTAMP * 1000);
  const month = (k: number) => Date.UTC(first.getUTCFullYear(), first.getUTCMonth() + k, 1) / 1000;
  return { from: month(spec.months - 2), to: month(spec.months - 1) };
}
