import { expect } from 'vitest';
import { ORDER_FILLED_EVENT_FIELDS } from '#test/support/order-filled-fields.ts';
import fc from 'fast-check';
import { fillRowSchema } from '#shared/model/fill.ts';
import { orderFilledEventSchema, subgraphFill } from '#shared/sources/subgraph/schema.ts';
import { anyJson, badAddress, badUint, hexBytes, uint256 } from '#test/property/support.ts';

/** Generated subgraph OrderFilledEvents, valid and hostile, and the check that a row became the fill it describes or a reject. */

export const validEvent = fc
  .record({
    tx: hexBytes(32),
    order: hexBytes(32),
    timestamp: fc.integer({ min: 1, max: 2_000_000_000 }),
    maker: hexBytes(20),
    taker: hexBytes(20),
    buy: fc.boolean(),
    token: fc.bigInt({ min: 1n, max: (1n << 256n) - 1n }).map(String),
    usdc: uint256,
    tokens: uint256,
    fee: uint256,
  })
  .map((e) => ({
    id: `${e.tx}_${e.order}`,
    transactionHash: e.tx,
    timestamp: String(e.timestamp),
    orderHash: e.order,
    maker: e.maker,
    taker: e.taker,
    makerAssetId: e.buy ? '0' : e.token,
    takerAssetId: e.buy ? e.token : '0',
    makerAmountFilled: e.buy ? e.usdc : e.tokens,
    takerAmountFilled: e.buy ? e.tokens : e.usdc,
    fee: e.fee,
  }));
export type Event = fc.Arbitrary<Record<string, unknown>>;
const FIELDS = ORDER_FILLED_EVENT_FIELDS;
export const AMOUNTS = ['makerAssetId', 'takerAssetId', 'makerAmountFilled', 'takerAmountFilled', 'fee'];

/** A valid event with one field made hostile, dropped, or an extra one added. */
export const hostileEvent: Event = fc
  .tuple(validEvent, fc.constantFrom(...FIELDS), fc.nat(5), anyJson, badUint, badAddress)
  .map(([e, field, how, junk, num, addr]) => {
    const out: Record<string, unknown> = { ...e };
    if (how === 0) delete out[field];
    else if (how === 1) out[field] = junk;
    else if (how === 2 && AMOUNTS.includes(field)) out[field] = num;
    else if (how === 2 || how === 3) out[field === 'maker' || field === 'taker' ? field : 'maker'] = addr;
    else if (how === 4) out[field] = `${String(out[field])}/../../etc/passwd`;
    else out.__proto__extra = junk;
    return out;
  });

export function checkFill(raw: Record<string, unknown>, fill: ReturnType<typeof subgraphFill>) {
  if (typeof fill === 'string') {
    expect(fill.length).toBeGreaterThan(0);
    return;
  }
  // Accepted: the raw row was valid, the row is well-formed, and the legs are carried exactly.
  expect(orderFilledEventSchema.safeParse(raw).success).toBe(true);
  expect(fillRowSchema.safeParse(fill).success).toBe(true);
  expect(fill.fill_id).toBe(String(raw.id).toLowerCase());
  expect(fill.maker_amount_filled).toBe(raw.makerAmountFilled);
  expect(fill.taker_amount_filled).toBe(raw.takerAmountFilled);
  expect(fill.side).toBe(raw.makerAssetId === '0' ? 'BUY' : 'SELL');
  expect(fill.usdc_amount).toBe(raw.makerAssetId === '0' ? raw.makerAmountFilled : raw.takerAmountFilled);
  expect(fill.price).toBeGreaterThanOrEqual(0);
}
