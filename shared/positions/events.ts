import type { FillRow } from '#shared/model/fill.ts';
import type { ActivityKind, ActivityRow } from '#shared/model/ledger.ts';

/** Where an event sits on chain. Events are applied in this order. */
export interface ChainPoint {
  blockNumber: number;
  logIndex: number;
}

export function compareChainPoints(a: ChainPoint, b: ChainPoint): number {
  return a.blockNumber - b.blockNumber || a.logIndex - b.logIndex;
}

/**
 * One `OrderFilled` seen from its maker, as pnl-subgraph/src/utils/parseOrderFilled.ts
 * reads it: the account is always the maker; `base` is the token leg and
 * `quote` the USDC leg.
 */
export interface FillEvent extends ChainPoint {
  type: 'fill';
  wallet: string;
  side: 'BUY' | 'SELL';
  tokenId: string;
  base: bigint;
  quote: bigint;
}

/** A split, merge, redemption or conversion, credited to the real wallet behind it. */
export interface ActivityEvent extends ChainPoint {
  type: 'activity';
  kind: ActivityKind;
  contract: string;
  /** Who the event names (a collateral adapter for pUSD flows). */
  stakeholder: string;
  /** Whom it is credited to: the stakeholder, or the wallet behind a collateral adapter. */
  wallet: string;
  collateral: string;
  /** The CTF condition, or the NegRisk market id of a conversion. */
  conditionId: string;
  indexSets: bigint[];
  amounts: bigint[];
  amount: bigint;
}

export type PositionEvent = FillEvent | ActivityEvent;

/** The columns of a fill the method reads. */
export type FillEventRow = Pick<
  FillRow,
  'maker' | 'block_number' | 'log_index' | 'maker_asset_id' | 'taker_asset_id' | 'maker_amount_filled' | 'taker_amount_filled'
>;

/** The columns of an activity row the method reads. */
export type ActivityEventRow = Pick<
  ActivityRow,
  'kind' | 'contract' | 'stakeholder' | 'wallet' | 'collateral' | 'condition_id' | 'index_sets' | 'amounts' | 'amount' | 'block_number' | 'log_index'
>;

/** Token ids are keyed by their canonical decimal form. */
export const canonicalTokenId = (id: string | bigint): string => BigInt(id).toString();

export function fillEvent(row: FillEventRow): FillEvent {
  const buy = BigInt(row.maker_asset_id) === 0n;
  return {
    type: 'fill',
    wallet: row.maker.toLowerCase(),
    blockNumber: Number(row.block_number),
    logIndex: Number(row.log_index),
    side: buy ? 'BUY' : 'SELL',
    tokenId: canonicalTokenId(buy ? row.taker_asset_id : row.maker_asset_id),
    base: BigInt(buy ? row.taker_amount_filled : row.maker_amount_filled),
    quote: BigInt(buy ? row.maker_amount_filled : row.taker_amount_filled),
  };
}

export function activityEvent(row: ActivityEventRow): ActivityEvent {
  return {
    type: 'activity',
    kind: row.kind,
    contract: row.contract.toLowerCase(),
    stakeholder: row.stakeholder.toLowerCase(),
    wallet: row.wallet.toLowerCase(),
    collateral: row.collateral.toLowerCase(),
    conditionId: row.condition_id.toLowerCase(),
    indexSets: row.index_sets.map((x) => BigInt(x)),
    amounts: row.amounts.map((x) => BigInt(x)),
    amount: BigInt(row.amount),
    blockNumber: Number(row.block_number),
    logIndex: Number(row.log_index),
  };
}
