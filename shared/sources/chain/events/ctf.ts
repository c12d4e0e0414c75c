import { conditionRowSchema, tokenClaimRowSchema, type ActivityKind, type ConditionRow } from '#shared/model/ledger.ts';
import { outcomeTokenIds } from '#shared/model/ctf-ids.ts';
import type { StagedRecord } from '#shared/model/staged.ts';
import type { RpcLog } from '#shared/sources/chain/decode.ts';
import {
  CONDITION_PREPARATION_EVENT,
  CONDITION_RESOLUTION_EVENT,
  CTF_PAYOUT_REDEMPTION_EVENT,
  CTF_POSITION_SPLIT_EVENT,
  CTF_POSITIONS_MERGE_EVENT,
  TOPICS,
  TRANSFER_BATCH_EVENT,
  TRANSFER_SINGLE_EVENT,
} from './abi.ts';
import { activityRecord } from './activity.ts';
import { NEG_RISK_ADAPTER, USDC_E, WRAPPED_COLLATERAL, ZERO_BYTES32 } from './addresses.ts';
import { chainReject, decodeArgs, guarded, logPosition, stageRow, validTimestamp, type LogDecoder, type LogPosition } from './log.ts';

/**
 * ConditionalTokens events (gnosis/conditional-tokens-contracts
 * contracts/ConditionalTokens.sol): conditions and their resolutions, and the
 * splits, merges and redemptions that change positions outside the exchanges.
 */

/** The CTF allows at most 256 outcome slots (prepareCondition). */
const MAX_OUTCOME_SLOTS = 256n;

/** `ConditionPreparation` → an unresolved `conditions` row (no payouts, denominator 0, resolved_at null). */
export const decodeConditionPreparationLog: LogDecoder = (log) =>
  guarded(log, () => {
    const pos = logPosition(log);
    if (typeof pos === 'string') return [chainReject(pos, log)];
    const args = decodeArgs(CONDITION_PREPARATION_EVENT, log);
    if (typeof args === 'string') return [chainReject(args, log)];
    if (args.outcomeSlotCount > MAX_OUTCOME_SLOTS)
      return [chainReject(`ConditionPreparation: ${args.outcomeSlotCount} outcome slots (the CTF allows 256)`, log)];
    return [conditionRecord(log, pos, args, [], null), ...outcomeTokenClaims(log, pos, args)];
  });

/** Conditions with more outcomes than this are not Polymarket markets; their tokens are not claimed. */
const MAX_CLAIMED_OUTCOMES = 8n;

/**
 * Every prepared condition names its outcome tokens exactly: each is the
 * position id of one outcome under the collateral Polymarket trades it
 * against (WrappedCollateral when the NegRiskAdapter is the oracle, USDC.e
 * otherwise; the same ids in both eras). So the CTF itself is a token list
 * no API can lose, including V2 markets, whose exchanges register nothing.
 */
function outcomeTokenClaims(log: RpcLog, pos: LogPosition, args: { conditionId: string; oracle: string; outcomeSlotCount: bigint }): StagedRecord[] {
  if (args.outcomeSlotCount < 2n || args.outcomeSlotCount > MAX_CLAIMED_OUTCOMES) return [];
  const collateral = args.oracle.toLowerCase() === NEG_RISK_ADAPTER ? WRAPPED_COLLATERAL : USDC_E;
  const conditionId = args.conditionId.toLowerCase() as `0x${string}`;
  const ids = outcomeTokenIds(collateral, conditionId, Number(args.outcomeSlotCount));
  return ids.map((id, i) =>
    stageRow(
      'token_claims',
      tokenClaimRowSchema,
      {
        token_id: id.toString(),
        source: 'ctf',
        condition_id: conditionId,
        outcome_index: i,
        outcome: '',
        complement_id: ids.length === 2 ? ids[1 - i]!.toString() : '',
        winner: null,
        exchange: '',
        block_number: pos.blockNumber,
      },
      log,
    ),
  );
}

/**
 * `ConditionResolution` → a resolved `conditions` row. The denominator is the
 * sum of the numerators, as `reportPayouts` stores it; resolved_at is the
 * block time, so a log without one is rejected rather than stored unresolved.
 */
export const decodeConditionResolutionLog: LogDecoder = (log, timestamp) =>
  guarded(log, () => {
    const pos = logPosition(log);
    if (typeof pos === 'string') return [chainReject(pos, log)];
    const time = validTimestamp(timestamp);
    if (time === null) return [chainReject('no block timestamp for the log (ConditionResolution needs resolved_at)', log)];
    const args = decodeArgs(CONDITION_RESOLUTION_EVENT, log);
    if (typeof args === 'string') return [chainReject(args, log)];
    if (args.outcomeSlotCount > MAX_OUTCOME_SLOTS)
      return [chainReject(`ConditionResolution: ${args.outcomeSlotCount} outcome slots (the CTF allows 256)`, log)];
    if (BigInt(args.payoutNumerators.length) !== args.outcomeSlotCount) {
      return [chainReject(`ConditionResolution: ${args.payoutNumerators.length} payout numerators for ${args.outcomeSlotCount} outcome slots`, log)];
    }
    if (args.payoutNumerators.every((n) => n === 0n)) return [chainReject('ConditionResolution: payouts are all zero', log)];
    return [conditionRecord(log, pos, args, args.payoutNumerators, time)];
  });

function conditionRecord(
  log: RpcLog,
  pos: LogPosition,
  args: { conditionId: string; oracle: string; questionId: string; outcomeSlotCount: bigint },
  payouts: readonly bigint[],
  resolvedAt: number | null,
): StagedRecord {
  const row: ConditionRow = {
    condition_id: args.conditionId.toLowerCase(),
    oracle: args.oracle.toLowerCase(),
    question_id: args.questionId.toLowerCase(),
    outcome_slot_count: Number(args.outcomeSlotCount),
    payout_numerators: payouts.map(String),
    payout_denominator: payouts.reduce((a, b) => a + b, 0n).toString(),
    resolved_at: resolvedAt,
    block_number: pos.blockNumber,
    log_index: pos.logIndex,
    transaction_hash: pos.transactionHash,
  };
  return stageRow('conditions', conditionRowSchema, row, log);
}

/**
 * CTF `PositionSplit` / `PositionsMerge` → `activity` (split / merge) with the
 * partition as index sets. Only top-level positions (parentCollectionId 0)
 * are Polymarket's; a nested one is rejected with that reason.
 */
const splitOrMerge = (kind: Extract<ActivityKind, 'split' | 'merge'>): LogDecoder => {
  const event = kind === 'split' ? CTF_POSITION_SPLIT_EVENT : CTF_POSITIONS_MERGE_EVENT;
  return (log, timestamp) =>
    guarded(log, () => {
      const pos = logPosition(log);
      if (typeof pos === 'string') return [chainReject(pos, log)];
      const args = decodeArgs(event, log);
      if (typeof args === 'string') return [chainReject(args, log)];
      if (args.parentCollectionId !== ZERO_BYTES32)
        return [chainReject(`${event.name}: not a top-level position (parentCollectionId ${args.parentCollectionId})`, log)];
      const time = validTimestamp(timestamp);
      if (time === null) return [chainReject('no block timestamp for the log', log)];
      return [
        activityRecord(log, pos, time, {
          kind,
          stakeholder: args.stakeholder,
          collateral: args.collateralToken,
          condition_id: args.conditionId,
          index_sets: args.partition,
          amounts: [],
          amount: args.amount,
          payout: 0n,
        }),
      ];
    });
};

export const decodeCtfPositionSplitLog: LogDecoder = splitOrMerge('split');
export const decodeCtfPositionsMergeLog: LogDecoder = splitOrMerge('merge');

/**
 * CTF `PayoutRedemption` → `activity` (redeem). The event carries no amount
 * (the CTF burns the redeemer's whole balance of each index set), so `amount`
 * is 0 and `payout` is the collateral paid out.
 */
export const decodeCtfPayoutRedemptionLog: LogDecoder = (log, timestamp) =>
  guarded(log, () => {
    const pos = logPosition(log);
    if (typeof pos === 'string') return [chainReject(pos, log)];
    const args = decodeArgs(CTF_PAYOUT_REDEMPTION_EVENT, log);
    if (typeof args === 'string') return [chainReject(args, log)];
    if (args.parentCollectionId !== ZERO_BYTES32)
      return [chainReject(`PayoutRedemption: not a top-level position (parentCollectionId ${args.parentCollectionId})`, log)];
    const time = validTimestamp(timestamp);
    if (time === null) return [chainReject('no block timestamp for the log', log)];
    return [
      activityRecord(log, pos, time, {
        kind: 'redeem',
        stakeholder: args.redeemer,
        collateral: args.collateralToken,
        condition_id: args.conditionId,
        index_sets: args.indexSets,
        amounts: [],
        amount: 0n,
        payout: args.payout,
      }),
    ];
  });

/** One ERC-1155 movement of CTF positions (TransferSingle as a batch of one). Addresses lower-case. */
export interface Erc1155Transfer {
  contract: string;
  operator: string;
  from: string;
  to: string;
  ids: readonly bigint[];
  values: readonly bigint[];
  logIndex: number;
}

/** Decodes a TransferSingle or TransferBatch log, or says why it cannot. */
export function decodeErc1155Transfer(log: RpcLog): Erc1155Transfer | string {
  try {
    const pos = logPosition(log);
    if (typeof pos === 'string') return pos;
    const topic0 = typeof log.topics?.[0] === 'string' ? log.topics[0].toLowerCase() : '';
    if (topic0 === TOPICS.transferSingle) {
      const args = decodeArgs(TRANSFER_SINGLE_EVENT, log);
      if (typeof args === 'string') return args;
      return {
        contract: pos.address,
        operator: args.operator.toLowerCase(),
        from: args.from.toLowerCase(),
        to: args.to.toLowerCase(),
        ids: [args.id],
        values: [args.value],
        logIndex: pos.logIndex,
      };
    }
    if (topic0 === TOPICS.transferBatch) {
      const args = decodeArgs(TRANSFER_BATCH_EVENT, log);
      if (typeof args === 'string') return args;
      if (args.ids.length !== args.values.length) return `TransferBatch: ${args.ids.length} ids but ${args.values.length} values`;
      return {
        contract: pos.address,
        operator: args.operator.toLowerCase(),
        from: args.from.toLowerCase(),
        to: args.to.toLowerCase(),
        ids: args.ids,
        values: args.values,
        logIndex: pos.logIndex,
      };
    }
    return 'not an ERC-1155 transfer';
  } catch (err) {
    return `unexpected error decoding a transfer: ${err instanceof Error ? err.message : String(err)}`;
  }
}
