import type { ClickHouseClient } from '@clickhouse/client';
import { keccak256, toHex, type Address } from 'viem';
import { conditionIdOf, outcomeTokenIds } from '#shared/model/ctf-ids.ts';
import { CONDITIONAL_TOKENS, CTF_EXCHANGE_V1, NEG_RISK_ADAPTER, NEG_RISK_EXCHANGE_V1, USDC_E, WRAPPED_COLLATERAL } from '#shared/positions/contracts.ts';
import { assertIdentifier } from '#adapters/clickhouse/schema.ts';
import { Rng } from '#simulator/rng.ts';

/**
 * Synthetic Polymarket-shaped ledger for the positions benchmark, generated
 * inside the engine (`INSERT ... SELECT ... FROM numbers()`), so ten million
 * fills never pass through JavaScript. Only the market population (token ids
 * are CTF position ids: keccak and an alt_bn128 square test SQL cannot do) is
 * built in JavaScript, a few tens of thousands of rows.
 *
 * Shape: a match is a pair of `OrderFilled` logs in one transaction, the
 * maker order's (maker → taker wallet) and the taker order's own leg (maker =
 * the taker wallet, taker = the exchange), opposite sides of one token at one
 * price. Wallets and markets are drawn with a heavy tail (index = n·u³: the
 * top 1% of wallets make about a fifth of the matches). Activity (splits,
 * merges, redemptions) follows a fill of the same market and wallet in the
 * same block, on the odd log index after it; some of it is the exchange's
 * own minting and merging, which the method skips.
 */
export interface PositionsDataSpec {
  seed: number;
  /** Fills of the base data (rounded up to whole matches). */
  fills: number;
  /** Wallet population. */
  wallets: number;
  /** Market population (binary conditions). */
  markets: number;
  /** Activity rows per fill. */
  activityPerFill: number;
  /** Share of markets that are NegRisk (WrappedCollateral tokens, NegRisk exchange and adapter). */
  negRiskShare: number;
  /** Share of markets resolved (one winning outcome). */
  resolvedShare: number;
}

export const DEFAULT_POSITIONS_DATA: Omit<PositionsDataSpec, 'fills' | 'markets'> = {
  seed: 1,
  wallets: 500_000,
  activityPerFill: 0.03,
  negRiskShare: 0.3,
  resolvedShare: 0.7,
};

/** Polymarket's own ratio: 37 M fills over 171,305 markets. */
export const marketsFor = (fills: number) => Math.max(10, Math.round(fills / (37_000_000 / 171_305)));

/** The V1 CTF Exchange's first block (DATA.md); the base data spans about the V1 era's 51 M blocks. */
export const FIRST_BLOCK = 33_605_403;
const V1_ERA_BLOCKS = 51_000_000;
const PAIRS_PER_BLOCK = 4;
/** 2022-11-01T00:00:00Z; Polygon makes a block about every 2 s. */
const FIRST_TIMESTAMP = 1_667_260_800;
const SECONDS_PER_BLOCK = 2;
/** A stand-in for the UMA adapter: the method reads an oracle only to tell NegRisk conditions apart. */
const STANDARD_ORACLE = '0x00000000000000000000000000000000000000a1';
/** Share of activity rows that are an exchange minting or merging for a match (skipped by the method). */
export const EXCHANGE_ACTIVITY_SHARE = 0.15;

/** What one generation step put in the tables. */
export interface GeneratedEvents {
  fills: number;
  activity: number;
  /** Matches [firstPair, endPair) of the sequence. */
  firstPair: number;
  endPair: number;
  /** Highest block of the new events: the chain watermark analogue. */
  lastBlock: number;
  /** Distinct fill makers and activity wallets among the new events. */
  wallets: number;
}

/** Block gap between consecutive blocks with matches, fixed by the base size so an increment continues the same chain. */
const blockGap = (spec: PositionsDataSpec) => Math.max(1, Math.floor(V1_ERA_BLOCKS / Math.max(1, Math.ceil(basePairs(spec) / PAIRS_PER_BLOCK))));
const basePairs = (spec: PositionsDataSpec) => Math.ceil(spec.fills / 2);

/** SQL expressions of match `p` (an SQL expression), all deterministic in the seed. */
function matchSql(spec: PositionsDataSpec, p: string) {
  const s = Math.trunc(spec.seed);
  const uniform = (tag: string) => `(sipHash64(${s}, '${tag}', ${p}) % 4503599627370496) / 4503599627370496.`;
  const heavy = (n: number, tag: string) => `toUInt32(floor(${n} * pow(${uniform(tag)}, 3)))`;
  const block = `${FIRST_BLOCK} + intDiv(${p}, ${PAIRS_PER_BLOCK}) * ${blockGap(spec)}`;
  return {
    market: heavy(spec.markets, 'market'),
    makerWallet: heavy(spec.wallets, 'maker'),
    takerWallet: heavy(spec.wallets, 'taker'),
    /** 1 when the maker order sells the token. */
    makerSells: `sipHash64(${s}, 'side', ${p}) % 2`,
    outcome: `sipHash64(${s}, 'outcome', ${p}) % 2`,
    /** 0.001 .. 0.999 in 1e6 units. */
    priceMicros: `toUInt64(1 + sipHash64(${s}, 'price', ${p}) % 999) * 1000`,
    /** 1 to 10,000 tokens, 6 decimals, log-uniform. */
    tokens: `toUInt64(exp(${uniform('size')} * 9.2103) * 1000000)`,
    uniform,
    block,
    timestamp: `toDateTime(${FIRST_TIMESTAMP} + (${block} - ${FIRST_BLOCK}) * ${SECONDS_PER_BLOCK}, 'UTC')`,
    txHash: (tag: string) => `concat('0x', lower(hex(SHA256(concat('${s}:${tag}:', toString(${p}))))))`,
  };
}

const walletAddress = (seed: number, index: string) =>
  `concat('0x', substring(lower(hex(SHA256(concat('${Math.trunc(seed)}:wallet:', toString(${index}))))), 1, 40))`;

/** The market population: condition, CTF token ids, NegRisk or not, resolution. */
export async function createMarkets(client: ClickHouseClient, database: string, spec: PositionsDataSpec): Promise<number> {
  const db = assertIdentifier(database);
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${db}.bench_markets
      (idx UInt32, condition_id String, question_id String, oracle String, neg_risk UInt8, token0 UInt256, token1 UInt256, resolved UInt8, winner UInt8)
      ENGINE = MergeTree ORDER BY idx`,
  });
  const rng = new Rng(spec.seed * 7919 + 17);
  const rows = [];
  for (let idx = 0; idx < spec.markets; idx++) {
    const negRisk = rng.chance(spec.negRiskShare);
    const oracle = negRisk ? NEG_RISK_ADAPTER : STANDARD_ORACLE;
    const questionId = keccak256(toHex(`${spec.seed}:question:${idx}`));
    const conditionId = conditionIdOf(oracle as Address, questionId, 2);
    const [token0, token1] = outcomeTokenIds(negRisk ? WRAPPED_COLLATERAL : USDC_E, conditionId, 2);
    rows.push({
      idx,
      condition_id: conditionId,
      question_id: questionId,
      oracle,
      neg_risk: negRisk ? 1 : 0,
      token0: token0!.toString(),
      token1: token1!.toString(),
      resolved: rng.chance(spec.resolvedShare) ? 1 : 0,
      winner: rng.int(2),
    });
  }
  await client.insert({ table: `${db}.bench_markets`, values: rows, format: 'JSONEachRow' });
  // Prepared before the first fill; resolved ones carry their payouts already (a ReplacingMergeTree by is_resolved).
  await client.command({
    query: `INSERT INTO ${db}.conditions (condition_id, oracle, question_id, outcome_slot_count, payout_numerators, payout_denominator, resolved_at, block_number, log_index, transaction_hash, staged_object)
      SELECT condition_id, oracle, question_id, 2,
             if(resolved = 1, if(winner = 0, [toUInt256(1), toUInt256(0)], [toUInt256(0), toUInt256(1)]), CAST([], 'Array(UInt256)')),
             toUInt256(resolved),
             if(resolved = 1, toDateTime(${FIRST_TIMESTAMP}, 'UTC'), NULL),
             ${FIRST_BLOCK} - 1 - intDiv(idx, 1000), idx % 1000,
             concat('0x', lower(hex(SHA256(concat('${Math.trunc(spec.seed)}:prepare:', toString(idx)))))), 'bench'
      FROM ${db}.bench_markets`,
  });
  return rows.length;
}

/** Inserts matches [firstPair, endPair): two fills each. */
async function insertFills(client: ClickHouseClient, db: string, spec: PositionsDataSpec, firstPair: number, endPair: number): Promise<void> {
  const m = matchSql(spec, 'p');
  // ClickHouse lets a SELECT use an alias before the expression that defines it (`sells`, `token`).
  await client.command({
    query: `INSERT INTO ${db}.fills (fill_id, source, exchange, block_number, log_index, timestamp, transaction_hash, order_hash, maker, taker,
        maker_asset_id, taker_asset_id, maker_amount_filled, taker_amount_filled, fee, token_id, side, usdc_amount, token_amount, price, staged_object)
      SELECT concat(tx, '_', toString(log_index)), 'chain',
             if(mk.neg_risk = 1, '${NEG_RISK_EXCHANGE_V1}', '${CTF_EXCHANGE_V1}') AS exchange,
             block_number, log_index, timestamp, tx,
             concat('0x', lower(hex(SHA256(concat('${Math.trunc(spec.seed)}:order:', toString(i)))))),
             if(leg = 0, ${walletAddress(spec.seed, 'maker_wallet')}, ${walletAddress(spec.seed, 'taker_wallet')}),
             if(leg = 0, ${walletAddress(spec.seed, 'taker_wallet')}, exchange),
             if(sells = 1, token, toUInt256(0)), if(sells = 1, toUInt256(0), token),
             toUInt256(if(sells = 1, tokens, usdc)), toUInt256(if(sells = 1, usdc, tokens)),
             toUInt256(0), if(outcome = 0, mk.token0, mk.token1) AS token,
             if(sells = 1, 'SELL', 'BUY'), toUInt256(usdc), toUInt256(tokens), usdc / tokens, 'bench'
      FROM (
        SELECT number AS i, intDiv(number, 2) AS p, number % 2 AS leg,
               ${m.market} AS market, ${m.makerWallet} AS maker_wallet, ${m.takerWallet} AS taker_wallet,
               if(leg = 0, ${m.makerSells}, 1 - ${m.makerSells}) AS sells, ${m.outcome} AS outcome, ${m.tokens} AS tokens,
               intDiv(tokens * ${m.priceMicros}, 1000000) AS usdc,
               ${m.block} AS block_number, toUInt32(2 * (number % ${2 * PAIRS_PER_BLOCK})) AS log_index,
               ${m.timestamp} AS timestamp, ${m.txHash('tx')} AS tx
        FROM numbers(${2 * firstPair}, ${2 * (endPair - firstPair)})
      ) AS f
      INNER JOIN (SELECT idx, neg_risk, token0, token1 FROM ${db}.bench_markets) AS mk ON mk.idx = f.market
      SETTINGS join_algorithm = 'hash'`,
  });
}

/**
 * Inserts `count` activity rows spread over matches [firstPair, endPair):
 * the maker's or the taker's split, merge or (resolved markets) redemption
 * of the match's market, or the exchange's own split or merge.
 */
async function insertActivity(client: ClickHouseClient, db: string, spec: PositionsDataSpec, firstPair: number, endPair: number, count: number): Promise<void> {
  if (count <= 0) return;
  const m = matchSql(spec, 'p');
  const pairs = endPair - firstPair;
  await client.command({
    query: `INSERT INTO ${db}.activity (event_id, kind, contract, stakeholder, wallet, collateral, condition_id, index_sets, amounts, amount, payout,
        block_number, log_index, timestamp, transaction_hash, staged_object)
      SELECT concat(tx, '_', toString(log_index)), kind,
             if(neg_risk = 1, '${NEG_RISK_ADAPTER}', '${CONDITIONAL_TOKENS}') AS contract, who, who,
             if(neg_risk = 1, '${WRAPPED_COLLATERAL}', '${USDC_E}'), condition_id, [toUInt256(1), toUInt256(2)],
             if(neg_risk = 1 AND kind = 'redeem', if(outcome = 0, [toUInt256(tokens), toUInt256(0)], [toUInt256(0), toUInt256(tokens)]), CAST([], 'Array(UInt256)')),
             toUInt256(if(neg_risk = 1 AND kind = 'redeem', 0, tokens)),
             toUInt256(if(kind = 'redeem' AND winner = outcome, tokens, 0)),
             block_number, log_index, timestamp, tx, 'bench'
      FROM (
        SELECT p, ${m.market} AS market, ${m.outcome} AS outcome, ${m.tokens} AS tokens,
               ${m.uniform('activity-kind')} AS r, ${m.uniform('activity-exchange')} < ${EXCHANGE_ACTIVITY_SHARE} AS by_exchange,
               if(sipHash64(${Math.trunc(spec.seed)}, 'activity-wallet', p) % 2 = 0, ${m.makerWallet}, ${m.takerWallet}) AS wallet_index,
               ${m.block} AS block_number, toUInt32(2 * ((2 * p + 1) % ${2 * PAIRS_PER_BLOCK}) + 1) AS log_index,
               ${m.timestamp} AS timestamp, ${m.txHash('activity')} AS tx
        FROM (SELECT ${firstPair} + intDiv(number * ${pairs}, ${count}) AS p FROM numbers(${count}))
      ) AS a
      INNER JOIN (SELECT idx, condition_id, neg_risk, resolved, winner FROM ${db}.bench_markets) AS mk ON mk.idx = a.market
      ARRAY JOIN [multiIf(by_exchange, if(r < 0.6, 'split', 'merge'),
                          mk.resolved = 1, multiIf(r < 0.5, 'redeem', r < 0.8, 'split', 'merge'),
                          if(r < 0.6, 'split', 'merge'))] AS kind,
                 [if(by_exchange, if(mk.neg_risk = 1, '${NEG_RISK_EXCHANGE_V1}', '${CTF_EXCHANGE_V1}'), ${walletAddress(spec.seed, 'wallet_index')})] AS who
      SETTINGS join_algorithm = 'hash'`,
  });
}

async function scalar(client: ClickHouseClient, query: string): Promise<number> {
  const res = await client.query({ query, format: 'JSONEachRow' });
  const [row] = (await res.json()) as { n: string | number }[];
  return Number(row?.n ?? 0);
}

/** Fills and activity of matches [firstPair, endPair), then what landed. */
async function insertEvents(client: ClickHouseClient, db: string, spec: PositionsDataSpec, firstPair: number, endPair: number): Promise<GeneratedEvents> {
  const fromBlock = await scalar(client, `SELECT max(block_number) AS n FROM ${db}.fills`);
  await insertFills(client, db, spec, firstPair, endPair);
  await insertActivity(client, db, spec, firstPair, endPair, Math.round(2 * (endPair - firstPair) * spec.activityPerFill));
  const window = `block_number > ${fromBlock}`;
  const res = await client.query({
    query: `SELECT
        (SELECT count() FROM ${db}.fills WHERE ${window}) AS fills,
        (SELECT count() FROM ${db}.activity WHERE ${window}) AS activity,
        greatest((SELECT max(block_number) FROM ${db}.fills), (SELECT max(block_number) FROM ${db}.activity)) AS last_block,
        (SELECT uniqExact(w) FROM (SELECT maker AS w FROM ${db}.fills WHERE ${window} UNION ALL SELECT wallet FROM ${db}.activity WHERE ${window})) AS wallets`,
    format: 'JSONEachRow',
  });
  const [row] = (await res.json()) as Record<string, string | number>[];
  return { fills: Number(row!.fills), activity: Number(row!.activity), firstPair, endPair, lastBlock: Number(row!.last_block), wallets: Number(row!.wallets) };
}

/** The base data: markets, conditions, `spec.fills` fills and their activity, merged into whole parts. */
export async function generateBase(client: ClickHouseClient, database: string, spec: PositionsDataSpec): Promise<GeneratedEvents & { markets: number }> {
  const db = assertIdentifier(database);
  const markets = await createMarkets(client, db, spec);
  const events = await insertEvents(client, db, spec, 0, basePairs(spec));
  await settle(client, db);
  return { ...events, markets };
}

/**
 * New events in new blocks: `share` of the base's fills (and their activity),
 * continuing the same chain, so they touch wallets with the population's tail.
 */
export async function extendEvents(client: ClickHouseClient, database: string, spec: PositionsDataSpec, share: number): Promise<GeneratedEvents> {
  const db = assertIdentifier(database);
  const endPair = await scalar(client, `SELECT intDiv(count(), 2) AS n FROM ${db}.fills`);
  const events = await insertEvents(client, db, spec, endPair, endPair + Math.max(1, Math.round(basePairs(spec) * share)));
  await settle(client, db);
  return events;
}

/**
 * Merges what the inserts left, as a warehouse that has been running a while
 * would be, so background merges of the generation do not run during the
 * measured refresh.
 */
async function settle(client: ClickHouseClient, db: string): Promise<void> {
  for (const table of ['fills', 'activity', 'conditions']) await client.command({ query: `OPTIMIZE TABLE ${db}.${table} FINAL` });
}
