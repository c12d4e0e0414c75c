import type { Address, Hex } from 'viem';
import { CTF_EXCHANGE_V2, NEG_RISK_EXCHANGE_V2, ZERO_BYTES32 } from '#shared/sources/chain/events/addresses.ts';
import { WORLD_ACTORS } from './addresses.ts';
import { mergeLogs, splitLogs } from './flows.ts';
import type { WorldLog } from './logs.ts';
import { v1ExchangeOf } from './markets.ts';
import { usdcFor, type WorldMarket, type WorldState } from './state.ts';

/**
 * A match as the exchanges settle it (Polymarket/ctf-exchange
 * src/exchange/mixins/Trading.sol _matchOrders; ctf-exchange-v2 the same
 * shape): one OrderFilled per maker order, whose `taker` is the taker
 * order's maker, then one for the taker order whose `taker` is the exchange
 * itself, then OrdersMatched. A fee, when charged, is announced by FeeCharged
 * just before its order's OrderFilled. A MINT match (taker buys a token,
 * makers buy its complement) makes the exchange split collateral before each
 * maker fill; a MERGE match (both sides sell) makes it merge. In V1 the
 * exchange calls the CTF (the NegRisk exchange: the NegRiskAdapter) in its
 * own name; in V2 it goes through the collateral adapter, so the adapter's
 * transfer names the exchange as the real wallet.
 */

export interface Order {
  wallet: Address;
  /** Outcome tokens this order fills, 1e6 units. */
  tokens: bigint;
  /** Price in thousandths of a dollar. */
  priceMilli: bigint;
  fee: bigint;
  /** Reuse one hash for two fills of one order in one transaction. */
  orderHash?: Hex;
}

export type MatchKind = 'complementary' | 'mint' | 'merge';

export interface MatchSpec {
  version: 1 | 2;
  market: WorldMarket;
  /** The outcome the taker order trades. */
  outcome: 0 | 1;
  /** `tokens` is ignored: the taker fills what the makers fill. */
  taker: Order;
  takerBuys: boolean;
  kind: MatchKind;
  makers: Order[];
}

export const exchangeOf = (m: WorldMarket, version: 1 | 2): Address => (version === 1 ? v1ExchangeOf(m) : m.negRisk ? NEG_RISK_EXCHANGE_V2 : CTF_EXCHANGE_V2);

interface Leg {
  exchange: Address;
  version: 1 | 2;
  orderHash: Hex;
  maker: Address;
  taker: Address;
  token: bigint;
  buys: boolean;
  tokens: bigint;
  usdc: bigint;
  fee: bigint;
  metadata: Hex;
}

/** FeeCharged (when the fee is not 0) and OrderFilled of one order, in the era's shape. */
function legLogs(l: Leg): WorldLog[] {
  const out: WorldLog[] = [];
  const making = l.buys ? l.usdc : l.tokens;
  const taking = l.buys ? l.tokens : l.usdc;
  if (l.version === 1) {
    if (l.fee > 0n) out.push({ kind: 'FeeChargedV1', address: l.exchange, receiver: WORLD_ACTORS.operator, tokenId: l.buys ? l.token : 0n, amount: l.fee });
    out.push({
      kind: 'OrderFilledV1',
      address: l.exchange,
      orderHash: l.orderHash,
      maker: l.maker,
      taker: l.taker,
      makerAssetId: l.buys ? 0n : l.token,
      takerAssetId: l.buys ? l.token : 0n,
      makerAmountFilled: making,
      takerAmountFilled: taking,
      fee: l.fee,
    });
  } else {
    if (l.fee > 0n) out.push({ kind: 'FeeChargedV2', address: l.exchange, receiver: WORLD_ACTORS.operator, amount: l.fee });
    out.push({
      kind: 'OrderFilledV2',
      address: l.exchange,
      orderHash: l.orderHash,
      maker: l.maker,
      taker: l.taker,
      side: l.buys ? 0 : 1,
      tokenId: l.token,
      makerAmountFilled: making,
      takerAmountFilled: taking,
      fee: l.fee,
      builder: ZERO_BYTES32,
      metadata: l.metadata,
    });
  }
  return out;
}

/** The logs of one match; moves the traders' balances (never the exchange's). */
export function matchLogs(s: WorldState, spec: MatchSpec): WorldLog[] {
  const { market: m, version } = spec;
  const exchange = exchangeOf(m, version);
  const token = m.tokens[spec.outcome];
  const complement = m.tokens[spec.outcome === 0 ? 1 : 0];
  const makerToken = spec.kind === 'complementary' ? token : complement;
  const makerBuys = spec.kind === 'complementary' ? !spec.takerBuys : spec.takerBuys;
  if (spec.kind === 'mint' && !spec.takerBuys) throw new Error('world script bug: a MINT match has a buying taker');
  if (spec.kind === 'merge' && spec.takerBuys) throw new Error('world script bug: a MERGE match has a selling taker');
  const route = version === 1 ? 'direct' : 'adapter';
  const logs: WorldLog[] = [];
  let tokens = 0n;
  let usdc = 0n;
  for (const o of spec.makers) {
    if (spec.kind === 'mint') logs.push(...splitLogs(s, route, exchange, m, o.tokens, { track: false }));
    if (spec.kind === 'merge') logs.push(...mergeLogs(s, route, exchange, m, o.tokens, { track: false }));
    const paid = usdcFor(o.tokens, o.priceMilli);
    s.add(o.wallet, makerToken, makerBuys ? o.tokens : -o.tokens);
    logs.push(
      ...legLogs({
        exchange,
        version,
        orderHash: o.orderHash ?? s.hex32(),
        maker: o.wallet,
        taker: spec.taker.wallet,
        token: makerToken,
        buys: makerBuys,
        tokens: o.tokens,
        usdc: paid,
        fee: o.fee,
        metadata: s.hex32(),
      }),
    );
    tokens += o.tokens;
    usdc += paid;
  }
  const takerUsdc = spec.kind === 'complementary' ? usdc : usdcFor(tokens, spec.taker.priceMilli);
  const takerHash = spec.taker.orderHash ?? s.hex32();
  s.add(spec.taker.wallet, token, spec.takerBuys ? tokens : -tokens);
  logs.push(
    ...legLogs({
      exchange,
      version,
      orderHash: takerHash,
      maker: spec.taker.wallet,
      taker: exchange,
      token,
      buys: spec.takerBuys,
      tokens,
      usdc: takerUsdc,
      fee: spec.taker.fee,
      metadata: s.hex32(),
    }),
  );
  const making = spec.takerBuys ? takerUsdc : tokens;
  const taking = spec.takerBuys ? tokens : takerUsdc;
  if (version === 1) {
    logs.push({
      kind: 'OrdersMatchedV1',
      address: exchange,
      takerOrderHash: takerHash,
      takerOrderMaker: spec.taker.wallet,
      makerAssetId: spec.takerBuys ? 0n : token,
      takerAssetId: spec.takerBuys ? token : 0n,
      makerAmountFilled: making,
      takerAmountFilled: taking,
    });
  } else {
    logs.push({
      kind: 'OrdersMatchedV2',
      address: exchange,
      takerOrderHash: takerHash,
      takerOrderMaker: spec.taker.wallet,
      side: spec.takerBuys ? 0 : 1,
      tokenId: token,
      makerAmountFilled: making,
      takerAmountFilled: taking,
    });
  }
  return logs;
}

/**
 * V1 fillOrder: the operator fills one order against itself, so the fill's
 * `taker` is the operator and no taker-order fill follows (Trading.sol _fillOrder).
 */
export function directFillLogs(s: WorldState, m: WorldMarket, outcome: 0 | 1, order: Order, buys: boolean): WorldLog[] {
  const token = m.tokens[outcome];
  s.add(order.wallet, token, buys ? order.tokens : -order.tokens);
  // fillOrder charges no FeeCharged: the operator keeps the fee out of what it pays.
  return legLogs({
    exchange: v1ExchangeOf(m),
    version: 1,
    orderHash: order.orderHash ?? s.hex32(),
    maker: order.wallet,
    taker: WORLD_ACTORS.operator,
    token,
    buys,
    tokens: order.tokens,
    usdc: usdcFor(order.tokens, order.priceMilli),
    fee: order.fee,
    metadata: s.hex32(),
  }).filter((l) => l.kind !== 'FeeChargedV1');
}

/** Number of OrderFilled logs among `logs`. */
export const fillCount = (logs: readonly WorldLog[]): number => logs.filter((l) => l.kind === 'OrderFilledV1' || l.kind === 'OrderFilledV2').length;
