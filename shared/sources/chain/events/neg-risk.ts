import type { Address, Hex } from 'viem';
import { conditionIdOf } from '#shared/model/ctf-ids.ts';
import { negRiskQuestionRowSchema, type NegRiskQuestionRow } from '#shared/model/ledger.ts';
import {
  NR_MARKET_PREPARED_EVENT,
  NR_PAYOUT_REDEMPTION_EVENT,
  NR_POSITION_SPLIT_EVENT,
  NR_POSITIONS_CONVERTED_EVENT,
  NR_POSITIONS_MERGE_EVENT,
  NR_QUESTION_PREPARED_EVENT,
} from './abi.ts';
import { activityRecord } from './activity.ts';
import { chainReject, decodeArgs, guarded, logPosition, stageRow, validTimestamp, type LogDecoder } from './log.ts';

/**
 * NegRiskAdapter events (Polymarket/neg-risk-ctf-adapter src/NegRiskAdapter.sol).
 * Every position the adapter handles is a binary CTF position backed by its
 * WrappedCollateral (`wcol`), split and merged with the partition [1, 2]
 * (src/libraries/Helpers.sol `partition()`), which the rows state explicitly.
 */

/** The adapter's fixed partition: index set 1 (YES) and 2 (NO). */
export const NEG_RISK_PARTITION: readonly bigint[] = [1n, 2n];
/** Every NegRisk condition is binary: the adapter prepares it with 2 outcome slots. */
const NEG_RISK_OUTCOME_SLOTS = 2;

export interface NegRiskDecoders {
  positionSplit: LogDecoder;
  positionsMerge: LogDecoder;
  payoutRedemption: LogDecoder;
  positionsConverted: LogDecoder;
  questionPrepared: LogDecoder;
}

/**
 * The adapter's decoders. `wrappedCollateral` is the collateral its positions
 * are held in (NegRiskAdapter.wcol), recorded on every activity row.
 */
export function negRiskAdapterDecoders(wrappedCollateral: Address): NegRiskDecoders {
  const collateral = wrappedCollateral.toLowerCase();

  const splitOrMerge =
    (kind: 'split' | 'merge'): LogDecoder =>
    (log, timestamp) =>
      guarded(log, () => {
        const pos = logPosition(log);
        if (typeof pos === 'string') return [chainReject(pos, log)];
        const args = decodeArgs(kind === 'split' ? NR_POSITION_SPLIT_EVENT : NR_POSITIONS_MERGE_EVENT, log);
        if (typeof args === 'string') return [chainReject(args, log)];
        const time = validTimestamp(timestamp);
        if (time === null) return [chainReject('no block timestamp for the log', log)];
        return [
          activityRecord(log, pos, time, {
            kind,
            stakeholder: args.stakeholder,
            collateral,
            condition_id: args.conditionId,
            index_sets: NEG_RISK_PARTITION,
            amounts: [],
            amount: args.amount,
            payout: 0n,
          }),
        ];
      });

  /** `amounts` is [YES, NO] as redeemed (the adapter pulls exactly these); the event has no single amount, so `amount` is 0. */
  const payoutRedemption: LogDecoder = (log, timestamp) =>
    guarded(log, () => {
      const pos = logPosition(log);
      if (typeof pos === 'string') return [chainReject(pos, log)];
      const args = decodeArgs(NR_PAYOUT_REDEMPTION_EVENT, log);
      if (typeof args === 'string') return [chainReject(args, log)];
      const time = validTimestamp(timestamp);
      if (time === null) return [chainReject('no block timestamp for the log', log)];
      return [
        activityRecord(log, pos, time, {
          kind: 'redeem',
          stakeholder: args.redeemer,
          collateral,
          condition_id: args.conditionId,
          index_sets: NEG_RISK_PARTITION,
          amounts: args.amounts,
          amount: 0n,
          payout: args.payout,
        }),
      ];
    });

  /** The row's condition_id holds the market id; index_sets holds the converted NO positions' index set. */
  const positionsConverted: LogDecoder = (log, timestamp) =>
    guarded(log, () => {
      const pos = logPosition(log);
      if (typeof pos === 'string') return [chainReject(pos, log)];
      const args = decodeArgs(NR_POSITIONS_CONVERTED_EVENT, log);
      if (typeof args === 'string') return [chainReject(args, log)];
      const time = validTimestamp(timestamp);
      if (time === null) return [chainReject('no block timestamp for the log', log)];
      return [
        activityRecord(log, pos, time, {
          kind: 'convert',
          stakeholder: args.stakeholder,
          collateral,
          condition_id: args.marketId,
          index_sets: [args.indexSet],
          amounts: [],
          amount: args.amount,
          payout: 0n,
        }),
      ];
    });

  return {
    positionSplit: splitOrMerge('split'),
    positionsMerge: splitOrMerge('merge'),
    payoutRedemption,
    positionsConverted,
    questionPrepared: decodeQuestionPreparedLog,
  };
}

/**
 * `QuestionPrepared` → a `neg_risk_questions` row. The adapter prepares the
 * question's CTF condition with itself as oracle and 2 slots
 * (`getConditionId`: CTHelpers.getConditionId(address(this), questionId, 2)),
 * so the condition id is computed from the emitting adapter's address.
 */
export const decodeQuestionPreparedLog: LogDecoder = (log) =>
  guarded(log, () => {
    const pos = logPosition(log);
    if (typeof pos === 'string') return [chainReject(pos, log)];
    const args = decodeArgs(NR_QUESTION_PREPARED_EVENT, log);
    if (typeof args === 'string') return [chainReject(args, log)];
    // NegRiskIdLib keeps the index in the question id's last byte: at most 255.
    if (args.index > 255n) return [chainReject(`QuestionPrepared: question index ${args.index} exceeds 255`, log)];
    const row: NegRiskQuestionRow = {
      market_id: args.marketId.toLowerCase(),
      question_id: args.questionId.toLowerCase(),
      question_index: Number(args.index),
      condition_id: conditionIdOf(pos.address as Address, args.questionId as Hex, NEG_RISK_OUTCOME_SLOTS),
      block_number: pos.blockNumber,
      log_index: pos.logIndex,
    };
    return [stageRow('neg_risk_questions', negRiskQuestionRowSchema, row, log)];
  });

/**
 * `MarketPrepared` needs no row, so the catalogue does not subscribe to it.
 * A conversion needs the market's question count N at that moment, which is
 * the number of its `neg_risk_questions` rows before the conversion in
 * (block, log) order: prepareQuestion reverts on an unprepared market, so no
 * question precedes its market (the pnl-subgraph counts QuestionPrepared the
 * same way). Its feeBips is not part of the P&L method. This decoder only
 * validates the log: [] when it is a well-formed MarketPrepared, else a reject.
 */
export const decodeMarketPreparedLog: LogDecoder = (log) =>
  guarded(log, () => {
    const pos = logPosition(log);
    if (typeof pos === 'string') return [chainReject(pos, log)];
    const args = decodeArgs(NR_MARKET_PREPARED_EVENT, log);
    return typeof args === 'string' ? [chainReject(args, log)] : [];
  });
