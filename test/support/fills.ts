import type { FillRow } from '#shared/model/fill.ts';

/** A valid, canonical subgraph fill whose ids and amounts follow `i`, for staging and loading tests. */
export const sampleFill = (i: number): FillRow => ({
  fill_id: `0x${i.toString(16).padStart(64, '0')}_0x${'b'.repeat(64)}`,
  source: 'subgraph',
  exchange: '',
  block_number: 0,
  log_index: 0,
  timestamp: 1_700_000_000 + i,
  transaction_hash: `0x${i.toString(16).padStart(64, '0')}`,
  order_hash: `0x${'b'.repeat(64)}`,
  maker: `0x${'1'.repeat(40)}`,
  taker: `0x${'2'.repeat(40)}`,
  maker_asset_id: '0',
  taker_asset_id: '7'.repeat(77),
  maker_amount_filled: String(400_000 + i),
  taker_amount_filled: '1000000',
  fee: '0',
  token_id: '7'.repeat(77),
  side: 'BUY',
  usdc_amount: String(400_000 + i),
  token_amount: '1000000',
  price: 0.4,
});
