import { encodeAbiParameters, keccak256, toBytes, type Hex } from 'viem';
import { describe, expect, it } from 'vitest';
import { rejectRecord } from '#shared/model/staged.ts';
import { createEventCatalogue, TOPICS } from '#shared/sources/chain/events/index.ts';
import type { RpcLog } from '#shared/sources/chain/decode.ts';
import { ADDR, makeLog, only, rejectReason, SIG, TIME } from './support.ts';

const V2_ORDER_FILLED = keccak256(toBytes('OrderFilled(bytes32,address,address,uint8,uint256,uint256,uint256,uint256,bytes32,bytes32)'));
const WALLET = '0x00000000000000000000000000000000000000cc';
const CONDITION = `0x${'c2'.repeat(32)}`;
const TOKEN = 1234567890123456789n;

const v1Fill = (exchange: string) =>
  makeLog(SIG.v1OrderFilled, exchange, {
    orderHash: `0x${'11'.repeat(32)}`,
    maker: WALLET,
    taker: exchange,
    makerAssetId: 0n,
    takerAssetId: TOKEN,
    makerAmountFilled: 50n,
    takerAmountFilled: 100n,
    fee: 0n,
  });

function v2Fill(exchange: string): RpcLog {
  const pad = (a: string) => `0x${a.slice(2).padStart(64, '0')}` as Hex;
  return {
    address: exchange,
    topics: [V2_ORDER_FILLED, `0x${'22'.repeat(32)}`, pad(WALLET), pad(exchange)],
    data: encodeAbiParameters(
      [{ type: 'uint8' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'uint256' }, { type: 'bytes32' }, { type: 'bytes32' }],
      [1, TOKEN, 100n, 60n, 0n, `0x${'00'.repeat(32)}`, `0x${'00'.repeat(32)}`],
    ),
    blockNumber: '0x10',
    blockHash: `0x${'99'.repeat(32)}`,
    transactionHash: `0x${'33'.repeat(32)}`,
    logIndex: '0x1',
  };
}

describe('createEventCatalogue', () => {
  const catalogue = createEventCatalogue({ v1Fills: true, adapters: [] });

  it('lists every contract and every topic0 once', () => {
    const protocolV2 = '0xe3333700ca9d93003f00f0f71f8515005f6c00aa';
    expect([...catalogue.addresses].sort()).toEqual([ADDR.v1Ctf, ADDR.v1NegRisk, ADDR.v2Ctf, ADDR.v2NegRisk, protocolV2, ADDR.ctf, ADDR.negRiskAdapter].sort());
    expect([...catalogue.topics].sort()).toEqual(
      [
        TOPICS.v1OrderFilled,
        TOPICS.tokenRegistered,
        V2_ORDER_FILLED,
        TOPICS.conditionPreparation,
        TOPICS.conditionResolution,
        TOPICS.ctfPositionSplit,
        TOPICS.ctfPositionsMerge,
        TOPICS.ctfPayoutRedemption,
        TOPICS.nrPositionSplit,
        TOPICS.nrPositionsMerge,
        TOPICS.nrPayoutRedemption,
        TOPICS.nrPositionsConverted,
        TOPICS.nrQuestionPrepared,
      ].sort(),
    );
    // Read through receipts, not eth_getLogs: far too many, and only needed for adapter transactions.
    expect(catalogue.topics).not.toContain(TOPICS.transferSingle);
    expect(catalogue.topics).not.toContain(TOPICS.nrMarketPrepared);
  });

  it('dispatches each family on address + topic0', () => {
    expect(only(catalogue.decode(v1Fill(ADDR.v1Ctf), TIME), 'fills')).toMatchObject({ exchange: ADDR.v1Ctf, side: 'BUY', token_id: TOKEN.toString() });
    expect(only(catalogue.decode(v2Fill(ADDR.v2NegRisk), TIME), 'fills')).toMatchObject({ exchange: ADDR.v2NegRisk, side: 'SELL', token_id: TOKEN.toString() });
    const registered = makeLog(SIG.tokenRegistered, ADDR.v1NegRisk, { token0: 5n, token1: 6n, conditionId: CONDITION });
    expect(only(catalogue.decode(registered, null), 'token_claims')).toMatchObject({ token_id: '5', complement_id: '6', exchange: ADDR.v1NegRisk });
    const prep = makeLog(SIG.conditionPreparation, ADDR.ctf, { conditionId: CONDITION, oracle: WALLET, questionId: CONDITION, outcomeSlotCount: 2n });
    expect(
      only(
        catalogue.decode(prep, null).filter((r) => r.table === 'conditions'),
        'conditions',
      ),
    ).toMatchObject({ condition_id: CONDITION, resolved_at: null });
    const ctfSplit = makeLog(SIG.ctfSplit, ADDR.ctf, {
      stakeholder: WALLET,
      collateralToken: ADDR.usdce,
      parentCollectionId: `0x${'00'.repeat(32)}`,
      conditionId: CONDITION,
      partition: [1n, 2n],
      amount: 1n,
    });
    expect(only(catalogue.decode(ctfSplit, TIME), 'activity')).toMatchObject({ kind: 'split', contract: ADDR.ctf, collateral: ADDR.usdce });
    const nrSplit = makeLog(SIG.nrSplit, ADDR.negRiskAdapter, { stakeholder: WALLET, conditionId: CONDITION, amount: 1n });
    expect(only(catalogue.decode(nrSplit, TIME), 'activity')).toMatchObject({ kind: 'split', contract: ADDR.negRiskAdapter, collateral: ADDR.wcol });
    const question = makeLog(SIG.nrQuestionPrepared, ADDR.negRiskAdapter, {
      marketId: `0x${'ab'.repeat(31)}00`,
      questionId: `0x${'ab'.repeat(31)}00`,
      index: 0n,
      data: '0x',
    });
    expect(only(catalogue.decode(question, null), 'neg_risk_questions')).toMatchObject({ question_index: 0 });
  });

  it('the same topic0 at another contract, or an unknown one, is a reject', () => {
    expect(rejectReason(catalogue.decode(v1Fill(ADDR.ctf), TIME))).toMatch(`no decoder for topic0 ${TOPICS.v1OrderFilled} at ${ADDR.ctf}`);
    const nrSplitOnCtf = makeLog(SIG.nrSplit, ADDR.ctf, { stakeholder: WALLET, conditionId: CONDITION, amount: 1n });
    expect(rejectReason(catalogue.decode(nrSplitOnCtf, TIME))).toMatch(/no decoder/);
    expect(rejectReason(catalogue.decode({ ...v1Fill(ADDR.v1Ctf), topics: [] }, TIME))).toMatch(/no topic0/);
    expect(rejectReason(catalogue.decode(null as unknown as RpcLog, TIME))).toMatch(/no topic0/);
  });

  it('options switch families off and move contracts', () => {
    const narrow = createEventCatalogue({
      v1Fills: false,
      v2Fills: false,
      protocolV2Fills: false,
      tokenRegistry: false,
      adapters: [],
      ctf: '0x00000000000000000000000000000000000000c7',
      exchanges: { v1Ctf: WALLET },
    });
    expect(narrow.topics).not.toContain(TOPICS.v1OrderFilled);
    expect(narrow.topics).not.toContain(V2_ORDER_FILLED);
    expect(narrow.topics).not.toContain(TOPICS.tokenRegistered);
    expect(narrow.addresses).not.toContain(ADDR.v1Ctf);
    expect(narrow.addresses).toContain('0x00000000000000000000000000000000000000c7');
    expect(rejectReason(narrow.decode(v1Fill(ADDR.v1Ctf), TIME))).toMatch(/no decoder/);

    const moved = createEventCatalogue({ v1Fills: true, adapters: [], exchanges: { v1Ctf: '0x00000000000000000000000000000000000000E1' } });
    expect(only(moved.decode(v1Fill('0x00000000000000000000000000000000000000e1'), TIME), 'fills').exchange).toBe('0x00000000000000000000000000000000000000e1');
  });

  it('extra decoders join the same request and the dispatch', () => {
    const factory = '0x00000000000000000000000000000000000000f1';
    const topic0 = keccak256(toBytes('ProxyCreated(address,address)'));
    const decode = (log: RpcLog) => [rejectRecord('chain', `extra saw ${log.address}`, log)];
    const withExtra = createEventCatalogue({ v1Fills: false, adapters: [], extraDecoders: [{ address: factory, topic0, decode }] });
    expect(withExtra.addresses).toContain(factory);
    expect(withExtra.topics).toContain(topic0);
    expect(rejectReason(withExtra.decode({ ...v1Fill(factory), topics: [topic0] }, TIME))).toBe(`extra saw ${factory}`);
  });

  it('refuses bad configuration at construction', () => {
    expect(() => createEventCatalogue({ v1Fills: false, adapters: ['0x123'] })).toThrow(/adapters\[0\] is not an address/);
    expect(() => createEventCatalogue({ v1Fills: false, adapters: [], ctf: 'ctf' })).toThrow(/ctf is not an address/);
    const duplicate = { address: ADDR.ctf, topic0: TOPICS.ctfPositionSplit, decode: () => [] };
    expect(() => createEventCatalogue({ v1Fills: false, adapters: [], extraDecoders: [duplicate] })).toThrow(/two decoders/);
  });
});
