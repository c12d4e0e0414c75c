import type { Address, Hex } from 'viem';
import { outcomeTokenId } from '#shared/model/ctf-ids.ts';

/**
 * An independent, deliberately plain re-statement of Polymarket's pnl-subgraph
 * position method, used by tests as the yardstick for the product's own
 * implementation. Primary source: Polymarket/polymarket-subgraph, `pnl-subgraph/`:
 *   src/ExchangeMapping.ts + src/utils/parseOrderFilled.ts   (OrderFilled)
 *   src/ConditionalTokensMapping.ts                          (CTF split, merge, redemption, resolution)
 *   src/NegRiskAdapterMapping.ts + src/utils/computeNegRiskYesPrice.ts (adapter split, merge, redemption, conversion)
 *   src/utils/updateUserPositionWithBuy.ts, updateUserPositionWithSell.ts, loadOrCreateUserPosition.ts
 *   common/constants.template.ts (COLLATERAL_SCALE = 1e6, FIFTY_CENTS), common/utils/indexSetContains.ts
 * Integers in 1e6 units; every division truncates toward zero, as graph-node's
 * BigInt does (graphprotocol/graph-node runtime/wasm/src/host_exports.rs,
 * big_int_divided_by: num-bigint `x / y`), which is what JS bigint `/` does too.
 *
 * Events of all wallets are sorted by (block_number, log_index) and applied one
 * by one to a Map keyed `${wallet}|${tokenId}`. No attempt at speed.
 */

/** Block and log positions arrive as numbers or, for UInt64 in ClickHouse JSON, as strings. */
type ChainInt = number | string;

export interface ReferenceFill {
  maker: string;
  taker: string;
  maker_asset_id: string;
  taker_asset_id: string;
  maker_amount_filled: string;
  taker_amount_filled: string;
  fee: string;
  block_number: ChainInt;
  log_index: ChainInt;
  exchange: string;
}

export interface ReferenceActivity {
  kind: 'split' | 'merge' | 'redeem' | 'convert';
  contract: string;
  stakeholder: string;
  wallet: string;
  collateral: string;
  /** The NegRisk market id for a conversion. */
  condition_id: string;
  index_sets: readonly string[];
  amounts: readonly string[];
  amount: string;
  payout: string;
  block_number: ChainInt;
  log_index: ChainInt;
}

export interface ReferenceCondition {
  condition_id: string;
  payout_numerators: readonly string[];
  /** '0' while unresolved. */
  payout_denominator: string;
  /** When stated (and not 0), a condition with other than 2 slots is unknown to the subgraph. */
  outcome_slot_count?: ChainInt;
}

export interface ReferenceNegRiskQuestion {
  market_id: string;
  question_id: string;
  question_index: ChainInt;
  condition_id: string;
  block_number: ChainInt;
  log_index: ChainInt;
}

export interface ReferenceInput {
  fills: readonly ReferenceFill[];
  activity: readonly ReferenceActivity[];
  conditions: readonly ReferenceCondition[];
  neg_risk_questions: readonly ReferenceNegRiskQuestion[];
}

/** One UserPosition, values as decimal strings in 1e6 units. */
export interface ReferencePosition {
  wallet: string;
  token_id: string;
  amount: string;
  avg_price: string;
  realized_pnl: string;
  total_bought: string;
}

export const COLLATERAL_SCALE = 1_000_000n;
const FIFTY_CENTS = COLLATERAL_SCALE / 2n;

export const CTF = '0x4d97dcd97ec945f40cf65f87097ace5ea0476045';
export const NEG_RISK_ADAPTER = '0xd91e80cf2e7be2e162c6513ced06f1dd0da35296';
export const WRAPPED_COLLATERAL = '0x3a3bd7bb9528e159577f7c2e685cc81a765002e2';
export const EXCHANGES = [
  '0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e', // V1 CTF Exchange (the subgraph's EXCHANGE)
  '0xc5d563a36ae78145c45a50134d48a1215220f80a', // V1 NegRisk CTF Exchange (the subgraph's NEG_RISK_EXCHANGE)
  '0xe111180000d2663c0091e4f400237545b87b996b', // V2 CTF Exchange
  '0xe2222d279d744050d28e00520010520000310f59', // V2 NegRisk Exchange
] as const;

interface Position {
  wallet: string;
  tokenId: bigint;
  amount: bigint;
  avgPrice: bigint;
  realizedPnl: bigint;
  totalBought: bigint;
}

type Ledger = Map<string, Position>;

const keyOf = (wallet: string, tokenId: bigint) => `${wallet}|${tokenId}`;

/** loadOrCreateUserPosition: the stored position, or a fresh zero one that is NOT stored. */
function loadOrCreate(ledger: Ledger, wallet: string, tokenId: bigint): Position {
  return ledger.get(keyOf(wallet, tokenId)) ?? { wallet, tokenId, amount: 0n, avgPrice: 0n, realizedPnl: 0n, totalBought: 0n };
}

/** updateUserPositionWithBuy: stores the position only when qty > 0. */
function buy(ledger: Ledger, wallet: string, tokenId: bigint, price: bigint, qty: bigint): void {
  const p = loadOrCreate(ledger, wallet, tokenId);
  if (qty <= 0n) return;
  p.avgPrice = (p.avgPrice * p.amount + price * qty) / (p.amount + qty);
  p.amount += qty;
  p.totalBought += qty;
  ledger.set(keyOf(wallet, tokenId), p);
}

/**
 * updateUserPositionWithSell: only what is tracked can be sold (tokens got
 * outside what is tracked earn no P&L); avgPrice is kept. The subgraph saves
 * the position even when nothing was held, so a zero row appears.
 */
function sell(ledger: Ledger, wallet: string, tokenId: bigint, price: bigint, qty: bigint): void {
  const p = loadOrCreate(ledger, wallet, tokenId);
  const q = qty > p.amount ? p.amount : qty;
  p.realizedPnl += (q * (price - p.avgPrice)) / COLLATERAL_SCALE;
  p.amount -= q;
  ledger.set(keyOf(wallet, tokenId), p);
}

const tokenIdMemo = new Map<string, bigint>();
function tokenOf(collateral: string, conditionId: string, outcomeIndex: number): bigint {
  const key = `${collateral}|${conditionId}|${outcomeIndex}`;
  let id = tokenIdMemo.get(key);
  if (id === undefined) {
    id = outcomeTokenId(collateral as Address, conditionId as Hex, outcomeIndex);
    tokenIdMemo.set(key, id);
  }
  return id;
}

interface Resolution {
  numerators: bigint[];
  /** 0n while unresolved. The subgraph sets it to the sum of the numerators (handleConditionResolution). */
  denominator: bigint;
}

/**
 * The subgraph creates a Condition only at ConditionPreparation with 2 slots,
 * and its events for unknown conditions are ignored. We have no preparation
 * events, so a condition is known when it has a row here. The resolution is
 * taken in its final state: on chain no redemption can precede it (the CTF
 * refuses to redeem an unresolved condition), so only a lagging table differs.
 */
function knownConditions(rows: readonly ReferenceCondition[]): Map<string, Resolution> {
  const known = new Map<string, Resolution>();
  for (const row of rows) {
    const slots = Number(row.outcome_slot_count ?? 0);
    if (slots !== 0 && slots !== 2) continue;
    const numerators = row.payout_numerators.map((n) => BigInt(n));
    if (numerators.length !== 0 && numerators.length !== 2) continue;
    const sum = numerators.reduce((a, b) => a + b, 0n);
    const stated = BigInt(row.payout_denominator);
    if (stated !== 0n && stated !== sum) {
      throw new Error(`condition ${row.condition_id}: denominator ${stated} is not the sum of its numerators ${sum}`);
    }
    if (stated === 0n && sum !== 0n) throw new Error(`condition ${row.condition_id}: numerators without a denominator`);
    known.set(row.condition_id.toLowerCase(), { numerators, denominator: sum });
  }
  return known;
}

const payoutPrice = (r: Resolution, outcomeIndex: number) => ((r.numerators[outcomeIndex] ?? 0n) * COLLATERAL_SCALE) / r.denominator;

/**
 * ExchangeMapping.handleOrderFilled via parseOrderFilled: the account is the
 * maker, always (the exchange is the taker of the taker-order leg, whose maker
 * is the taker-order's signer). Fees are not looked at.
 */
function applyFill(ledger: Ledger, f: ReferenceFill): void {
  const account = f.maker.toLowerCase();
  const isBuy = BigInt(f.maker_asset_id) === 0n;
  const base = BigInt(isBuy ? f.taker_amount_filled : f.maker_amount_filled);
  const quote = BigInt(isBuy ? f.maker_amount_filled : f.taker_amount_filled);
  const tokenId = BigInt(isBuy ? f.taker_asset_id : f.maker_asset_id);
  // The subgraph divides by `base` unguarded (a zero would halt it). With base 0 the
  // price cannot matter: a buy of 0 does nothing and a sell of 0 realises 0.
  const price = base === 0n ? 0n : (quote * COLLATERAL_SCALE) / base;
  if (isBuy) buy(ledger, account, tokenId, price, base);
  else sell(ledger, account, tokenId, price, base);
}

const isExchange = (a: string) => (EXCHANGES as readonly string[]).includes(a);

/**
 * ConditionalTokensMapping. Token ids: the subgraph picks the collateral from
 * the condition's oracle (NegRiskAdapter -> WrappedCollateral, else USDC,
 * createCondition/getPositionId); we use the collateral the event names, the
 * tokens that actually moved. They agree for every flow Polymarket runs.
 */
function applyCtf(ledger: Ledger, a: ReferenceActivity, conditions: Map<string, Resolution>): void {
  const condition = conditions.get(a.condition_id.toLowerCase());
  if (!condition) return;
  const stakeholder = a.stakeholder.toLowerCase();
  const wallet = a.wallet.toLowerCase();
  const collateral = a.collateral.toLowerCase();
  if (!/^0x[0-9a-f]{40}$/.test(collateral)) throw new Error(`CTF ${a.kind} without a collateral address`);
  const tokens = [tokenOf(collateral, a.condition_id.toLowerCase(), 0), tokenOf(collateral, a.condition_id.toLowerCase(), 1)];
  switch (a.kind) {
    case 'split':
    case 'merge': {
      // Skipped there: stakeholder NegRiskAdapter (handled by its own mapping) or EXCHANGE.
      // Assumption: all four exchanges play EXCHANGE's role (the V1 NegRisk exchange never
      // calls the CTF itself), and a `wallet` resolved to one of these is skipped too.
      if ([stakeholder, wallet].some((x) => x === NEG_RISK_ADAPTER || isExchange(x))) return;
      // The partition is ignored: both outcomes, the whole amount, at 0.50.
      for (const t of tokens) {
        if (a.kind === 'split') buy(ledger, wallet, t, FIFTY_CENTS, BigInt(a.amount));
        else sell(ledger, wallet, t, FIFTY_CENTS, BigInt(a.amount));
      }
      return;
    }
    case 'redeem': {
      if (stakeholder === NEG_RISK_ADAPTER || wallet === NEG_RISK_ADAPTER) return;
      if (condition.denominator === 0n) return; // the subgraph logs an error and credits nothing
      // The whole tracked amount of each outcome, whatever the index sets or payout say.
      tokens.forEach((t, i) => {
        const held = loadOrCreate(ledger, wallet, t).amount;
        sell(ledger, wallet, t, payoutPrice(condition, i), held);
      });
      return;
    }
    case 'convert':
      throw new Error('a conversion must come from the NegRiskAdapter');
  }
}

/** NegRisk questions of each market, for the count prepared before a conversion (handleQuestionPrepared). */
type Questions = Map<string, { index: number; conditionId: string; block: bigint; log: bigint }[]>;

function questionsByMarket(rows: readonly ReferenceNegRiskQuestion[]): Questions {
  const byMarket: Questions = new Map();
  for (const q of rows) {
    const market = q.market_id.toLowerCase();
    const list = byMarket.get(market) ?? [];
    list.push({ index: Number(q.question_index), conditionId: q.condition_id.toLowerCase(), block: BigInt(q.block_number), log: BigInt(q.log_index) });
    byMarket.set(market, list);
  }
  return byMarket;
}

const isBefore = (b1: bigint, l1: bigint, b2: bigint, l2: bigint) => b1 < b2 || (b1 === b2 && l1 < l2);

/** NegRiskAdapterMapping; NegRisk tokens are held against WrappedCollateral (YES = outcome 0, NO = outcome 1). */
function applyNegRisk(ledger: Ledger, a: ReferenceActivity, conditions: Map<string, Resolution>, questions: Questions): void {
  const stakeholder = a.stakeholder.toLowerCase();
  const wallet = a.wallet.toLowerCase();
  if (a.kind === 'convert') return convert(ledger, a, wallet, questions);
  const conditionId = a.condition_id.toLowerCase();
  const condition = conditions.get(conditionId);
  if (!condition) return;
  const tokens = [tokenOf(WRAPPED_COLLATERAL, conditionId, 0), tokenOf(WRAPPED_COLLATERAL, conditionId, 1)];
  if (a.kind === 'redeem') {
    if (condition.denominator === 0n) return;
    if (a.amounts.length !== 2) throw new Error(`NegRisk redemption with ${a.amounts.length} amounts, expected 2`);
    tokens.forEach((t, i) => sell(ledger, wallet, t, payoutPrice(condition, i), BigInt(a.amounts[i] ?? '0')));
    return;
  }
  // Skipped there: stakeholder NEG_RISK_EXCHANGE. Assumption: any of the four exchanges
  // (the V1 CTF exchange never calls the adapter), and a `wallet` resolved to one.
  if (isExchange(stakeholder) || isExchange(wallet)) return;
  for (const t of tokens) {
    if (a.kind === 'split') buy(ledger, wallet, t, FIFTY_CENTS, BigInt(a.amount));
    else sell(ledger, wallet, t, FIFTY_CENTS, BigInt(a.amount));
  }
}

/**
 * handlePositionsConverted: sell each NO in the index set at its own avgPrice
 * (no P&L), noPrice = truncated mean of those avgPrices (a position never held
 * counts with avgPrice 0), then buy each other question's YES at
 * computeNegRiskYesPrice = (noPrice*k - 1e6*(k-1)) / (N-k), which may be negative.
 * N counts the questions prepared before this event. No condition lookup here.
 * We take each question's condition from its row; the subgraph derives the same
 * id from (marketId, index) (common/utils/getNegRiskPositionId.ts).
 */
function convert(ledger: Ledger, a: ReferenceActivity, wallet: string, questions: Questions): void {
  const block = BigInt(a.block_number);
  const log = BigInt(a.log_index);
  const prepared = (questions.get(a.condition_id.toLowerCase()) ?? []).filter((q) => isBefore(q.block, q.log, block, log));
  const questionCount = prepared.length;
  if (questionCount === 0) return; // no NegRiskEvent: ignored
  const conditionOf = (index: number) => {
    const matches = prepared.filter((q) => q.index === index);
    if (matches.length !== 1) throw new Error(`market ${a.condition_id}: ${matches.length} questions with index ${index}`);
    return matches[0]!.conditionId;
  };
  if (a.index_sets.length !== 1) throw new Error(`conversion with ${a.index_sets.length} index sets, expected 1`);
  const indexSet = BigInt(a.index_sets[0]!);
  const amount = BigInt(a.amount);
  const contains = (i: number) => (indexSet & (1n << BigInt(i))) > 0n;

  let noCount = 0n;
  let noPriceSum = 0n;
  for (let i = 0; i < questionCount; i++) {
    if (!contains(i)) continue;
    noCount++;
    const noToken = tokenOf(WRAPPED_COLLATERAL, conditionOf(i), 1);
    const avgPrice = loadOrCreate(ledger, wallet, noToken).avgPrice;
    sell(ledger, wallet, noToken, avgPrice, amount);
    noPriceSum += avgPrice;
  }
  // The adapter refuses an empty index set, so this means questions are missing from the input.
  if (noCount === 0n) throw new Error(`conversion on ${a.condition_id}: no question of index set ${indexSet} is known`);
  const noPrice = noPriceSum / noCount;
  const n = BigInt(questionCount);
  if (noCount === n) return;
  const yesPrice = (noPrice * noCount - COLLATERAL_SCALE * (noCount - 1n)) / (n - noCount);
  for (let i = 0; i < questionCount; i++) {
    if (contains(i)) continue;
    buy(ledger, wallet, tokenOf(WRAPPED_COLLATERAL, conditionOf(i), 0), yesPrice, amount);
  }
}

type ChainEvent = { block: bigint; log: bigint } & ({ type: 'fill'; fill: ReferenceFill } | { type: 'activity'; activity: ReferenceActivity });

/** Every position-changing event in chain order; two events at one (block, log index) are bad input. */
function chainOrder(input: ReferenceInput): ChainEvent[] {
  const events: ChainEvent[] = [
    // V1 rows from the orderbook subgraph carry no chain position (block 0): not placeable, left out.
    ...input.fills
      .filter((fill) => BigInt(fill.block_number) > 0n)
      .map((fill): ChainEvent => ({ type: 'fill', fill, block: BigInt(fill.block_number), log: BigInt(fill.log_index) })),
    ...input.activity.map((activity): ChainEvent => ({ type: 'activity', activity, block: BigInt(activity.block_number), log: BigInt(activity.log_index) })),
  ];
  events.sort((x, y) => (isBefore(x.block, x.log, y.block, y.log) ? -1 : isBefore(y.block, y.log, x.block, x.log) ? 1 : 0));
  for (let i = 1; i < events.length; i++) {
    const [prev, cur] = [events[i - 1]!, events[i]!];
    if (prev.block === cur.block && prev.log === cur.log) throw new Error(`two events at block ${cur.block}, log index ${cur.log}`);
  }
  return events;
}

/** Positions per `${wallet}|${tokenId}` after applying every event, as the pnl-subgraph would hold them. */
export function referencePositions(input: ReferenceInput): Map<string, ReferencePosition> {
  const conditions = knownConditions(input.conditions);
  const questions = questionsByMarket(input.neg_risk_questions);
  const ledger: Ledger = new Map();
  for (const event of chainOrder(input)) {
    if (event.type === 'fill') {
      applyFill(ledger, event.fill);
      continue;
    }
    const contract = event.activity.contract.toLowerCase();
    if (contract === CTF) applyCtf(ledger, event.activity, conditions);
    else if (contract === NEG_RISK_ADAPTER) applyNegRisk(ledger, event.activity, conditions, questions);
    else throw new Error(`activity from unknown contract ${contract}`);
  }
  const out = new Map<string, ReferencePosition>();
  for (const [key, p] of ledger) {
    out.set(key, {
      wallet: p.wallet,
      token_id: p.tokenId.toString(),
      amount: p.amount.toString(),
      avg_price: p.avgPrice.toString(),
      realized_pnl: p.realizedPnl.toString(),
      total_bought: p.totalBought.toString(),
    });
  }
  return out;
}

/** The subgraph stores all-zero positions (sells of what was never held); this drops them for comparisons that do not. */
export function withoutEmptyPositions(positions: Map<string, ReferencePosition>): Map<string, ReferencePosition> {
  const isEmpty = (p: ReferencePosition) => [p.amount, p.avg_price, p.realized_pnl, p.total_bought].every((v) => v === '0');
  return new Map([...positions].filter(([, p]) => !isEmpty(p)));
}
