import { z } from 'zod';

/** A uint256 written as a plain decimal string, the way the sources send big integers. */
export const UINT256_MAX = (1n << 256n) - 1n;
export const decimalUint256 = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,77})$/, 'must be a non-negative decimal integer without sign, point or leading zeros')
  // zod runs refinements even after the regex failed: never hand BigInt a non-number.
  .refine((s) => /^[0-9]+$/.test(s) && BigInt(s) <= UINT256_MAX, 'exceeds uint256');

export const hexAddress = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte hex address')
  .transform((s) => s.toLowerCase());

export const hexBytes32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'must be a 0x-prefixed 32-byte hex value')
  .transform((s) => s.toLowerCase());

export type Side = 'BUY' | 'SELL';

/**
 * One row of `fills` as the loader inserts it (JSONEachRow). Raw amounts and
 * asset ids stay decimal strings end to end: they are uint256 and must never
 * pass through a float.
 */
export const fillRowSchema = z.object({
  fill_id: z.string().min(1),
  source: z.enum(['subgraph', 'chain']),
  exchange: z.string(),
  block_number: z.number().int().nonnegative(),
  log_index: z.number().int().nonnegative(),
  timestamp: z.number().int().nonnegative(),
  transaction_hash: z.string(),
  order_hash: z.string(),
  maker: z.string(),
  taker: z.string(),
  maker_asset_id: decimalUint256,
  taker_asset_id: decimalUint256,
  maker_amount_filled: decimalUint256,
  taker_amount_filled: decimalUint256,
  fee: decimalUint256,
  token_id: decimalUint256,
  side: z.enum(['BUY', 'SELL']),
  usdc_amount: decimalUint256,
  token_amount: decimalUint256,
  price: z.number().nonnegative(),
});
export type FillRow = z.infer<typeof fillRowSchema>;

/** The legs of a fill exactly as the exchange reports them, before derivation. */
export interface FillLegs {
  makerAssetId: string;
  takerAssetId: string;
  makerAmountFilled: string;
  takerAmountFilled: string;
}

export interface MakerView {
  side: Side;
  token_id: string;
  usdc_amount: string;
  token_amount: string;
  price: number;
}

/**
 * The maker's view of a fill, as the orderbook subgraph's getOrderSide derives it:
 * the maker pays USDC (asset id "0") on a BUY and receives it on a SELL.
 * Returns an error string when the legs are not one USDC leg and one token leg.
 */
export function deriveMakerView(legs: FillLegs): MakerView | string {
  const makerIsUsdc = legs.makerAssetId === '0';
  const takerIsUsdc = legs.takerAssetId === '0';
  if (makerIsUsdc === takerIsUsdc) {
    return makerIsUsdc ? 'both legs are USDC (asset id 0)' : 'neither leg is USDC (asset id 0)';
  }
  const side: Side = makerIsUsdc ? 'BUY' : 'SELL';
  const usdc = makerIsUsdc ? legs.makerAmountFilled : legs.takerAmountFilled;
  const tokens = makerIsUsdc ? legs.takerAmountFilled : legs.makerAmountFilled;
  return {
    side,
    token_id: makerIsUsdc ? legs.takerAssetId : legs.makerAssetId,
    usdc_amount: usdc,
    token_amount: tokens,
    price: priceOf(BigInt(usdc), BigInt(tokens)),
  };
}

/** USDC per outcome token; both carry 6 decimals so the scales cancel. 0 when no tokens moved. */
export function priceOf(usdc: bigint, tokens: bigint): number {
  if (tokens === 0n) return 0;
  const scaled = (usdc * 1_000_000_000_000n) / tokens;
  return Number(scaled) / 1e12;
}
