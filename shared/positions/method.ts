import { CONDITIONAL_TOKENS, NEG_RISK_ADAPTER, USDC_E, WRAPPED_COLLATERAL } from '#shared/sources/chain/events/addresses.ts';
import { DEFAULT_SKIP_RULES, type SkipRules } from './contracts.ts';
import {
  activityEvent,
  compareChainPoints,
  fillEvent,
  type ActivityEvent,
  type ActivityEventRow,
  type ChainPoint,
  type FillEvent,
  type FillEventRow,
  type PositionEvent,
} from './events.ts';
import { binaryTokenIds, indexConditions, QuestionIndex, type ConditionInfo, type ConditionSource, type QuestionSource } from './lookups.ts';

/**
 * The pnl-subgraph's position method (Polymarket/polymarket-subgraph,
 * pnl-subgraph/src): per (wallet, token) an amount, an average buy price, a
 * realized P&L and a total bought, all integers in 1e6 units. BigInt
 * division truncates toward zero here as graph-node's does (it divides
 * num-bigint BigInts), negative quotients included.
 */
export const COLLATERAL_SCALE = 1_000_000n;
/** common/constants.template.ts FIFTY_CENTS: the price of both outcomes of a split or merge. */
export const FIFTY_CENTS = COLLATERAL_SCALE / 2n;

export interface Position {
  amount: bigint;
  avgPrice: bigint;
  realizedPnl: bigint;
  totalBought: bigint;
  /** The last event that changed (saved) this position. */
  blockNumber: number;
  logIndex: number;
}

/** One wallet's positions by canonical decimal token id. */
export type WalletPositions = Map<string, Position>;

const emptyPosition = (): Position => ({ amount: 0n, avgPrice: 0n, realizedPnl: 0n, totalBought: 0n, blockNumber: 0, logIndex: 0 });

/**
 * Loads a position, or a fresh one. A position whose last event is at or
 * after `at` has seen this event already (a refresh re-run after a crash):
 * null tells the caller to leave it alone.
 */
function positionFor(positions: WalletPositions, tokenId: string, at: ChainPoint): Position | null {
  const known = positions.get(tokenId);
  if (known && compareChainPoints(known, at) >= 0) return null;
  return known ?? emptyPosition();
}

/**
 * utils/updateUserPositionWithBuy.ts: nothing happens (not even a save) for a
 * zero amount; otherwise the average price is re-weighted with the bought amount.
 */
export function buy(positions: WalletPositions, tokenId: string, price: bigint, amount: bigint, at: ChainPoint): void {
  if (amount <= 0n) return;
  const pos = positionFor(positions, tokenId, at);
  if (!pos) return;
  pos.avgPrice = (pos.avgPrice * pos.amount + price * amount) / (pos.amount + amount);
  pos.amount += amount;
  pos.totalBought += amount;
  save(positions, tokenId, pos, at);
}

/**
 * utils/updateUserPositionWithSell.ts: only what is tracked can be sold (the
 * rest came from outside what the method sees and earns no P&L); the average
 * price stays. The position is saved even when nothing was held.
 */
export function sell(positions: WalletPositions, tokenId: string, price: bigint, amount: bigint, at: ChainPoint): void {
  const pos = positionFor(positions, tokenId, at);
  if (!pos) return;
  const sold = amount > pos.amount ? pos.amount : amount;
  pos.realizedPnl += (sold * (price - pos.avgPrice)) / COLLATERAL_SCALE;
  pos.amount -= sold;
  save(positions, tokenId, pos, at);
}

function save(positions: WalletPositions, tokenId: string, pos: Position, at: ChainPoint): void {
  pos.blockNumber = at.blockNumber;
  pos.logIndex = at.logIndex;
  positions.set(tokenId, pos);
}

/** utils/computeNegRiskYesPrice.ts: (noPrice * k - 1e6 * (k - 1)) / (N - k), k NOs converted of N questions; may be negative. */
export function negRiskYesPrice(noPrice: bigint, noCount: number, questionCount: number): bigint {
  return (noPrice * BigInt(noCount) - COLLATERAL_SCALE * BigInt(noCount - 1)) / BigInt(questionCount - noCount);
}

export const SKIP_REASONS = [
  /** The method's own rule: activity of the NegRiskAdapter or an exchange, counted elsewhere. */
  'excluded-party',
  /** A condition we hold no row for, or one without exactly two outcomes (the subgraph never creates those). */
  'unknown-condition',
  /** A redemption of a condition without payouts: impossible on chain, so the resolution has not been loaded. */
  'unresolved-condition',
  /** A conversion in a market with no question prepared before it. */
  'unknown-market',
  /** A conversion whose index set names no prepared question (the contract refuses those). */
  'empty-index-set',
  /** A fill that moved no tokens: its price is undefined (the subgraph would divide by zero). */
  'no-tokens-moved',
  /** Activity of a contract or kind the method does not know. */
  'unknown-contract',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export interface MethodStats {
  /** Events applied or skipped, duplicates excluded. */
  events: number;
  /** Rows repeating an event already seen (a ReplacingMergeTree row not merged away yet). */
  duplicates: number;
  skipped: Record<SkipReason, number>;
}

export const emptyStats = (): MethodStats => ({
  events: 0,
  duplicates: 0,
  skipped: Object.fromEntries(SKIP_REASONS.map((r) => [r, 0])) as Record<SkipReason, number>,
});

export interface MethodContext {
  conditions: (conditionId: string) => ConditionInfo | undefined;
  questions: QuestionIndex;
  skip: SkipRules;
  stats: MethodStats;
}

/** ExchangeMapping.ts handleOrderFilled: price = quote * 1e6 / base, then a buy or a sell of `base`. Fees play no part. */
function applyFill(positions: WalletPositions, e: FillEvent, ctx: MethodContext): void {
  if (e.base === 0n) return void ctx.stats.skipped['no-tokens-moved']++;
  const price = (e.quote * COLLATERAL_SCALE) / e.base;
  if (e.side === 'BUY') buy(positions, e.tokenId, price, e.base, e);
  else sell(positions, e.tokenId, price, e.base, e);
}

/**
 * The stakeholder named by the event, or the wallet we credit: for V2
 * flows the stakeholder is a collateral adapter and the exchange (when it
 * mints or merges for a match) is the wallet behind it.
 */
const namesAny = (set: ReadonlySet<string>, e: ActivityEvent) => set.has(e.stakeholder) || set.has(e.wallet);

/** A known binary condition, or null after counting why not. */
function binaryCondition(e: ActivityEvent, ctx: MethodContext): ConditionInfo | null {
  const condition = ctx.conditions(e.conditionId);
  if (condition && condition.outcomeSlotCount === 2) return condition;
  ctx.stats.skipped['unknown-condition']++;
  return null;
}

/**
 * CTF events carry their collateral; the subgraph instead takes USDC.e, or
 * WrappedCollateral when the NegRiskAdapter is the oracle (utils/createCondition.ts).
 * The two agree for every flow through Polymarket's contracts.
 */
function ctfCollateral(e: ActivityEvent, condition: ConditionInfo): string {
  if (e.collateral) return e.collateral;
  return condition.oracle === NEG_RISK_ADAPTER ? WRAPPED_COLLATERAL : USDC_E;
}

/**
 * Splits buy both outcomes at 0.50 and merges sell both at 0.50
 * (ConditionalTokensMapping.ts and NegRiskAdapterMapping.ts
 * handlePositionSplit / handlePositionsMerge; the partition is not read).
 */
function applySplitOrMerge(positions: WalletPositions, e: ActivityEvent, ctx: MethodContext, negRisk: boolean): void {
  const condition = binaryCondition(e, ctx);
  if (!condition) return;
  if (namesAny(negRisk ? ctx.skip.negRiskSplitMerge : ctx.skip.ctfSplitMerge, e)) return void ctx.stats.skipped['excluded-party']++;
  const ids = binaryTokenIds(negRisk ? WRAPPED_COLLATERAL : ctfCollateral(e, condition), e.conditionId);
  for (const tokenId of ids) {
    if (e.kind === 'split') buy(positions, tokenId, FIFTY_CENTS, e.amount, e);
    else sell(positions, tokenId, FIFTY_CENTS, e.amount, e);
  }
}

/**
 * Redemptions sell both outcomes at payoutNumerator * 1e6 / payoutDenominator.
 * A CTF redemption sells the wallet's whole tracked amount (its index sets
 * and payout are not read); a NegRiskAdapter redemption sells `amounts[i]`.
 */
function applyRedeem(positions: WalletPositions, e: ActivityEvent, ctx: MethodContext, negRisk: boolean): void {
  const condition = binaryCondition(e, ctx);
  if (!condition) return;
  if (!negRisk && namesAny(ctx.skip.ctfRedeem, e)) return void ctx.stats.skipped['excluded-party']++;
  if (condition.payoutDenominator === 0n) return void ctx.stats.skipped['unresolved-condition']++;
  const ids = binaryTokenIds(negRisk ? WRAPPED_COLLATERAL : ctfCollateral(e, condition), e.conditionId);
  ids.forEach((tokenId, outcome) => {
    const price = ((condition.payoutNumerators[outcome] ?? 0n) * COLLATERAL_SCALE) / condition.payoutDenominator;
    const amount = negRisk ? (e.amounts[outcome] ?? 0n) : (positions.get(tokenId)?.amount ?? 0n);
    sell(positions, tokenId, price, amount, e);
  });
}

/**
 * NegRiskAdapterMapping.ts handlePositionsConverted: each NO in the index set
 * is sold at its own average price (no P&L); their mean is the NO price; the
 * YES of every other question is bought at computeNegRiskYesPrice. Questions
 * are those prepared before the conversion.
 */
function applyConvert(positions: WalletPositions, e: ActivityEvent, ctx: MethodContext): void {
  const questions = ctx.questions.questionConditions(e.conditionId, e);
  if (questions.length === 0) return void ctx.stats.skipped['unknown-market']++;
  const indexSet = e.indexSets[0] ?? 0n;
  const inSet = (q: number) => (indexSet & (1n << BigInt(q))) !== 0n;
  let noCount = 0;
  let noPriceSum = 0n;
  questions.forEach((conditionId, q) => {
    if (!inSet(q)) return;
    noCount++;
    const noId = binaryTokenIds(WRAPPED_COLLATERAL, conditionId)[1];
    const avgPrice = positions.get(noId)?.avgPrice ?? 0n;
    sell(positions, noId, avgPrice, e.amount, e);
    noPriceSum += avgPrice;
  });
  if (noCount === 0) return void ctx.stats.skipped['empty-index-set']++;
  if (noCount === questions.length) return;
  const yesPrice = negRiskYesPrice(noPriceSum / BigInt(noCount), noCount, questions.length);
  questions.forEach((conditionId, q) => {
    if (!inSet(q)) buy(positions, binaryTokenIds(WRAPPED_COLLATERAL, conditionId)[0], yesPrice, e.amount, e);
  });
}

function applyActivity(positions: WalletPositions, e: ActivityEvent, ctx: MethodContext): void {
  const negRisk = e.contract === NEG_RISK_ADAPTER;
  if (!negRisk && e.contract !== CONDITIONAL_TOKENS) return void ctx.stats.skipped['unknown-contract']++;
  switch (e.kind) {
    case 'split':
    case 'merge':
      return applySplitOrMerge(positions, e, ctx, negRisk);
    case 'redeem':
      return applyRedeem(positions, e, ctx, negRisk);
    case 'convert':
      if (negRisk) return applyConvert(positions, e, ctx);
      return void ctx.stats.skipped['unknown-contract']++;
  }
}

/** Applies one event to its wallet's positions. */
export function applyEvent(positions: WalletPositions, e: PositionEvent, ctx: MethodContext): void {
  if (e.type === 'fill') applyFill(positions, e, ctx);
  else applyActivity(positions, e, ctx);
}

/**
 * Feeds one wallet's events in chain order. A row at the same chain point
 * as the one before is the same log seen twice and is dropped; an event
 * before the last one is a caller's bug.
 */
export class WalletLedger {
  private last: ChainPoint | null = null;

  constructor(
    readonly wallet: string,
    readonly positions: WalletPositions,
    private readonly ctx: MethodContext,
  ) {}

  apply(e: PositionEvent): void {
    if (e.wallet !== this.wallet) throw new Error(`event of ${e.wallet} fed to the ledger of ${this.wallet}`);
    if (this.last) {
      const order = compareChainPoints(e, this.last);
      if (order < 0) throw new Error(`events of ${this.wallet} out of chain order at ${e.blockNumber}/${e.logIndex}`);
      if (order === 0) return void this.ctx.stats.duplicates++;
    }
    this.last = { blockNumber: e.blockNumber, logIndex: e.logIndex };
    this.ctx.stats.events++;
    applyEvent(this.positions, e, this.ctx);
  }
}

/** A `positions` row: integers as decimal strings. */
export interface PositionRow {
  wallet: string;
  token_id: string;
  amount: string;
  avg_price: string;
  realized_pnl: string;
  total_bought: string;
  block_number: number;
  log_index: number;
}

export function positionRow(wallet: string, tokenId: string, p: Position): PositionRow {
  return {
    wallet,
    token_id: tokenId,
    amount: p.amount.toString(),
    avg_price: p.avgPrice.toString(),
    realized_pnl: p.realizedPnl.toString(),
    total_bought: p.totalBought.toString(),
    block_number: p.blockNumber,
    log_index: p.logIndex,
  };
}

export function positionFromRow(row: Omit<PositionRow, 'wallet' | 'token_id'>): Position {
  return {
    amount: BigInt(row.amount),
    avgPrice: BigInt(row.avg_price),
    realizedPnl: BigInt(row.realized_pnl),
    totalBought: BigInt(row.total_bought),
    blockNumber: Number(row.block_number),
    logIndex: Number(row.log_index),
  };
}

export function methodContext(
  conditions: Iterable<ConditionSource>,
  questions: Iterable<QuestionSource>,
  skip: SkipRules = DEFAULT_SKIP_RULES,
  stats = emptyStats(),
): MethodContext {
  const byId = indexConditions(conditions);
  return { conditions: (id) => byId.get(id), questions: new QuestionIndex(questions), skip, stats };
}

export interface PositionsInput {
  fills: readonly FillEventRow[];
  activity: readonly ActivityEventRow[];
  conditions: readonly ConditionSource[];
  questions: readonly QuestionSource[];
}

export interface ComputeOptions {
  skip?: SkipRules;
  /** Filled with what was applied and skipped. */
  stats?: MethodStats;
}

/** Orders rows by wallet, then token id as a number (canonical decimals compare by length first). */
export function comparePositionRows(a: Pick<PositionRow, 'wallet' | 'token_id'>, b: Pick<PositionRow, 'wallet' | 'token_id'>): number {
  if (a.wallet !== b.wallet) return a.wallet < b.wallet ? -1 : 1;
  if (a.token_id.length !== b.token_id.length) return a.token_id.length - b.token_id.length;
  return a.token_id < b.token_id ? -1 : a.token_id > b.token_id ? 1 : 0;
}

/**
 * Every position after applying the events, in memory: `start` (positions
 * computed before) plus the events after each position's last one. Only
 * chain-ordered events (block_number > 0) count. Rows come back sorted by
 * wallet and token id.
 */
export function computePositions(input: PositionsInput, start: readonly PositionRow[] = [], options: ComputeOptions = {}): PositionRow[] {
  const ctx = methodContext(input.conditions, input.questions, options.skip, options.stats);
  const events: PositionEvent[] = [
    ...input.fills.filter((r) => Number(r.block_number) > 0).map(fillEvent),
    ...input.activity.filter((r) => Number(r.block_number) > 0).map(activityEvent),
  ];
  events.sort((a, b) => (a.wallet === b.wallet ? compareChainPoints(a, b) : a.wallet < b.wallet ? -1 : 1));
  const books = new Map<string, WalletPositions>();
  for (const row of start) {
    const wallet = row.wallet.toLowerCase();
    let positions = books.get(wallet);
    if (!positions) books.set(wallet, (positions = new Map()));
    positions.set(BigInt(row.token_id).toString(), positionFromRow(row));
  }
  let ledger = null as WalletLedger | null;
  for (const e of events) {
    if (ledger?.wallet !== e.wallet) {
      let positions = books.get(e.wallet);
      if (!positions) books.set(e.wallet, (positions = new Map()));
      ledger = new WalletLedger(e.wallet, positions, ctx);
    }
    ledger.apply(e);
  }
  const rows: PositionRow[] = [];
  for (const [wallet, positions] of books) for (const [tokenId, p] of positions) rows.push(positionRow(wallet, tokenId, p));
  return rows.sort(comparePositionRows);
}
