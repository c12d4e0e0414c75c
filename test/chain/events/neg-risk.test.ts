import { keccak256, toBytes } from 'viem';
import { describe, expect, it } from 'vitest';
import { outcomeTokenIds } from '#shared/model/ctf-ids.ts';
import { decodeMarketPreparedLog, decodeQuestionPreparedLog, negRiskAdapterDecoders, TOPICS } from '#shared/sources/chain/events/index.ts';
import { activityRowAt, ADDR, BLOCK, makeLog, only, rejectReason, SIG, TIME, TX } from './support.ts';

const WALLET = '0x00000000000000000000000000000000000000bb';
const CONDITION = `0x${'d4'.repeat(32)}`;
const nr = negRiskAdapterDecoders(ADDR.wcol);

describe('topic0 of the NegRiskAdapter events', () => {
  // Canonical signatures as Polymarket/polymarket-subgraph pnl-subgraph/subgraph.template.yaml lists them.
  it('hash to the canonical signatures', () => {
    expect(TOPICS.nrPositionSplit).toBe(keccak256(toBytes('PositionSplit(address,bytes32,uint256)')));
    expect(TOPICS.nrPositionsMerge).toBe(keccak256(toBytes('PositionsMerge(address,bytes32,uint256)')));
    expect(TOPICS.nrPositionsConverted).toBe(keccak256(toBytes('PositionsConverted(address,bytes32,uint256,uint256)')));
    expect(TOPICS.nrPayoutRedemption).toBe(keccak256(toBytes('PayoutRedemption(address,bytes32,uint256[],uint256)')));
    expect(TOPICS.nrMarketPrepared).toBe(keccak256(toBytes('MarketPrepared(bytes32,address,uint256,bytes)')));
    expect(TOPICS.nrQuestionPrepared).toBe(keccak256(toBytes('QuestionPrepared(bytes32,bytes32,uint256,bytes)')));
  });
});

describe('NegRiskAdapter activity', () => {
  it('PositionSplit: a split row in WrappedCollateral with the adapter partition [1, 2]', () => {
    const log = makeLog(SIG.nrSplit, ADDR.negRiskAdapter, { stakeholder: WALLET, conditionId: CONDITION, amount: 3_000_000n }, { logIndex: '0x4' });
    expect(only(nr.positionSplit(log, TIME), 'activity')).toEqual(
      activityRowAt(4, {
        kind: 'split',
        contract: ADDR.negRiskAdapter,
        ...{ stakeholder: WALLET, wallet: WALLET, collateral: ADDR.wcol, condition_id: CONDITION, index_sets: ['1', '2'] },
        amount: '3000000',
        payout: '0',
      }),
    );
  });

  it('PositionsMerge: a merge row', () => {
    const log = makeLog(SIG.nrMerge, ADDR.negRiskAdapter, { stakeholder: WALLET, conditionId: CONDITION, amount: 8n }, { logIndex: '0x5' });
    expect(only(nr.positionsMerge(log, TIME), 'activity')).toMatchObject({
      kind: 'merge',
      amount: '8',
      collateral: ADDR.wcol,
      index_sets: ['1', '2'],
      payout: '0',
    });
  });

  it('PayoutRedemption: amounts per outcome, payout, amount 0', () => {
    const log = makeLog(SIG.nrRedeem, ADDR.negRiskAdapter, { redeemer: WALLET, conditionId: CONDITION, amounts: [10n, 0n], payout: 10n }, { logIndex: '0x6' });
    expect(only(nr.payoutRedemption(log, TIME), 'activity')).toEqual({
      event_id: `${TX}_6`,
      kind: 'redeem',
      contract: ADDR.negRiskAdapter,
      stakeholder: WALLET,
      wallet: WALLET,
      collateral: ADDR.wcol,
      condition_id: CONDITION,
      index_sets: ['1', '2'],
      amounts: ['10', '0'],
      amount: '0',
      payout: '10',
      block_number: BLOCK,
      log_index: 6,
      timestamp: TIME,
      transaction_hash: TX,
    });
  });

  it('PositionsConverted: a convert row keyed by the market id, with the index set', () => {
    const marketId = `0x${'ee'.repeat(31)}00`;
    const log = makeLog(SIG.nrConverted, ADDR.negRiskAdapter, { stakeholder: WALLET, marketId, indexSet: 0b1011n, amount: 7n }, { logIndex: '0x7' });
    expect(only(nr.positionsConverted(log, TIME), 'activity')).toMatchObject({
      event_id: `${TX}_7`,
      kind: 'convert',
      condition_id: marketId,
      index_sets: ['11'],
      amounts: [],
      amount: '7',
      payout: '0',
      collateral: ADDR.wcol,
      stakeholder: WALLET,
      wallet: WALLET,
    });
  });

  it('rejects: no timestamp, wrong topic count, undecodable data, a CTF-shaped split', () => {
    const good = makeLog(SIG.nrSplit, ADDR.negRiskAdapter, { stakeholder: WALLET, conditionId: CONDITION, amount: 1n });
    expect(rejectReason(nr.positionSplit(good, null))).toMatch(/no block timestamp/);
    expect(rejectReason(nr.positionSplit({ ...good, topics: good.topics.slice(0, 2) }, TIME))).toMatch(/expected 3 topics, got 2/);
    expect(rejectReason(nr.positionSplit({ ...good, data: '0x' }, TIME))).toMatch(/cannot decode PositionSplit/);
    const redeem = makeLog(SIG.nrRedeem, ADDR.negRiskAdapter, { redeemer: WALLET, conditionId: CONDITION, amounts: [1n, 2n], payout: 3n });
    expect(rejectReason(nr.payoutRedemption({ ...redeem, data: redeem.data.slice(0, 66) }, TIME))).toMatch(/cannot decode PayoutRedemption/);
    const ctfShaped = makeLog(SIG.ctfSplit, ADDR.negRiskAdapter, {
      stakeholder: WALLET,
      collateralToken: ADDR.usdce,
      parentCollectionId: `0x${'00'.repeat(32)}`,
      conditionId: CONDITION,
      partition: [1n, 2n],
      amount: 1n,
    });
    expect(rejectReason(nr.positionSplit(ctfShaped, TIME))).toMatch(/expected 3 topics, got 4/);
  });
});

describe('QuestionPrepared', () => {
  // Polymarket/polymarket-subgraph tests/getNegRiskPositionId.test.ts: market 0xcc47…3000, question 7, and its two position ids.
  const marketId = '0xcc4727a6394620b9c8ae82db3db50a34d5ca9828675547bcc4cddf5e86b63000';
  const questionId = '0xcc4727a6394620b9c8ae82db3db50a34d5ca9828675547bcc4cddf5e86b63007';

  it('a question row whose condition is the one the adapter prepared (oracle = adapter, 2 slots)', () => {
    const log = makeLog(SIG.nrQuestionPrepared, ADDR.negRiskAdapter, { marketId, questionId, index: 7n, data: '0x1234' }, { logIndex: '0x1c' });
    const row = only(decodeQuestionPreparedLog(log, null), 'neg_risk_questions');
    expect(row).toMatchObject({ market_id: marketId, question_id: questionId, question_index: 7, block_number: BLOCK, log_index: 28 });
    expect(outcomeTokenIds(ADDR.wcol, row.condition_id as `0x${string}`).map(String)).toEqual([
      '96833685517457790753237027711749956491556223430098771101130535462280443103710',
      '112683192116716745370273337699109698649408967993699289993927321945615517688893',
    ]);
  });

  it('rejects an index past 255 and a wrong topic count', () => {
    expect(
      rejectReason(decodeQuestionPreparedLog(makeLog(SIG.nrQuestionPrepared, ADDR.negRiskAdapter, { marketId, questionId, index: 256n, data: '0x' }), null)),
    ).toMatch(/index 256 exceeds 255/);
    const good = makeLog(SIG.nrQuestionPrepared, ADDR.negRiskAdapter, { marketId, questionId, index: 1n, data: '0x' });
    expect(rejectReason(decodeQuestionPreparedLog({ ...good, topics: good.topics.slice(0, 2) }, null))).toMatch(/expected 3 topics, got 2/);
  });
});

describe('MarketPrepared', () => {
  it('validates only: no row for a good log, a reject for a bad one', () => {
    const good = makeLog(SIG.nrMarketPrepared, ADDR.negRiskAdapter, { marketId: `0x${'ee'.repeat(31)}00`, oracle: WALLET, feeBips: 0n, data: '0xabcd' });
    expect(decodeMarketPreparedLog(good, TIME)).toEqual([]);
    expect(rejectReason(decodeMarketPreparedLog({ ...good, data: '0x00' }, TIME))).toMatch(/cannot decode MarketPrepared/);
  });
});
