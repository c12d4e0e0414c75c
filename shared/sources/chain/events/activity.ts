import { activityRowSchema, type ActivityKind, type ActivityRow } from '#shared/model/ledger.ts';
import type { StagedRecord } from '#shared/model/staged.ts';
import type { RpcLog } from '#shared/sources/chain/decode.ts';
import { stageRow, type LogPosition } from './log.ts';

/** What an event says about a position change; the log supplies the rest. */
export interface ActivityFields {
  kind: ActivityKind;
  stakeholder: string;
  collateral: string;
  condition_id: string;
  index_sets: readonly bigint[];
  amounts: readonly bigint[];
  amount: bigint;
  payout: bigint;
}

/**
 * One `activity` row. `wallet` starts as the stakeholder the event names;
 * when that is a collateral adapter, `attributeAdapters` replaces it with the
 * real wallet from the same transaction's ERC-1155 transfers.
 */
export function activityRecord(log: RpcLog, pos: LogPosition, timestamp: number, f: ActivityFields): StagedRecord {
  const stakeholder = f.stakeholder.toLowerCase();
  const row: ActivityRow = {
    event_id: `${pos.transactionHash}_${pos.logIndex}`,
    kind: f.kind,
    contract: pos.address,
    stakeholder,
    wallet: stakeholder,
    collateral: f.collateral.toLowerCase(),
    condition_id: f.condition_id.toLowerCase(),
    index_sets: f.index_sets.map(String),
    amounts: f.amounts.map(String),
    amount: f.amount.toString(),
    payout: f.payout.toString(),
    block_number: pos.blockNumber,
    log_index: pos.logIndex,
    timestamp,
    transaction_hash: pos.transactionHash,
  };
  return stageRow('activity', activityRowSchema, row, log);
}
