import { createRequire } from 'node:module';
import { encodeFunctionData, type Abi, type Hex } from 'viem';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEvmNode, type EvmNode } from '#simulator/chain/node.ts';
import type { StagedRecord } from '#shared/model/staged.ts';
import type { RpcLog } from '#shared/sources/chain/decode.ts';
import { createEventCatalogue } from '#shared/sources/chain/events/index.ts';
import { ADDR } from './support.ts';

/**
 * The catalogue against logs a Solidity compiler and a real EVM produced:
 * emitters declare each event as its contract does (sources named in
 * support.ts) and are installed at the Polygon addresses; the test reads them
 * back with one eth_getLogs over the catalogue's addresses and topics.
 */
const SOURCE = `
pragma solidity ^0.8.20;
contract CtfEmitter {
  event ConditionPreparation(bytes32 indexed conditionId, address indexed oracle, bytes32 indexed questionId, uint outcomeSlotCount);
  event ConditionResolution(bytes32 indexed conditionId, address indexed oracle, bytes32 indexed questionId, uint outcomeSlotCount, uint[] payoutNumerators);
  event PositionSplit(address indexed stakeholder, address collateralToken, bytes32 indexed parentCollectionId, bytes32 indexed conditionId, uint[] partition, uint amount);
  event TransferBatch(address indexed operator, address indexed from, address indexed to, uint256[] ids, uint256[] values);
  function prepareAndResolve(bytes32 c, address oracle, bytes32 q, uint[] calldata payouts) external {
    emit ConditionPreparation(c, oracle, q, payouts.length);
    emit ConditionResolution(c, oracle, q, payouts.length, payouts);
  }
  function adapterSplit(address adapter, address wallet, address collateral, bytes32 c, uint[] calldata ids, uint amount) external {
    uint[] memory values = new uint[](ids.length);
    uint[] memory partition = new uint[](ids.length);
    for (uint i = 0; i < ids.length; i++) { values[i] = amount; partition[i] = 1 << i; }
    emit TransferBatch(adapter, address(0), adapter, ids, values);
    emit PositionSplit(adapter, collateral, bytes32(0), c, partition, amount);
    emit TransferBatch(adapter, adapter, wallet, ids, values);
  }
}
contract NegRiskEmitter {
  event QuestionPrepared(bytes32 indexed marketId, bytes32 indexed questionId, uint256 index, bytes data);
  event PositionsConverted(address indexed stakeholder, bytes32 indexed marketId, uint256 indexed indexSet, uint256 amount);
  function prepare(bytes32 m, uint8 n) external {
    for (uint8 i = 0; i < n; i++) emit QuestionPrepared(m, bytes32(uint256(m) + i), i, "question");
  }
  function convert(address s, bytes32 m, uint indexSet, uint amount) external { emit PositionsConverted(s, m, indexSet, amount); }
}
contract ExchangeV1Emitter {
  event OrderFilled(bytes32 indexed orderHash, address indexed maker, address indexed taker, uint256 makerAssetId, uint256 takerAssetId, uint256 makerAmountFilled, uint256 takerAmountFilled, uint256 fee);
  event TokenRegistered(uint256 indexed token0, uint256 indexed token1, bytes32 indexed conditionId);
  function register(uint t0, uint t1, bytes32 c) external { emit TokenRegistered(t0, t1, c); emit TokenRegistered(t1, t0, c); }
  function fill(bytes32 h, address maker, uint makerAsset, uint takerAsset, uint making, uint taking) external {
    emit OrderFilled(h, maker, address(this), makerAsset, takerAsset, making, taking, 0);
  }
}`;

type Name = 'CtfEmitter' | 'NegRiskEmitter' | 'ExchangeV1Emitter';

function compile(): Record<Name, { abi: Abi; code: Hex }> {
  const solc = createRequire(import.meta.url)('solc') as { compile(input: string): string };
  const input = {
    language: 'Solidity',
    sources: { 'E.sol': { content: SOURCE } },
    settings: { outputSelection: { '*': { '*': ['abi', 'evm.deployedBytecode.object'] } } },
  };
  const out = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: Abi; evm: { deployedBytecode: { object: string } } }>>;
  };
  const errors = (out.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join('\n'));
  const pick = (n: Name) => ({ abi: out.contracts['E.sol']?.[n]?.abi as Abi, code: `0x${out.contracts['E.sol']?.[n]?.evm.deployedBytecode.object}` as Hex });
  return { CtfEmitter: pick('CtfEmitter'), NegRiskEmitter: pick('NegRiskEmitter'), ExchangeV1Emitter: pick('ExchangeV1Emitter') };
}

const ADAPTER = '0xada100874d00e3331d00f2007a9c336a65009718';
const WALLET = '0x1111111111111111111111111111111111111111';
// Polymarket/polymarket-subgraph tests/getPositionId.test.ts: a standard market and its two token ids.
const CONDITION = '0xfc690d5069b296bb9278af0cba42c02666e0999e4a4009ed97ea4a885f045457';
const YES = 73716170047628147940237270507900673332129573201293655532643868111690843426372n;
const NO = 2890213445014127424511466931609154310536269586265875141655148162320150952197n;
const MARKET = `0x${'4d'.repeat(31)}00` as Hex;

let node: EvmNode;
let records: StagedRecord[];
let splitTx: string;
const catalogue = createEventCatalogue({ v1Fills: true, adapters: [ADAPTER] });

async function send(to: string, abi: Abi, functionName: string, args: unknown[]): Promise<string> {
  const data = encodeFunctionData({ abi, functionName, args } as never);
  return (await node.provider.request({ method: 'eth_sendTransaction', params: [{ from: node.accounts[0], to, data }] })) as string;
}

beforeAll(async () => {
  const c = compile();
  node = await startEvmNode();
  for (const [address, name] of [
    [ADDR.ctf, 'CtfEmitter'],
    [ADDR.negRiskAdapter, 'NegRiskEmitter'],
    [ADDR.v1Ctf, 'ExchangeV1Emitter'],
  ] as const) {
    await node.provider.request({ method: 'hardhat_setCode', params: [address, c[name].code] });
  }
  await send(ADDR.ctf, c.CtfEmitter.abi, 'prepareAndResolve', [CONDITION, WALLET, `0x${'9a'.repeat(32)}`, [0n, 1n]]);
  splitTx = await send(ADDR.ctf, c.CtfEmitter.abi, 'adapterSplit', [ADAPTER, WALLET, ADDR.usdce, CONDITION, [YES, NO], 5_000_000n]);
  await send(ADDR.negRiskAdapter, c.NegRiskEmitter.abi, 'prepare', [MARKET, 3]);
  await send(ADDR.negRiskAdapter, c.NegRiskEmitter.abi, 'convert', [WALLET, MARKET, 0b011n, 2_000_000n]);
  await send(ADDR.v1Ctf, c.ExchangeV1Emitter.abi, 'register', [YES, NO, CONDITION]);
  await send(ADDR.v1Ctf, c.ExchangeV1Emitter.abi, 'fill', [`0x${'07'.repeat(32)}`, WALLET, 0n, YES, 40_000_000n, 100_000_000n]);

  const logs = (await node.provider.request({
    method: 'eth_getLogs',
    params: [{ fromBlock: '0x0', toBlock: 'latest', address: catalogue.addresses, topics: [catalogue.topics] }],
  })) as RpcLog[];
  const times = new Map<string, number>();
  for (const l of logs) {
    if (!times.has(l.blockNumber as string)) {
      const block = (await node.provider.request({ method: 'eth_getBlockByNumber', params: [l.blockNumber, false] })) as { timestamp: string };
      times.set(l.blockNumber as string, Number(BigInt(block.timestamp)));
    }
  }
  const decoded = logs.flatMap((l) => catalogue.decode(l, times.get(l.blockNumber as string) ?? null));
  const receipts = new Map<string, RpcLog[]>();
  for (const hash of catalogue.adapterTransactions(decoded)) {
    const receipt = (await node.provider.request({ method: 'eth_getTransactionReceipt', params: [hash] })) as { logs: RpcLog[] };
    receipts.set(hash, receipt.logs);
  }
  records = catalogue.attributeAdapters(decoded, receipts);
});

afterAll(async () => {
  await node?.close();
});

const rows = <T extends StagedRecord['table']>(table: T) =>
  records.filter((r) => r.table === table).map((r) => r.row as Extract<StagedRecord, { table: T }>['row']);

describe('event catalogue on a real EVM node', () => {
  it('every log the catalogue asked for decodes; transfers were not asked for', () => {
    expect(rows('rejects')).toEqual([]);
    expect(records.map((r) => r.table).sort()).toEqual(
      [
        'conditions',
        'conditions',
        'activity',
        'neg_risk_questions',
        'neg_risk_questions',
        'neg_risk_questions',
        'activity',
        'token_claims',
        'token_claims',
        'token_claims',
        'token_claims',
        'fills',
      ].sort(),
    );
  });

  it('conditions: prepared, then resolved with payouts and their sum', () => {
    const [prepared, resolved] = rows('conditions');
    expect(prepared).toMatchObject({ condition_id: CONDITION, oracle: WALLET, outcome_slot_count: 2, payout_numerators: [], resolved_at: null });
    expect(resolved).toMatchObject({ condition_id: CONDITION, payout_numerators: ['0', '1'], payout_denominator: '1' });
    expect(resolved?.resolved_at).toBeGreaterThan(0);
  });

  it('the adapter split is attributed to the wallet the positions went to', () => {
    const split = rows('activity').find((a) => a.kind === 'split');
    expect(split).toMatchObject({
      transaction_hash: splitTx,
      stakeholder: ADAPTER,
      wallet: WALLET,
      collateral: ADDR.usdce,
      index_sets: ['1', '2'],
      amount: '5000000',
    });
  });

  it('NegRisk questions carry the adapter-prepared condition; the conversion keeps the market id', () => {
    expect(rows('neg_risk_questions').map((q) => [q.question_index, q.question_id])).toEqual([
      [0, `0x${'4d'.repeat(31)}00`],
      [1, `0x${'4d'.repeat(31)}01`],
      [2, `0x${'4d'.repeat(31)}02`],
    ]);
    expect(rows('activity').find((a) => a.kind === 'convert')).toMatchObject({ condition_id: MARKET, index_sets: ['3'], amount: '2000000', wallet: WALLET });
  });

  it('registry claims for both tokens with their outcome, the same from the CTF, and the V1 fill', () => {
    for (const source of ['registry', 'ctf']) {
      expect(
        rows('token_claims')
          .filter((t) => t.source === source)
          .map((t) => [t.token_id, t.complement_id, t.outcome_index]),
      ).toEqual([
        [YES.toString(), NO.toString(), 0],
        [NO.toString(), YES.toString(), 1],
      ]);
    }
    expect(rows('fills')).toEqual([
      expect.objectContaining({ exchange: ADDR.v1Ctf, maker: WALLET, taker: ADDR.v1Ctf, side: 'BUY', token_id: YES.toString(), price: 0.4 }),
    ]);
  });
});
