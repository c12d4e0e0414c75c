import { keccak256, toBytes } from 'viem';
import { outcomeTokenId } from '#shared/model/ctf-ids.ts';
import { describe, expect, it } from 'vitest';
import {
  decodeConditionPreparationLog,
  decodeConditionResolutionLog,
  decodeCtfPayoutRedemptionLog,
  decodeCtfPositionSplitLog,
  decodeCtfPositionsMergeLog,
  decodeErc1155Transfer,
  TOPICS,
} from '#shared/sources/chain/events/index.ts';
import { activityRowAt, ADDR, BLOCK, makeLog, only, rejectReason, SIG, TIME, TX } from './support.ts';

const CONDITION = `0x${'c1'.repeat(32)}`;
const QUESTION = `0x${'9a'.repeat(32)}`;
const ORACLE = '0x157ce2d672854c848c9b79c49a8cc6cc89176a49';
const WALLET = '0x00000000000000000000000000000000000000aa';
const ZERO32 = `0x${'00'.repeat(32)}`;
const PARENT = `0x${'01'.repeat(32)}`;

describe('topic0 of the CTF events', () => {
  // Canonical signatures as Polymarket/polymarket-subgraph pnl-subgraph/subgraph.template.yaml lists them.
  it('hash to the canonical signatures', () => {
    expect(TOPICS.conditionPreparation).toBe(keccak256(toBytes('ConditionPreparation(bytes32,address,bytes32,uint256)')));
    expect(TOPICS.conditionResolution).toBe(keccak256(toBytes('ConditionResolution(bytes32,address,bytes32,uint256,uint256[])')));
    expect(TOPICS.ctfPositionSplit).toBe(keccak256(toBytes('PositionSplit(address,address,bytes32,bytes32,uint256[],uint256)')));
    expect(TOPICS.ctfPositionsMerge).toBe(keccak256(toBytes('PositionsMerge(address,address,bytes32,bytes32,uint256[],uint256)')));
    expect(TOPICS.ctfPayoutRedemption).toBe(keccak256(toBytes('PayoutRedemption(address,address,bytes32,bytes32,uint256[],uint256)')));
    expect(TOPICS.transferSingle).toBe(keccak256(toBytes('TransferSingle(address,address,address,uint256,uint256)')));
    expect(TOPICS.transferBatch).toBe(keccak256(toBytes('TransferBatch(address,address,address,uint256[],uint256[])')));
  });
});

describe('conditions', () => {
  it('ConditionPreparation: an unresolved row, and a CTF claim for each outcome token', () => {
    const log = makeLog(
      SIG.conditionPreparation,
      ADDR.ctf,
      { conditionId: CONDITION, oracle: ORACLE, questionId: QUESTION, outcomeSlotCount: 2n },
      { logIndex: '0x3' },
    );
    const records = decodeConditionPreparationLog(log, null);
    const claims = records.filter((r) => r.table === 'token_claims').map((r) => r.row);
    // The oracle is not the NegRiskAdapter: the outcome tokens are held against USDC.e.
    const usdce = '0x2791bca1f2de4661ed88a30c99a7a9449aa84174';
    const [yes, no] = [0, 1].map((i) => outcomeTokenId(usdce, CONDITION as `0x${string}`, i).toString());
    expect(claims).toEqual([
      {
        token_id: yes,
        source: 'ctf',
        condition_id: CONDITION,
        outcome_index: 0,
        outcome: '',
        complement_id: no,
        winner: null,
        exchange: '',
        block_number: BLOCK,
      },
      {
        token_id: no,
        source: 'ctf',
        condition_id: CONDITION,
        outcome_index: 1,
        outcome: '',
        complement_id: yes,
        winner: null,
        exchange: '',
        block_number: BLOCK,
      },
    ]);
    expect(
      only(
        records.filter((r) => r.table === 'conditions'),
        'conditions',
      ),
    ).toEqual({
      condition_id: CONDITION,
      oracle: ORACLE,
      question_id: QUESTION,
      outcome_slot_count: 2,
      payout_numerators: [],
      payout_denominator: '0',
      resolved_at: null,
      block_number: BLOCK,
      log_index: 3,
      transaction_hash: TX,
    });
  });

  it('ConditionResolution: payouts, their sum as denominator, resolved at the block time', () => {
    const log = makeLog(
      SIG.conditionResolution,
      ADDR.ctf,
      { conditionId: CONDITION, oracle: ORACLE, questionId: QUESTION, outcomeSlotCount: 3n, payoutNumerators: [1n, 0n, 3n] },
      { logIndex: '0x10' },
    );
    expect(only(decodeConditionResolutionLog(log, TIME), 'conditions')).toEqual({
      condition_id: CONDITION,
      oracle: ORACLE,
      question_id: QUESTION,
      outcome_slot_count: 3,
      payout_numerators: ['1', '0', '3'],
      payout_denominator: '4',
      resolved_at: TIME,
      block_number: BLOCK,
      log_index: 16,
      transaction_hash: TX,
    });
  });

  it('ConditionResolution rejects: no timestamp, numerators that do not fit the slots, all-zero payouts, bad data', () => {
    const args = { conditionId: CONDITION, oracle: ORACLE, questionId: QUESTION, outcomeSlotCount: 2n, payoutNumerators: [0n, 1n] };
    const good = makeLog(SIG.conditionResolution, ADDR.ctf, args);
    expect(rejectReason(decodeConditionResolutionLog(good, null))).toMatch(/no block timestamp.*resolved_at/);
    expect(rejectReason(decodeConditionResolutionLog(makeLog(SIG.conditionResolution, ADDR.ctf, { ...args, payoutNumerators: [1n] }), TIME))).toMatch(
      /1 payout numerators for 2 outcome slots/,
    );
    expect(rejectReason(decodeConditionResolutionLog(makeLog(SIG.conditionResolution, ADDR.ctf, { ...args, payoutNumerators: [0n, 0n] }), TIME))).toMatch(
      /all zero/,
    );
    expect(rejectReason(decodeConditionResolutionLog({ ...good, data: '0x1234' }, TIME))).toMatch(/cannot decode ConditionResolution/);
    expect(rejectReason(decodeConditionResolutionLog({ ...good, topics: good.topics.slice(0, 2) }, TIME))).toMatch(/expected 4 topics, got 2/);
  });

  it('ConditionPreparation rejects more than 256 outcome slots', () => {
    const log = makeLog(SIG.conditionPreparation, ADDR.ctf, { conditionId: CONDITION, oracle: ORACLE, questionId: QUESTION, outcomeSlotCount: 257n });
    expect(rejectReason(decodeConditionPreparationLog(log, null))).toMatch(/257 outcome slots/);
  });
});

describe('CTF activity', () => {
  const splitArgs = {
    stakeholder: WALLET,
    collateralToken: ADDR.usdce,
    parentCollectionId: ZERO32,
    conditionId: CONDITION,
    partition: [1n, 2n],
    amount: 5_000_000n,
  };

  it('PositionSplit: a split row, every field', () => {
    const log = makeLog(SIG.ctfSplit, ADDR.ctf, splitArgs, { logIndex: '0x7' });
    const held = { stakeholder: WALLET, wallet: WALLET, collateral: ADDR.usdce, condition_id: CONDITION, index_sets: ['1', '2'] };
    expect(only(decodeCtfPositionSplitLog(log, TIME), 'activity')).toEqual(
      activityRowAt(7, { kind: 'split', contract: ADDR.ctf, ...held, amount: '5000000', payout: '0' }),
    );
  });

  it('PositionsMerge: a merge row with the partition', () => {
    const log = makeLog(SIG.ctfMerge, ADDR.ctf, { ...splitArgs, partition: [1n, 6n], amount: 9n }, { logIndex: '0x8' });
    expect(only(decodeCtfPositionsMergeLog(log, TIME), 'activity')).toMatchObject({
      event_id: `${TX}_8`,
      kind: 'merge',
      index_sets: ['1', '6'],
      amount: '9',
      payout: '0',
      contract: ADDR.ctf,
    });
  });

  it('PayoutRedemption: a redeem row with the index sets and payout, amount 0', () => {
    const log = makeLog(
      SIG.ctfRedeem,
      ADDR.ctf,
      { redeemer: WALLET, collateralToken: ADDR.usdce, parentCollectionId: ZERO32, conditionId: CONDITION, indexSets: [1n, 2n], payout: 42n },
      { logIndex: '0x9' },
    );
    const held = { stakeholder: WALLET, wallet: WALLET, collateral: ADDR.usdce, condition_id: CONDITION, index_sets: ['1', '2'] };
    expect(only(decodeCtfPayoutRedemptionLog(log, TIME), 'activity')).toEqual(
      activityRowAt(9, { kind: 'redeem', contract: ADDR.ctf, ...held, amount: '0', payout: '42' }),
    );
  });

  it('a nested position (non-zero parentCollectionId) is rejected with that reason', () => {
    expect(rejectReason(decodeCtfPositionSplitLog(makeLog(SIG.ctfSplit, ADDR.ctf, { ...splitArgs, parentCollectionId: PARENT }), TIME))).toMatch(
      `not a top-level position (parentCollectionId ${PARENT})`,
    );
    expect(rejectReason(decodeCtfPositionsMergeLog(makeLog(SIG.ctfMerge, ADDR.ctf, { ...splitArgs, parentCollectionId: PARENT }), TIME))).toMatch(
      /PositionsMerge: not a top-level position/,
    );
    const redeem = makeLog(SIG.ctfRedeem, ADDR.ctf, {
      redeemer: WALLET,
      collateralToken: ADDR.usdce,
      parentCollectionId: PARENT,
      conditionId: CONDITION,
      indexSets: [1n],
      payout: 1n,
    });
    expect(rejectReason(decodeCtfPayoutRedemptionLog(redeem, TIME))).toMatch(/PayoutRedemption: not a top-level position/);
  });

  it('rejects: no timestamp, wrong topic count, undecodable data, a NegRisk-shaped log with the CTF decoder', () => {
    const good = makeLog(SIG.ctfSplit, ADDR.ctf, splitArgs);
    expect(rejectReason(decodeCtfPositionSplitLog(good, null))).toMatch(/no block timestamp/);
    expect(rejectReason(decodeCtfPositionSplitLog({ ...good, topics: good.topics.slice(0, 3) }, TIME))).toMatch(/expected 4 topics, got 3/);
    expect(rejectReason(decodeCtfPositionSplitLog({ ...good, data: `${good.data.slice(0, 130)}` }, TIME))).toMatch(/cannot decode PositionSplit/);
    const negRiskShaped = makeLog(SIG.nrSplit, ADDR.ctf, { stakeholder: WALLET, conditionId: CONDITION, amount: 1n });
    expect(rejectReason(decodeCtfPositionSplitLog(negRiskShaped, TIME))).toMatch(/expected 4 topics, got 3/);
  });
});

describe('ERC-1155 transfers', () => {
  it('decodes TransferSingle as a batch of one and TransferBatch as is', () => {
    const single = makeLog(SIG.transferSingle, ADDR.ctf, { operator: ADDR.negRiskAdapter, from: WALLET, to: ORACLE, id: 5n, value: 6n }, { logIndex: '0x11' });
    expect(decodeErc1155Transfer(single)).toEqual({
      contract: ADDR.ctf,
      operator: ADDR.negRiskAdapter,
      from: WALLET,
      to: ORACLE,
      ids: [5n],
      values: [6n],
      logIndex: 17,
    });
    const batch = makeLog(SIG.transferBatch, ADDR.ctf, { operator: WALLET, from: WALLET, to: ORACLE, ids: [1n, 2n], values: [3n, 4n] }, { logIndex: '0x12' });
    expect(decodeErc1155Transfer(batch)).toEqual({
      contract: ADDR.ctf,
      operator: WALLET,
      from: WALLET,
      to: ORACLE,
      ids: [1n, 2n],
      values: [3n, 4n],
      logIndex: 18,
    });
  });

  it('says why it cannot: other events, mismatched arrays', () => {
    expect(
      decodeErc1155Transfer(
        makeLog(SIG.ctfSplit, ADDR.ctf, {
          stakeholder: WALLET,
          collateralToken: ADDR.usdce,
          parentCollectionId: ZERO32,
          conditionId: CONDITION,
          partition: [1n, 2n],
          amount: 1n,
        }),
      ),
    ).toBe('not an ERC-1155 transfer');
    const bad = makeLog(SIG.transferBatch, ADDR.ctf, { operator: WALLET, from: WALLET, to: ORACLE, ids: [1n, 2n], values: [3n] });
    expect(decodeErc1155Transfer(bad)).toMatch(/2 ids but 1 values/);
  });
});
