import { describe, expect, it } from 'vitest';
import type { Hex } from 'viem';
import type { FillRow } from '#shared/model/fill.ts';
import type { ActivityKind, ActivityRow, ConditionRow, NegRiskQuestionRow } from '#shared/model/ledger.ts';
import { outcomeTokenIds } from '#shared/model/ctf-ids.ts';
import {
  CONDITIONAL_TOKENS,
  CTF_EXCHANGE_V1,
  CTF_EXCHANGE_V2,
  NEG_RISK_ADAPTER,
  NEG_RISK_EXCHANGE_V1,
  NEG_RISK_EXCHANGE_V2,
  USDC_E,
  WRAPPED_COLLATERAL,
} from '#shared/positions/contracts.ts';
import { negRiskQuestionConditionId } from '#shared/positions/lookups.ts';
import { computePositions, emptyStats, negRiskYesPrice, type PositionRow, type PositionsInput } from '#shared/positions/method.ts';

const ONE = 1_000_000n; // one share, or one USDC, in 1e6 units
const hex32 = (n: number) => `0x${n.toString(16).padStart(64, '0')}`;
const wallet = (n: number) => `0x${n.toString(16).padStart(40, '0')}`;
const ALICE = wallet(0xa11ce);
const BOB = wallet(0xb0b);
const PUSD_CTF_ADAPTER = wallet(0xada);

const CONDITION = hex32(0xc0ffee);
const [YES, NO] = outcomeTokenIds(USDC_E, CONDITION as Hex).map(String) as [string, string];

function fill(p: {
  maker: string;
  block: number;
  log: number;
  side: 'BUY' | 'SELL';
  token: string;
  shares: bigint;
  usdc: bigint;
  fee?: bigint;
  taker?: string;
  exchange?: string;
}): FillRow {
  const buy = p.side === 'BUY';
  return {
    fill_id: `${hex32(p.block)}_${p.log}`,
    source: 'chain',
    exchange: p.exchange ?? CTF_EXCHANGE_V2,
    block_number: p.block,
    log_index: p.log,
    timestamp: 1_780_000_000 + p.block,
    transaction_hash: hex32(p.block),
    order_hash: hex32(p.log),
    maker: p.maker,
    taker: p.taker ?? wallet(0xfeed),
    maker_asset_id: buy ? '0' : p.token,
    taker_asset_id: buy ? p.token : '0',
    maker_amount_filled: String(buy ? p.usdc : p.shares),
    taker_amount_filled: String(buy ? p.shares : p.usdc),
    fee: String(p.fee ?? 0n),
    token_id: p.token,
    side: p.side,
    usdc_amount: String(p.usdc),
    token_amount: String(p.shares),
    price: Number(p.usdc) / Number(p.shares),
  };
}

function activity(p: {
  kind: ActivityKind;
  wallet: string;
  block: number;
  log: number;
  condition: string;
  amount?: bigint;
  contract?: string;
  stakeholder?: string;
  collateral?: string;
  indexSets?: bigint[];
  amounts?: bigint[];
}): ActivityRow {
  const contract = p.contract ?? CONDITIONAL_TOKENS;
  return {
    event_id: `${hex32(p.block)}_${p.log}`,
    kind: p.kind,
    contract,
    stakeholder: p.stakeholder ?? p.wallet,
    wallet: p.wallet,
    collateral: p.collateral ?? (contract === CONDITIONAL_TOKENS ? USDC_E : ''),
    condition_id: p.condition,
    index_sets: (p.indexSets ?? (p.kind === 'convert' ? [] : [1n, 2n])).map(String),
    amounts: (p.amounts ?? []).map(String),
    amount: String(p.amount ?? 0n),
    payout: '0',
    block_number: p.block,
    log_index: p.log,
    timestamp: 1_780_000_000 + p.block,
    transaction_hash: hex32(p.block),
  };
}

function condition(id: string, payouts: bigint[] = [], oracle = wallet(0x0c1e)): ConditionRow {
  return {
    condition_id: id,
    oracle,
    question_id: hex32(1),
    outcome_slot_count: 2,
    payout_numerators: payouts.map(String),
    payout_denominator: String(payouts.reduce((a, b) => a + b, 0n)),
    resolved_at: payouts.length ? 1_780_000_000 : null,
    block_number: 1,
    log_index: 0,
    transaction_hash: hex32(1),
  };
}

const input = (p: Partial<PositionsInput>): PositionsInput => ({ fills: [], activity: [], conditions: [], questions: [], ...p });
const find = (rows: PositionRow[], who: string, token: string) => rows.find((r) => r.wallet === who && r.token_id === token);
const pos = (amount: bigint, avg: bigint, pnl: bigint, bought: bigint) => ({
  amount: String(amount),
  avg_price: String(avg),
  realized_pnl: String(pnl),
  total_bought: String(bought),
});

describe('the pnl-subgraph method', () => {
  it("reproduces the method's worked example: buy 100 for 40, sell 50 at 0.70, redeem 50 at 1.00 -> +45 USDC", () => {
    const rows = computePositions(
      input({
        fills: [
          fill({ maker: ALICE, block: 10, log: 1, side: 'BUY', token: YES, shares: 100n * ONE, usdc: 40n * ONE }),
          fill({ maker: ALICE, block: 11, log: 1, side: 'SELL', token: YES, shares: 50n * ONE, usdc: 35n * ONE }),
        ],
        activity: [activity({ kind: 'redeem', wallet: ALICE, block: 20, log: 4, condition: CONDITION })],
        conditions: [condition(CONDITION, [1n, 0n])],
      }),
    );
    expect(find(rows, ALICE, YES)).toMatchObject({ ...pos(0n, 400_000n, 45_000_000n, 100n * ONE), block_number: 20, log_index: 4 });
    // The redemption sells both outcomes, so the outcome never held is saved too, at zero (updateUserPositionWithSell always saves).
    expect(find(rows, ALICE, NO)).toMatchObject(pos(0n, 0n, 0n, 0n));
  });

  it('prices a NegRisk conversion of k=3 NOs at 0.75 among N=5 questions: YES at 0.125', () => {
    expect(negRiskYesPrice(750_000n, 3, 5)).toBe(125_000n);
    const market = hex32(0xabc).slice(0, -2) + '00';
    const questions: NegRiskQuestionRow[] = Array.from({ length: 6 }, (_, i) => ({
      market_id: market,
      question_id: hex32(i),
      question_index: i,
      condition_id: negRiskQuestionConditionId(market, i),
      // The sixth question is prepared after the conversion and must not count.
      block_number: i < 5 ? 5 : 40,
      log_index: i,
    }));
    const ids = questions.map((q) => outcomeTokenIds(WRAPPED_COLLATERAL, q.condition_id as Hex).map(String) as [string, string]);
    const stats = emptyStats();
    const rows = computePositions(
      input({
        fills: [0, 1, 2].map((q) =>
          fill({ maker: ALICE, block: 10 + q, log: 0, side: 'BUY', token: ids[q]![1], shares: 20n * ONE, usdc: 15n * ONE, exchange: NEG_RISK_EXCHANGE_V2 }),
        ),
        activity: [
          activity({
            kind: 'convert',
            contract: NEG_RISK_ADAPTER,
            wallet: ALICE,
            block: 30,
            log: 2,
            condition: market,
            indexSets: [0b00111n],
            amount: 8n * ONE,
          }),
        ],
        questions,
      }),
      [],
      { stats },
    );
    for (const q of [0, 1, 2]) expect(find(rows, ALICE, ids[q]![1])).toMatchObject(pos(12n * ONE, 750_000n, 0n, 20n * ONE));
    for (const q of [3, 4]) expect(find(rows, ALICE, ids[q]![0])).toMatchObject({ ...pos(8n * ONE, 125_000n, 0n, 8n * ONE), block_number: 30 });
    expect(find(rows, ALICE, ids[5]![0])).toBeUndefined();
    expect(stats.events).toBe(4);
  });

  it('divides toward zero, as graph-node does, also when the result is negative', () => {
    // (333_333 * 2 - 1_000_000) / 3 = -111_111.33..: truncation gives -111_111 where flooring would give -111_112.
    expect(negRiskYesPrice(333_333n, 2, 5)).toBe(-111_111n);
    const rows = computePositions(
      input({
        fills: [
          fill({ maker: ALICE, block: 1, log: 0, side: 'BUY', token: YES, shares: 1n, usdc: 0n }),
          fill({ maker: ALICE, block: 2, log: 0, side: 'BUY', token: YES, shares: 2n, usdc: 1n }),
          // avg = (0*1 + 500_000*2) / 3 = 333_333; selling 3 units at 0 loses 3 * 333_333 / 1e6 = 0.99.. -> 0
          fill({ maker: ALICE, block: 3, log: 0, side: 'SELL', token: YES, shares: 3n, usdc: 0n }),
        ],
      }),
    );
    expect(find(rows, ALICE, YES)).toMatchObject(pos(0n, 333_333n, 0n, 3n));
  });

  it('sells only what it tracks: the rest earns no P&L, and selling a token never bought leaves a zero position', () => {
    const rows = computePositions(
      input({
        fills: [
          fill({ maker: ALICE, block: 1, log: 0, side: 'BUY', token: YES, shares: 10n * ONE, usdc: 4n * ONE }),
          fill({ maker: ALICE, block: 2, log: 0, side: 'SELL', token: YES, shares: 30n * ONE, usdc: 18n * ONE }),
          fill({ maker: ALICE, block: 3, log: 0, side: 'SELL', token: NO, shares: 5n * ONE, usdc: 1n * ONE }),
        ],
      }),
    );
    expect(find(rows, ALICE, YES)).toMatchObject(pos(0n, 400_000n, 2_000_000n, 10n * ONE));
    expect(find(rows, ALICE, NO)).toMatchObject({ ...pos(0n, 0n, 0n, 0n), block_number: 3 });
  });

  it('orders a buy and a sell of one token in one block by log index, whatever order the rows come in', () => {
    const buyAt = (log: number) => fill({ maker: ALICE, block: 7, log, side: 'BUY', token: YES, shares: 10n * ONE, usdc: 5n * ONE });
    const sellAt = (log: number) => fill({ maker: ALICE, block: 7, log, side: 'SELL', token: YES, shares: 10n * ONE, usdc: 8n * ONE });
    const buyFirst = computePositions(input({ fills: [sellAt(9), buyAt(3)] }));
    expect(find(buyFirst, ALICE, YES)).toMatchObject({ ...pos(0n, 500_000n, 3_000_000n, 10n * ONE), log_index: 9 });
    const sellFirst = computePositions(input({ fills: [buyAt(9), sellAt(3)] }));
    expect(find(sellFirst, ALICE, YES)).toMatchObject({ ...pos(10n * ONE, 500_000n, 0n, 10n * ONE), log_index: 9 });
  });

  it('redeems a losing outcome at 0: the whole cost is a realized loss', () => {
    const rows = computePositions(
      input({
        fills: [fill({ maker: ALICE, block: 1, log: 0, side: 'BUY', token: NO, shares: 100n * ONE, usdc: 30n * ONE })],
        activity: [activity({ kind: 'redeem', wallet: ALICE, block: 9, log: 0, condition: CONDITION })],
        conditions: [condition(CONDITION, [1n, 0n])],
      }),
    );
    expect(find(rows, ALICE, NO)).toMatchObject(pos(0n, 300_000n, -30_000_000n, 100n * ONE));
  });

  it('credits nothing for a redemption of a condition without payouts, and says so', () => {
    const stats = emptyStats();
    const held = fill({ maker: ALICE, block: 1, log: 0, side: 'BUY', token: YES, shares: 10n * ONE, usdc: 5n * ONE });
    const rows = computePositions(
      input({
        fills: [held],
        activity: [activity({ kind: 'redeem', wallet: ALICE, block: 9, log: 0, condition: CONDITION })],
        conditions: [condition(CONDITION)],
      }),
      [],
      { stats },
    );
    expect(rows).toEqual(computePositions(input({ fills: [held] })));
    expect(stats.skipped['unresolved-condition']).toBe(1);
  });

  it('gives a fee-paying fill the same position as a fee-free one', () => {
    const trade = (fee: bigint) => [
      fill({ maker: ALICE, block: 1, log: 0, side: 'BUY', token: YES, shares: 10n * ONE, usdc: 4n * ONE, fee }),
      fill({ maker: ALICE, block: 2, log: 0, side: 'SELL', token: YES, shares: 4n * ONE, usdc: 3n * ONE, fee }),
    ];
    expect(computePositions(input({ fills: trade(123_456n) }))).toEqual(computePositions(input({ fills: trade(0n) })));
  });

  it("credits a match's taker-order leg to that order's maker, and nothing to the exchange or the taker named on the maker leg", () => {
    const rows = computePositions(
      input({
        fills: [
          // Alice's resting order, filled by Bob: Bob is only its taker.
          fill({ maker: ALICE, taker: BOB, block: 5, log: 1, side: 'BUY', token: YES, shares: 10n * ONE, usdc: 6n * ONE }),
          // Bob's taker order: its own OrderFilled, with the exchange as taker.
          fill({ maker: BOB, taker: CTF_EXCHANGE_V2, block: 5, log: 2, side: 'SELL', token: YES, shares: 10n * ONE, usdc: 6n * ONE }),
        ],
      }),
    );
    expect(rows.map((r) => [r.wallet, r.amount])).toEqual(
      [
        [ALICE, String(10n * ONE)],
        [BOB, '0'],
      ].sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
    );
  });

  it('buys both outcomes at 0.50 on a split and sells both at 0.50 on a merge', () => {
    const rows = computePositions(
      input({
        activity: [
          activity({ kind: 'split', wallet: ALICE, block: 1, log: 0, condition: CONDITION, amount: 100n * ONE }),
          activity({ kind: 'merge', wallet: ALICE, block: 2, log: 0, condition: CONDITION, amount: 40n * ONE }),
        ],
        conditions: [condition(CONDITION)],
      }),
    );
    for (const token of [YES, NO]) expect(find(rows, ALICE, token)).toMatchObject(pos(60n * ONE, 500_000n, 0n, 100n * ONE));
  });

  it('skips CTF splits and merges of the NegRiskAdapter and the CTF exchanges, and adapter splits and merges of the NegRisk exchanges', () => {
    const nrCondition = hex32(0xbeef);
    const [nrYes] = outcomeTokenIds(WRAPPED_COLLATERAL, nrCondition as Hex).map(String) as [string, string];
    const stats = emptyStats();
    const ctf = (kind: ActivityKind, who: string, block: number) => activity({ kind, wallet: who, block, log: 0, condition: CONDITION, amount: ONE });
    const adapter = (kind: ActivityKind, who: string, block: number, stakeholder = who) =>
      activity({ kind, contract: NEG_RISK_ADAPTER, wallet: who, stakeholder, block, log: 1, condition: nrCondition, amount: ONE });
    const rows = computePositions(
      input({
        activity: [
          ctf('split', NEG_RISK_ADAPTER, 1),
          ctf('merge', NEG_RISK_ADAPTER, 2),
          ctf('split', CTF_EXCHANGE_V1, 3),
          ctf('merge', CTF_EXCHANGE_V1, 4),
          ctf('split', CTF_EXCHANGE_V2, 5),
          ctf('merge', CTF_EXCHANGE_V2, 6),
          adapter('split', NEG_RISK_EXCHANGE_V1, 7),
          adapter('merge', NEG_RISK_EXCHANGE_V1, 8),
          // V2: the exchange mints through a collateral adapter, which the event names; the exchange is the wallet behind it.
          adapter('split', NEG_RISK_EXCHANGE_V2, 9, PUSD_CTF_ADAPTER),
          adapter('merge', NEG_RISK_EXCHANGE_V2, 10, PUSD_CTF_ADAPTER),
          // The subgraph's rules are per contract: a CTF exchange's adapter split is counted.
          adapter('split', CTF_EXCHANGE_V1, 11),
        ],
        conditions: [condition(CONDITION), condition(nrCondition, [], NEG_RISK_ADAPTER)],
      }),
      [],
      { stats },
    );
    expect(stats.skipped['excluded-party']).toBe(10);
    expect(rows.map((r) => [r.wallet, r.token_id])).toEqual(expect.arrayContaining([[CTF_EXCHANGE_V1, nrYes]]));
    expect(rows).toHaveLength(2);
  });

  it('skips CTF redemptions of the NegRiskAdapter; a NegRiskAdapter redemption sells the amounts it names', () => {
    const nrCondition = hex32(0xbeef);
    const [nrYes, nrNo] = outcomeTokenIds(WRAPPED_COLLATERAL, nrCondition as Hex).map(String) as [string, string];
    const rows = computePositions(
      input({
        fills: [
          fill({ maker: ALICE, block: 1, log: 0, side: 'BUY', token: nrYes, shares: 10n * ONE, usdc: 2n * ONE }),
          fill({ maker: ALICE, block: 1, log: 1, side: 'BUY', token: nrNo, shares: 10n * ONE, usdc: 8n * ONE }),
        ],
        activity: [
          activity({ kind: 'redeem', wallet: NEG_RISK_ADAPTER, block: 5, log: 0, condition: nrCondition, collateral: WRAPPED_COLLATERAL }),
          activity({ kind: 'redeem', contract: NEG_RISK_ADAPTER, wallet: ALICE, block: 5, log: 1, condition: nrCondition, amounts: [4n * ONE, 10n * ONE] }),
        ],
        conditions: [condition(nrCondition, [1n, 0n], NEG_RISK_ADAPTER)],
      }),
    );
    expect(rows.filter((r) => r.wallet === NEG_RISK_ADAPTER)).toEqual([]);
    expect(find(rows, ALICE, nrYes)).toMatchObject(pos(6n * ONE, 200_000n, 3_200_000n, 10n * ONE));
    expect(find(rows, ALICE, nrNo)).toMatchObject(pos(0n, 800_000n, -8_000_000n, 10n * ONE));
  });

  it('credits pUSD activity routed through a collateral adapter to the wallet behind it, on the same token ids', () => {
    const rows = computePositions(
      input({
        activity: [activity({ kind: 'split', wallet: ALICE, stakeholder: PUSD_CTF_ADAPTER, block: 3, log: 0, condition: CONDITION, amount: 2n * ONE })],
        conditions: [condition(CONDITION)],
      }),
    );
    expect(rows.map((r) => [r.wallet, r.token_id])).toEqual(
      [
        [ALICE, YES],
        [ALICE, NO],
      ].sort((a, b) => (BigInt(a[1]!) < BigInt(b[1]!) ? -1 : 1)),
    );
  });

  it('ignores events of conditions it does not know or that are not binary, and rows repeating an event', () => {
    const stats = emptyStats();
    const three = { ...condition(hex32(0x333)), outcome_slot_count: 3 };
    const buy = fill({ maker: ALICE, block: 1, log: 0, side: 'BUY', token: YES, shares: ONE, usdc: ONE / 2n });
    const rows = computePositions(
      input({
        fills: [buy, { ...buy, fill_id: 'again' }],
        activity: [
          activity({ kind: 'split', wallet: ALICE, block: 2, log: 0, condition: hex32(0x404), amount: ONE }),
          activity({ kind: 'split', wallet: ALICE, block: 3, log: 0, condition: three.condition_id, amount: ONE }),
        ],
        conditions: [three],
      }),
      [],
      { stats },
    );
    expect(rows).toHaveLength(1);
    expect(find(rows, ALICE, YES)).toMatchObject(pos(ONE, 500_000n, 0n, ONE));
    expect(stats).toMatchObject({ events: 3, duplicates: 1 });
    expect(stats.skipped['unknown-condition']).toBe(2);
  });

  it('continues from earlier positions exactly as a computation from scratch, skipping events they already hold', () => {
    const fills = [
      fill({ maker: ALICE, block: 1, log: 0, side: 'BUY', token: YES, shares: 7n * ONE, usdc: 3n * ONE }),
      fill({ maker: BOB, block: 2, log: 0, side: 'BUY', token: NO, shares: 9n * ONE, usdc: 2n * ONE }),
      fill({ maker: ALICE, block: 3, log: 0, side: 'SELL', token: YES, shares: 2n * ONE, usdc: 1n * ONE }),
      fill({ maker: ALICE, block: 4, log: 0, side: 'BUY', token: YES, shares: 5n * ONE, usdc: 4n * ONE }),
    ];
    const activityRows = [activity({ kind: 'redeem', wallet: ALICE, block: 6, log: 0, condition: CONDITION })];
    const conditions = [condition(CONDITION, [0n, 1n])];
    const all = computePositions(input({ fills, activity: activityRows, conditions }));
    const early = computePositions(input({ fills: fills.slice(0, 3), conditions }));
    expect(computePositions(input({ fills: fills.slice(3), activity: activityRows, conditions }), early)).toEqual(all);
    expect(computePositions(input({ fills, activity: activityRows, conditions }), early)).toEqual(all);
    expect(computePositions(input({ fills, activity: activityRows, conditions }), all)).toEqual(all);
  });
});
