import { encodeAbiParameters, encodeEventTopics, parseAbiItem, type AbiEvent, type Hex } from 'viem';
import type { RpcLog } from '#shared/sources/chain/decode.ts';
import type { StagedRecord } from '#shared/model/staged.ts';
import type { ActivityRow } from '#shared/model/ledger.ts';

/**
 * Event declarations written out here, apart from the code under test, from
 * the contracts' sources: Polymarket/ctf-exchange (ITrading.sol, IRegistry.sol),
 * gnosis/conditional-tokens-contracts (ConditionalTokens.sol, IERC1155.sol),
 * Polymarket/neg-risk-ctf-adapter (NegRiskAdapter.sol).
 */
export const SIG = {
  v1OrderFilled:
    'event OrderFilled(bytes32 indexed orderHash, address indexed maker, address indexed taker, uint256 makerAssetId, uint256 takerAssetId, uint256 makerAmountFilled, uint256 takerAmountFilled, uint256 fee)',
  tokenRegistered: 'event TokenRegistered(uint256 indexed token0, uint256 indexed token1, bytes32 indexed conditionId)',
  conditionPreparation: 'event ConditionPreparation(bytes32 indexed conditionId, address indexed oracle, bytes32 indexed questionId, uint outcomeSlotCount)',
  conditionResolution:
    'event ConditionResolution(bytes32 indexed conditionId, address indexed oracle, bytes32 indexed questionId, uint outcomeSlotCount, uint[] payoutNumerators)',
  ctfSplit:
    'event PositionSplit(address indexed stakeholder, address collateralToken, bytes32 indexed parentCollectionId, bytes32 indexed conditionId, uint[] partition, uint amount)',
  ctfMerge:
    'event PositionsMerge(address indexed stakeholder, address collateralToken, bytes32 indexed parentCollectionId, bytes32 indexed conditionId, uint[] partition, uint amount)',
  ctfRedeem:
    'event PayoutRedemption(address indexed redeemer, address indexed collateralToken, bytes32 indexed parentCollectionId, bytes32 conditionId, uint[] indexSets, uint payout)',
  transferSingle: 'event TransferSingle(address indexed operator, address indexed from, address indexed to, uint256 id, uint256 value)',
  transferBatch: 'event TransferBatch(address indexed operator, address indexed from, address indexed to, uint256[] ids, uint256[] values)',
  nrSplit: 'event PositionSplit(address indexed stakeholder, bytes32 indexed conditionId, uint256 amount)',
  nrMerge: 'event PositionsMerge(address indexed stakeholder, bytes32 indexed conditionId, uint256 amount)',
  nrRedeem: 'event PayoutRedemption(address indexed redeemer, bytes32 indexed conditionId, uint256[] amounts, uint256 payout)',
  nrConverted: 'event PositionsConverted(address indexed stakeholder, bytes32 indexed marketId, uint256 indexed indexSet, uint256 amount)',
  nrMarketPrepared: 'event MarketPrepared(bytes32 indexed marketId, address indexed oracle, uint256 feeBips, bytes data)',
  nrQuestionPrepared: 'event QuestionPrepared(bytes32 indexed marketId, bytes32 indexed questionId, uint256 index, bytes data)',
} as const;

export const event = (signature: string): AbiEvent => parseAbiItem(signature) as AbiEvent;

/** Polygon addresses as DATA.md lists them, lower-case. */
export const ADDR = {
  v1Ctf: '0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e',
  v1NegRisk: '0xc5d563a36ae78145c45a50134d48a1215220f80a',
  v2Ctf: '0xe111180000d2663c0091e4f400237545b87b996b',
  v2NegRisk: '0xe2222d279d744050d28e00520010520000310f59',
  ctf: '0x4d97dcd97ec945f40cf65f87097ace5ea0476045',
  negRiskAdapter: '0xd91e80cf2e7be2e162c6513ced06f1dd0da35296',
  usdce: '0x2791bca1f2de4661ed88a30c99a7a9449aa84174',
  wcol: '0x3a3bd7bb9528e159577f7c2e685cc81a765002e2',
} as const;

export const TX = `0x${'ab'.repeat(31)}01` as const;
export const BLOCK = 60_000_123;
export const TIME = 1_750_000_000;

let nextLogIndex = 0;

/** A wire log of `signature` at `address` with `args` (indexed ones become topics), at TX / BLOCK. */
export function makeLog(signature: string, address: string, args: Record<string, unknown>, over: Partial<RpcLog> = {}): RpcLog {
  const abi = event(signature);
  const indexedArgs = Object.fromEntries(abi.inputs.filter((i) => i.indexed).map((i) => [i.name as string, args[i.name as string]]));
  const topics = encodeEventTopics({ abi: [abi], eventName: abi.name, args: indexedArgs } as never) as Hex[];
  const plain = abi.inputs.filter((i) => !i.indexed);
  const data = encodeAbiParameters(plain, plain.map((i) => args[i.name as string]) as never);
  return {
    address,
    topics,
    data,
    blockNumber: `0x${BLOCK.toString(16)}`,
    blockHash: `0x${'99'.repeat(32)}`,
    transactionHash: TX,
    logIndex: `0x${(nextLogIndex++ % 500).toString(16)}`,
    ...over,
  };
}

/** The single record a decoder returned, asserting its table. */
type RowOf<T extends StagedRecord['table']> = Extract<StagedRecord, { table: T }>['row'];

export function only<T extends StagedRecord['table']>(records: StagedRecord[], table: T): RowOf<T> {
  if (records.length !== 1) throw new Error(`expected one record, got ${records.length}: ${JSON.stringify(records)}`);
  const record: StagedRecord = records[0] as StagedRecord;
  if (record.table !== table) throw new Error(`expected a ${table} record, got ${JSON.stringify(record)}`);
  return record.row as unknown as RowOf<T>;
}

/** The reason of the single reject a decoder returned. */
export function rejectReason(records: StagedRecord[]): string {
  return only(records, 'rejects').reason;
}

type ActivityFields = Omit<ActivityRow, 'event_id' | 'amounts' | 'block_number' | 'log_index' | 'timestamp' | 'transaction_hash'> & { amounts?: string[] };

/** The activity row a decoder stages for a log at `logIndex` of the shared test transaction (TX, BLOCK, TIME). */
export function activityRowAt(logIndex: number, fields: ActivityFields): ActivityRow {
  return { event_id: `${TX}_${logIndex}`, amounts: [], ...fields, block_number: BLOCK, log_index: logIndex, timestamp: TIME, transaction_hash: TX };
}
