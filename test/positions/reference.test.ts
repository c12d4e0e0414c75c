import type { Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { outcomeTokenId } from '#shared/model/ctf-ids.ts';
import {
  CTF,
  EXCHANGES,
  NEG_RISK_ADAPTER,
  WRAPPED_COLLATERAL,
  referencePositions,
  withoutEmptyPositions,
  type ReferenceActivity,
  type ReferenceCondition,
  type ReferenceFill,
  type ReferenceInput,
  type ReferenceNegRiskQuestion,
} from '#test/support/reference-pnl.ts';

/**
 * Tests of the test-side reference (test/support/reference-pnl.ts), so the
 * product's positions can be checked against it with confidence. Expected
 * figures are worked out by hand from the pnl-subgraph's formulas (DATA.md §4).
 */

const USDC_E = '0x2791bca1f2de4661ed88a30c99a7a9449aa84174';
const [V1_EXCHANGE, V1_NEG_RISK_EXCHANGE, V2_EXCHANGE] = EXCHANGES;
const ALICE = `0x${'a1'.repeat(20)}`;
const BOB = `0x${'b2'.repeat(20)}`;
const COLLATERAL_ADAPTER = `0x${'cc'.repeat(20)}`;
const CONDITION: Hex = `0x${'c0'.repeat(32)}`;
const YES = outcomeTokenId(USDC_E, CONDITION, 0);
const NO = outcomeTokenId(USDC_E, CONDITION, 1);
const M = 1_000_000n; // one share, or one USDC, in 1e6 units

// Rows built without an explicit position get the next block: the order they are built in is their chain order.
let nextBlock = 100;
const position = () => ({ block_number: nextBlock++, log_index: 3 });

/** The maker buys `shares` of `token` paying `usdc` (1e6 units). */
const buyFill = (maker: string, token: bigint, shares: bigint, usdc: bigint, extra: Partial<ReferenceFill> = {}): ReferenceFill => ({
  maker,
  taker: V2_EXCHANGE,
  maker_asset_id: '0',
  taker_asset_id: token.toString(),
  maker_amount_filled: usdc.toString(),
  taker_amount_filled: shares.toString(),
  fee: '0',
  exchange: V2_EXCHANGE,
  ...position(),
  ...extra,
});

/** The maker sells `shares` of `token` receiving `usdc`. */
const sellFill = (maker: string, token: bigint, shares: bigint, usdc: bigint, extra: Partial<ReferenceFill> = {}): ReferenceFill => ({
  maker,
  taker: V2_EXCHANGE,
  maker_asset_id: token.toString(),
  taker_asset_id: '0',
  maker_amount_filled: shares.toString(),
  taker_amount_filled: usdc.toString(),
  fee: '0',
  exchange: V2_EXCHANGE,
  ...position(),
  ...extra,
});

const ctfEvent = (kind: ReferenceActivity['kind'], wallet: string, extra: Partial<ReferenceActivity> = {}): ReferenceActivity => ({
  kind,
  contract: CTF,
  stakeholder: wallet,
  wallet,
  collateral: USDC_E,
  condition_id: CONDITION,
  index_sets: ['1', '2'],
  amounts: [],
  amount: '0',
  payout: '0',
  ...position(),
  ...extra,
});

const negRiskEvent = (kind: ReferenceActivity['kind'], wallet: string, extra: Partial<ReferenceActivity>): ReferenceActivity => ({
  kind,
  contract: NEG_RISK_ADAPTER,
  stakeholder: wallet,
  wallet,
  collateral: '',
  condition_id: CONDITION,
  index_sets: [],
  amounts: [],
  amount: '0',
  payout: '0',
  ...position(),
  ...extra,
});

const resolved = (conditionId: string, numerators: [number, number]): ReferenceCondition => ({
  condition_id: conditionId,
  payout_numerators: numerators.map(String),
  payout_denominator: String(numerators[0] + numerators[1]),
});
const unresolved = (conditionId: string): ReferenceCondition => ({ condition_id: conditionId, payout_numerators: [], payout_denominator: '0' });

const run = (input: Partial<ReferenceInput>) => referencePositions({ fills: [], activity: [], conditions: [], neg_risk_questions: [], ...input });

const held = (positions: ReturnType<typeof run>, wallet: string, token: bigint) => {
  const p = positions.get(`${wallet}|${token}`);
  if (!p) throw new Error(`no position for ${wallet} in ${token}`);
  return { amount: BigInt(p.amount), avg: BigInt(p.avg_price), pnl: BigInt(p.realized_pnl), bought: BigInt(p.total_bought) };
};

describe('reference pnl-subgraph positions', () => {
  it('worked example: buy 100 for 40 USDC, sell 50 at 0.70, redeem 50 at 1.00 realises +45 USDC', () => {
    const positions = run({
      fills: [buyFill(ALICE, YES, 100n * M, 40n * M), sellFill(ALICE, YES, 50n * M, 35n * M)],
      activity: [ctfEvent('redeem', ALICE, { payout: (50n * M).toString() })],
      conditions: [resolved(CONDITION, [1, 0])],
    });
    expect(held(positions, ALICE, YES)).toEqual({ amount: 0n, avg: 400_000n, pnl: 45_000_000n, bought: 100n * M });
    // The redemption sells the whole tracked amount of both outcomes, so the untouched NO shows as a zero row.
    expect(held(positions, ALICE, NO)).toEqual({ amount: 0n, avg: 0n, pnl: 0n, bought: 0n });
    expect([...withoutEmptyPositions(positions).keys()]).toEqual([`${ALICE}|${YES}`]);
  });

  it('average price is the truncated weighted mean of the buys', () => {
    const positions = run({ fills: [buyFill(ALICE, YES, 1n * M, 333_333n), buyFill(ALICE, YES, 2n * M, 1n * M)] });
    // (333333 * 1e6 + 500000 * 2e6) / 3e6 = 444444.33…
    expect(held(positions, ALICE, YES)).toEqual({ amount: 3n * M, avg: 444_444n, pnl: 0n, bought: 3n * M });
  });

  it('realised P&L truncates toward zero, like graph-node BigInt division (not toward minus infinity)', () => {
    // Buy 3 units (3e-6 shares) for 2 units: price = 2e6/3 -> 666666. Sell 1 unit for 0: 1 * (0 - 666666) / 1e6 = -0.67 -> 0.
    const positions = run({ fills: [buyFill(ALICE, YES, 3n, 2n), sellFill(ALICE, YES, 1n, 0n)] });
    expect(held(positions, ALICE, YES)).toEqual({ amount: 2n, avg: 666_666n, pnl: 0n, bought: 3n });
  });

  it('a sell beyond holdings realises only what is held', () => {
    const positions = run({ fills: [buyFill(ALICE, YES, 10n * M, 4n * M), sellFill(ALICE, YES, 25n * M, 15n * M)] });
    // price 0.60, q = min(25, 10) = 10: 10 * (0.60 - 0.40) = 2 USDC
    expect(held(positions, ALICE, YES)).toEqual({ amount: 0n, avg: 400_000n, pnl: 2n * M, bought: 10n * M });
  });

  it('a redemption of a losing outcome realises -avgPrice * amount', () => {
    const positions = run({
      fills: [buyFill(ALICE, YES, 100n * M, 40n * M)],
      activity: [ctfEvent('redeem', ALICE)],
      conditions: [resolved(CONDITION, [0, 1])],
    });
    expect(held(positions, ALICE, YES)).toEqual({ amount: 0n, avg: 400_000n, pnl: -40n * M, bought: 100n * M });
  });

  it('a redemption on an unresolved condition credits nothing and creates nothing', () => {
    const positions = run({
      fills: [buyFill(ALICE, YES, 100n * M, 40n * M)],
      activity: [ctfEvent('redeem', ALICE)],
      conditions: [unresolved(CONDITION)],
    });
    expect(held(positions, ALICE, YES)).toEqual({ amount: 100n * M, avg: 400_000n, pnl: 0n, bought: 100n * M });
    expect(positions.has(`${ALICE}|${NO}`)).toBe(false);
  });

  it("a redemption on a condition it does not know is ignored, as are the redeemer NegRiskAdapter's", () => {
    const fills = [buyFill(ALICE, YES, 100n * M, 40n * M)];
    const unknown = run({ fills, activity: [ctfEvent('redeem', ALICE)] });
    const viaAdapter = run({
      fills,
      conditions: [resolved(CONDITION, [1, 0])],
      activity: [ctfEvent('redeem', ALICE, { stakeholder: NEG_RISK_ADAPTER })],
    });
    for (const positions of [unknown, viaAdapter]) expect(held(positions, ALICE, YES).amount).toBe(100n * M);
  });

  it('fees do not change P&L', () => {
    const trades = (fee: string) => [
      buyFill(ALICE, YES, 100n * M, 40n * M, { fee, block_number: 1, log_index: 1 }),
      sellFill(ALICE, YES, 60n * M, 45n * M, { fee, block_number: 2, log_index: 1 }),
    ];
    const free = run({ fills: trades('0') });
    const charged = run({ fills: trades('1234567') });
    expect(charged).toEqual(free);
    expect(held(free, ALICE, YES).pnl).toBe(21n * M); // 60 * (0.75 - 0.40)
  });

  it('the taker-order leg (taker = exchange) is credited to its own maker, never to the exchange or the counterparty', () => {
    // One match: Bob's maker order sells 10 YES to Alice's taker order at 0.30.
    const positions = run({
      fills: [
        sellFill(BOB, YES, 10n * M, 3n * M, { taker: ALICE, exchange: V1_EXCHANGE, block_number: 7, log_index: 1 }),
        buyFill(ALICE, YES, 10n * M, 3n * M, { taker: V1_EXCHANGE, exchange: V1_EXCHANGE, block_number: 7, log_index: 2 }),
      ],
    });
    expect(held(positions, ALICE, YES)).toEqual({ amount: 10n * M, avg: 300_000n, pnl: 0n, bought: 10n * M });
    expect(held(positions, BOB, YES)).toEqual({ amount: 0n, avg: 0n, pnl: 0n, bought: 0n }); // sold what it was never seen to get
    expect([...positions.values()].map((p) => p.wallet).sort()).toEqual([ALICE, BOB].sort());
  });

  it('applies events in (block_number, log_index) order whatever the input order, and refuses two at one position', () => {
    const sell = sellFill(ALICE, YES, 50n * M, 35n * M, { block_number: 9, log_index: 12 });
    const buy = buyFill(ALICE, YES, 100n * M, 40n * M, { block_number: 9, log_index: 11 });
    expect(held(run({ fills: [sell, buy] }), ALICE, YES)).toEqual({ amount: 50n * M, avg: 400_000n, pnl: 15n * M, bought: 100n * M });
    const clash = ctfEvent('split', BOB, { amount: '5', block_number: 9, log_index: 12 });
    expect(() => run({ fills: [sell, buy], activity: [clash], conditions: [unresolved(CONDITION)] })).toThrow(/two events/);
  });

  it('leaves out fills without a chain position (block 0)', () => {
    const positions = run({ fills: [buyFill(ALICE, YES, 100n * M, 40n * M, { block_number: 0, log_index: 0 })] });
    expect(positions.size).toBe(0);
  });

  it('CTF split buys both outcomes at 0.50 and merge sells both at 0.50, for the real wallet behind an adapter', () => {
    const positions = run({
      conditions: [unresolved(CONDITION)],
      fills: [sellFill(ALICE, YES, 20n * M, 16n * M, { block_number: 21, log_index: 0 })],
      activity: [
        ctfEvent('split', ALICE, { stakeholder: COLLATERAL_ADAPTER, amount: (100n * M).toString(), block_number: 20, log_index: 0 }),
        ctfEvent('merge', ALICE, { amount: (30n * M).toString(), block_number: 22, log_index: 0 }),
      ],
    });
    // split: both 100 at 0.50; YES sold 20 at 0.80 (+6); merge 30 at 0.50 (0 each)
    expect(held(positions, ALICE, YES)).toEqual({ amount: 50n * M, avg: 500_000n, pnl: 6n * M, bought: 100n * M });
    expect(held(positions, ALICE, NO)).toEqual({ amount: 70n * M, avg: 500_000n, pnl: 0n, bought: 100n * M });
    expect(positions.has(`${COLLATERAL_ADAPTER}|${YES}`)).toBe(false);
  });

  it('skips CTF splits and merges of the NegRiskAdapter and the exchanges, and splits of unknown conditions', () => {
    const stakeholders = [NEG_RISK_ADAPTER, V1_EXCHANGE, V2_EXCHANGE];
    const positions = run({
      conditions: [unresolved(CONDITION)],
      activity: [
        ...stakeholders.map((s) => ctfEvent('split', s, { amount: '1000000' })),
        ...stakeholders.map((s) => ctfEvent('merge', s, { amount: '1000000' })),
        ctfEvent('split', ALICE, { condition_id: `0x${'dd'.repeat(32)}`, amount: '1000000' }),
      ],
    });
    expect(positions.size).toBe(0);
  });

  describe('NegRisk', () => {
    const MARKET = `0x${'4e'.repeat(31)}00`;
    const questionCondition = (i: number): Hex => `0x${'5a'.repeat(31)}${i.toString(16).padStart(2, '0')}`;
    const yesOf = (i: number) => outcomeTokenId(WRAPPED_COLLATERAL, questionCondition(i), 0);
    const noOf = (i: number) => outcomeTokenId(WRAPPED_COLLATERAL, questionCondition(i), 1);
    const question = (i: number, block = 10): ReferenceNegRiskQuestion => ({
      market_id: MARKET,
      question_id: `${MARKET.slice(0, 64)}${i.toString(16).padStart(2, '0')}`,
      question_index: i,
      condition_id: questionCondition(i),
      block_number: block,
      log_index: i,
    });
    const convert = (indexSet: number, amount: bigint) =>
      negRiskEvent('convert', ALICE, { condition_id: MARKET, index_sets: [String(indexSet)], amount: amount.toString() });

    it('conversion with noPrice 0.75, k = 3 of N = 5 buys the other YES at 0.125', () => {
      const positions = run({
        neg_risk_questions: [0, 1, 2, 3, 4].map((i) => question(i)),
        // NO avg prices 0.70, 0.75, 0.80: mean 0.75
        fills: [buyFill(ALICE, noOf(0), 10n * M, 7n * M), buyFill(ALICE, noOf(1), 10n * M, 7_500_000n), buyFill(ALICE, noOf(2), 10n * M, 8n * M)],
        activity: [convert(0b00111, 10n * M)],
      });
      for (const i of [0, 1, 2]) {
        const no = held(positions, ALICE, noOf(i));
        expect([no.amount, no.pnl]).toEqual([0n, 0n]);
      }
      for (const i of [3, 4]) {
        // (0.75 * 3 - 1 * 2) / (5 - 3) = 0.125
        expect(held(positions, ALICE, yesOf(i))).toEqual({ amount: 10n * M, avg: 125_000n, pnl: 0n, bought: 10n * M });
      }
    });

    it('counts only questions prepared before the conversion, and may price YES below zero', () => {
      const positions = run({
        neg_risk_questions: [question(0, 1), question(1, 1), question(2, 1), question(3, 10_000_000)],
        fills: [buyFill(ALICE, noOf(0), 4n * M, 1_200_000n), buyFill(ALICE, noOf(1), 4n * M, 1_200_000n)],
        activity: [convert(0b0011, 4n * M)],
      });
      // N = 3 then, k = 2, noPrice 0.30: (0.60 - 1.00) / 1 = -0.40
      expect(held(positions, ALICE, yesOf(2))).toEqual({ amount: 4n * M, avg: -400_000n, pnl: 0n, bought: 4n * M });
      expect(positions.has(`${ALICE}|${yesOf(3)}`)).toBe(false);
    });

    it('an unheld NO counts at avgPrice 0 in the mean and converting every question buys no YES', () => {
      const partial = run({
        neg_risk_questions: [0, 1, 2].map((i) => question(i)),
        fills: [buyFill(ALICE, noOf(0), 1n * M, 900_000n)],
        activity: [convert(0b011, 1n * M)],
      });
      // noPrice = (0.90 + 0) / 2 = 0.45; YES = (0.90 - 1.00) / 1 = -0.10
      expect(held(partial, ALICE, yesOf(2)).avg).toBe(-100_000n);
      const all = run({ neg_risk_questions: [0, 1].map((i) => question(i)), activity: [convert(0b11, 1n * M)] });
      expect([...all.keys()].sort()).toEqual([`${ALICE}|${noOf(0)}`, `${ALICE}|${noOf(1)}`].sort());
    });

    it('adapter split and merge at 0.50 on WrappedCollateral tokens, skipped for exchanges', () => {
      const c = questionCondition(0);
      const positions = run({
        conditions: [unresolved(c)],
        activity: [
          negRiskEvent('split', ALICE, { condition_id: c, amount: (10n * M).toString() }),
          negRiskEvent('merge', ALICE, { condition_id: c, amount: (4n * M).toString() }),
          negRiskEvent('split', V1_NEG_RISK_EXCHANGE, { condition_id: c, amount: (10n * M).toString() }),
        ],
      });
      for (const token of [yesOf(0), noOf(0)]) {
        expect(held(positions, ALICE, token)).toEqual({ amount: 6n * M, avg: 500_000n, pnl: 0n, bought: 10n * M });
      }
      expect(positions.size).toBe(2);
    });

    it('adapter redemption sells the stated amounts, not the whole holding', () => {
      const c = questionCondition(0);
      const positions = run({
        conditions: [resolved(c, [1, 0])],
        fills: [buyFill(ALICE, yesOf(0), 100n * M, 40n * M)],
        activity: [negRiskEvent('redeem', ALICE, { condition_id: c, amounts: [(60n * M).toString(), '0'] })],
      });
      expect(held(positions, ALICE, yesOf(0))).toEqual({ amount: 40n * M, avg: 400_000n, pnl: 36n * M, bought: 100n * M });
    });
  });
});
