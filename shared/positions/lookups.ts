import type { Address, Hex } from 'viem';
import { conditionIdOf, outcomeTokenIds } from '#shared/model/ctf-ids.ts';
import type { ConditionRow, NegRiskQuestionRow } from '#shared/model/ledger.ts';
import { NEG_RISK_ADAPTER } from '#shared/sources/chain/events/addresses.ts';
import { compareChainPoints, type ChainPoint } from './events.ts';

/** What the method needs of a condition: its slot count and, once resolved, its payouts. */
export interface ConditionInfo {
  outcomeSlotCount: number;
  oracle: string;
  payoutNumerators: bigint[];
  /** 0 until resolved. */
  payoutDenominator: bigint;
}

export type ConditionSource = Pick<ConditionRow, 'condition_id' | 'outcome_slot_count' | 'oracle' | 'payout_numerators'>;
export type QuestionSource = Pick<NegRiskQuestionRow, 'market_id' | 'question_index' | 'condition_id' | 'block_number' | 'log_index'>;

/**
 * Conditions by id. `conditions` is a ReplacingMergeTree whose unresolved
 * row is replaced by the resolved one; rows read without FINAL may hold
 * both, and the resolved one wins.
 */
export function indexConditions(rows: Iterable<ConditionSource>): Map<string, ConditionInfo> {
  const byId = new Map<string, ConditionInfo>();
  for (const row of rows) {
    const payoutNumerators = row.payout_numerators.map((x) => BigInt(x));
    const info: ConditionInfo = {
      outcomeSlotCount: Number(row.outcome_slot_count),
      oracle: row.oracle.toLowerCase(),
      payoutNumerators,
      // ConditionalTokensMapping.ts handleConditionResolution: the denominator is the numerators' sum.
      payoutDenominator: payoutNumerators.reduce((sum, x) => sum + x, 0n),
    };
    const id = row.condition_id.toLowerCase();
    const known = byId.get(id);
    if (!known || (known.payoutDenominator === 0n && info.payoutDenominator > 0n)) byId.set(id, info);
  }
  return byId;
}

/**
 * The questions of each NegRisk market, to answer what the pnl-subgraph's
 * `NegRiskEvent.questionCount` was when a conversion happened: the questions
 * prepared before it (NegRiskAdapterMapping.ts handleQuestionPrepared counts
 * them as they come).
 */
export class QuestionIndex {
  private readonly byMarket = new Map<string, QuestionSource[]>();

  constructor(rows: Iterable<QuestionSource>) {
    for (const row of rows) {
      const market = row.market_id.toLowerCase();
      let list = this.byMarket.get(market);
      if (!list) this.byMarket.set(market, (list = []));
      list.push(row);
    }
    for (const list of this.byMarket.values()) list.sort((a, b) => compareChainPoints(pointOf(a), pointOf(b)));
  }

  /**
   * Condition ids of questions 0..N-1 of the market, N being how many were
   * prepared before `at`. The subgraph derives each question's ids from the
   * market id (common/utils/getNegRiskPositionId.ts); we take the stored
   * condition and derive it the same way only where a row is missing.
   */
  questionConditions(marketId: string, at: ChainPoint): string[] {
    const market = marketId.toLowerCase();
    const prepared = new Map<number, string>();
    for (const row of this.byMarket.get(market) ?? []) {
      if (compareChainPoints(pointOf(row), at) >= 0) break;
      if (!prepared.has(row.question_index)) prepared.set(row.question_index, row.condition_id.toLowerCase());
    }
    return Array.from({ length: prepared.size }, (_, i) => prepared.get(i) ?? negRiskQuestionConditionId(market, i));
  }
}

const pointOf = (row: QuestionSource): ChainPoint => ({ blockNumber: Number(row.block_number), logIndex: Number(row.log_index) });

/**
 * NegRiskIdLib.getQuestionId (Polymarket/neg-risk-ctf-adapter): the market
 * id plus the question index; the adapter prepares the condition as its
 * oracle with two outcomes (NegRiskAdapter.prepareQuestion).
 */
export function negRiskQuestionConditionId(marketId: string, questionIndex: number): string {
  const questionId = `0x${(BigInt(marketId) + BigInt(questionIndex)).toString(16).padStart(64, '0')}` as Hex;
  return conditionIdOf(NEG_RISK_ADAPTER, questionId, 2);
}

const TOKEN_CACHE_LIMIT = 50_000;
const tokenCache = new Map<string, readonly [string, string]>();

/** Token ids of outcomes 0 and 1 of a binary condition held against `collateral`. Computing one costs ~0.5 ms, so they are cached. */
export function binaryTokenIds(collateral: string, conditionId: string): readonly [string, string] {
  const key = `${collateral}:${conditionId}`;
  let ids = tokenCache.get(key);
  if (!ids) {
    const [yes, no] = outcomeTokenIds(collateral as Address, conditionId as Hex, 2);
    ids = [yes!.toString(), no!.toString()] as const;
    if (tokenCache.size >= TOKEN_CACHE_LIMIT) tokenCache.clear();
    tokenCache.set(key, ids);
  }
  return ids;
}
