import { z } from 'zod';
import { deriveMakerView, decimalUint256, hexAddress, type FillRow } from '#shared/model/fill.ts';

export const FILL_ID_PATTERN = /^0x[0-9a-fA-F]{64}_0x[0-9a-fA-F]{64}$/;

/** One OrderFilledEvent as the orderbook subgraph returns it. BigInts travel as strings. */
export const orderFilledEventSchema = z.object({
  id: z.string().regex(FILL_ID_PATTERN, 'id must be <transaction hash>_<order hash>'),
  transactionHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
  timestamp: z.string().regex(/^[0-9]{1,12}$/, 'timestamp must be unix seconds'),
  orderHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
  maker: hexAddress,
  taker: hexAddress,
  makerAssetId: decimalUint256,
  takerAssetId: decimalUint256,
  makerAmountFilled: decimalUint256,
  takerAmountFilled: decimalUint256,
  fee: decimalUint256,
});
export type OrderFilledEvent = z.infer<typeof orderFilledEventSchema>;

export const ORDER_FILLED_FIELDS = 'id transactionHash timestamp orderHash maker taker makerAssetId takerAssetId makerAmountFilled takerAmountFilled fee';

/** Maps a raw subgraph row to a fill, or to the reason it cannot be one. */
export function subgraphFill(raw: unknown): FillRow | string {
  const parsed = orderFilledEventSchema.safeParse(raw);
  if (!parsed.success) {
    return parsed.error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; ');
  }
  const e = parsed.data;
  const view = deriveMakerView(e);
  if (typeof view === 'string') return view;
  return {
    fill_id: e.id.toLowerCase(),
    source: 'subgraph',
    exchange: '',
    block_number: 0,
    log_index: 0,
    timestamp: Number(e.timestamp),
    transaction_hash: e.transactionHash.toLowerCase(),
    order_hash: e.orderHash.toLowerCase(),
    maker: e.maker,
    taker: e.taker,
    maker_asset_id: e.makerAssetId,
    taker_asset_id: e.takerAssetId,
    maker_amount_filled: e.makerAmountFilled,
    taker_amount_filled: e.takerAmountFilled,
    fee: e.fee,
    ...view,
  };
}
