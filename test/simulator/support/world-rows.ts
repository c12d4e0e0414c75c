import type { FillRow } from '#shared/model/fill.ts';
import type { ActivityRow } from '#shared/model/ledger.ts';
import { ADDR, list, s, type Decoded } from '#test/simulator/support/world-logs.ts';

/** The rows a reader loads from the world's decoded logs, derived here from the logs alone (not from the world's bookkeeping). */

export function fillOf(d: Decoded): Omit<FillRow, 'price'> & { price: number } {
  const a = d.args;
  const v2 = d.name === 'V2.OrderFilled';
  const makerAsset = v2 ? (a.side === 0 ? '0' : String(a.tokenId)) : String(a.makerAssetId);
  const takerAsset = v2 ? (a.side === 0 ? String(a.tokenId) : '0') : String(a.takerAssetId);
  const buy = makerAsset === '0';
  const usdc = String(buy ? a.makerAmountFilled : a.takerAmountFilled);
  const tokens = String(buy ? a.takerAmountFilled : a.makerAmountFilled);
  return {
    fill_id: `${d.tx}_${d.logIndex}`,
    source: 'chain',
    exchange: d.address,
    block_number: d.block,
    log_index: d.logIndex,
    timestamp: d.timestamp,
    transaction_hash: d.tx,
    order_hash: s(a.orderHash),
    maker: s(a.maker),
    taker: s(a.taker),
    maker_asset_id: makerAsset,
    taker_asset_id: takerAsset,
    maker_amount_filled: String(a.makerAmountFilled),
    taker_amount_filled: String(a.takerAmountFilled),
    fee: String(a.fee),
    token_id: buy ? takerAsset : makerAsset,
    side: buy ? 'BUY' : 'SELL',
    usdc_amount: usdc,
    token_amount: tokens,
    price: Number(usdc) / Number(tokens),
  };
}

/** An activity row without `wallet` (checked on its own: it needs the transaction's transfers). */
export function activityOf(d: Decoded): Omit<ActivityRow, 'wallet'> | null {
  const a = d.args;
  const base = {
    event_id: `${d.tx}_${d.logIndex}`,
    contract: d.address,
    block_number: d.block,
    log_index: d.logIndex,
    timestamp: d.timestamp,
    transaction_hash: d.tx,
  };
  const nr = { collateral: ADDR.wcol, index_sets: ['1', '2'], amounts: [] as string[], payout: '0' };
  switch (d.name) {
    case 'Ctf.PositionSplit':
    case 'Ctf.PositionsMerge':
      return {
        ...base,
        kind: d.name === 'Ctf.PositionSplit' ? 'split' : 'merge',
        stakeholder: s(a.stakeholder),
        collateral: s(a.collateralToken),
        condition_id: s(a.conditionId),
        index_sets: list(a.partition),
        amounts: [],
        amount: String(a.amount),
        payout: '0',
      };
    case 'Ctf.PayoutRedemption':
      return {
        ...base,
        kind: 'redeem',
        stakeholder: s(a.redeemer),
        collateral: s(a.collateralToken),
        condition_id: s(a.conditionId),
        index_sets: list(a.indexSets),
        amounts: [],
        amount: '0',
        payout: String(a.payout),
      };
    case 'Nr.PositionSplit':
    case 'Nr.PositionsMerge':
      return {
        ...base,
        ...nr,
        kind: d.name === 'Nr.PositionSplit' ? 'split' : 'merge',
        stakeholder: s(a.stakeholder),
        condition_id: s(a.conditionId),
        amount: String(a.amount),
      };
    case 'Nr.PayoutRedemption':
      return {
        ...base,
        ...nr,
        kind: 'redeem',
        stakeholder: s(a.redeemer),
        condition_id: s(a.conditionId),
        amounts: list(a.amounts),
        amount: '0',
        payout: String(a.payout),
      };
    case 'Nr.PositionsConverted':
      return {
        ...base,
        ...nr,
        kind: 'convert',
        stakeholder: s(a.stakeholder),
        condition_id: s(a.marketId),
        index_sets: [String(a.indexSet)],
        amount: String(a.amount),
      };
    default:
      return null;
  }
}
