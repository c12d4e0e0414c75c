import { encodeFunctionData, toEventSelector, type Abi, type AbiEvent, type Address, type Hex } from 'viem';
import { compileWorldContracts, type WorldContractName } from '#simulator/chain/compile.ts';
import { WORLD_ACTORS } from './addresses.ts';

/**
 * One log the world asks a fake contract to emit, with the event's own field
 * names (they are also the fakes' struct field names, so a log object encodes
 * as its struct directly). `address` is the emitting contract. Activity logs
 * carry `wallet`: who really moved the positions, known from the script's
 * inputs (a collateral adapter's user, else the stakeholder); it is not emitted.
 */
type L<K extends string, F> = { kind: K; address: Address } & F;

export type OrderFilledV1Log = L<
  'OrderFilledV1',
  {
    orderHash: Hex;
    maker: Address;
    taker: Address;
    makerAssetId: bigint;
    takerAssetId: bigint;
    makerAmountFilled: bigint;
    takerAmountFilled: bigint;
    fee: bigint;
  }
>;
export type OrdersMatchedV1Log = L<
  'OrdersMatchedV1',
  {
    takerOrderHash: Hex;
    takerOrderMaker: Address;
    makerAssetId: bigint;
    takerAssetId: bigint;
    makerAmountFilled: bigint;
    takerAmountFilled: bigint;
  }
>;
export type TokenRegisteredLog = L<'TokenRegistered', { token0: bigint; token1: bigint; conditionId: Hex }>;
export type FeeChargedV1Log = L<'FeeChargedV1', { receiver: Address; tokenId: bigint; amount: bigint }>;
export type OrderFilledV2Log = L<
  'OrderFilledV2',
  {
    orderHash: Hex;
    maker: Address;
    taker: Address;
    side: 0 | 1;
    tokenId: bigint;
    makerAmountFilled: bigint;
    takerAmountFilled: bigint;
    fee: bigint;
    builder: Hex;
    metadata: Hex;
  }
>;
export type OrdersMatchedV2Log = L<
  'OrdersMatchedV2',
  {
    takerOrderHash: Hex;
    takerOrderMaker: Address;
    side: 0 | 1;
    tokenId: bigint;
    makerAmountFilled: bigint;
    takerAmountFilled: bigint;
  }
>;
export type FeeChargedV2Log = L<'FeeChargedV2', { receiver: Address; amount: bigint }>;
export type ConditionPreparationLog = L<'ConditionPreparation', { conditionId: Hex; oracle: Address; questionId: Hex; outcomeSlotCount: bigint }>;
export type ConditionResolutionLog = L<
  'ConditionResolution',
  {
    conditionId: Hex;
    oracle: Address;
    questionId: Hex;
    outcomeSlotCount: bigint;
    payoutNumerators: bigint[];
  }
>;
type CtfPosition = {
  stakeholder: Address;
  collateralToken: Address;
  parentCollectionId: Hex;
  conditionId: Hex;
  partition: bigint[];
  amount: bigint;
  wallet: Address;
};
export type CtfPositionSplitLog = L<'CtfPositionSplit', CtfPosition>;
export type CtfPositionsMergeLog = L<'CtfPositionsMerge', CtfPosition>;
export type CtfPayoutRedemptionLog = L<
  'CtfPayoutRedemption',
  {
    redeemer: Address;
    collateralToken: Address;
    parentCollectionId: Hex;
    conditionId: Hex;
    indexSets: bigint[];
    payout: bigint;
    wallet: Address;
  }
>;
export type TransferSingleLog = L<'TransferSingle', { operator: Address; from: Address; to: Address; id: bigint; value: bigint }>;
export type TransferBatchLog = L<'TransferBatch', { operator: Address; from: Address; to: Address; ids: bigint[]; values: bigint[] }>;
export type MarketPreparedLog = L<'MarketPrepared', { marketId: Hex; oracle: Address; feeBips: bigint; data: Hex }>;
export type QuestionPreparedLog = L<'QuestionPrepared', { marketId: Hex; questionId: Hex; index: bigint; data: Hex }>;
export type OutcomeReportedLog = L<'OutcomeReported', { marketId: Hex; questionId: Hex; outcome: boolean }>;
type NrPosition = { stakeholder: Address; conditionId: Hex; amount: bigint; wallet: Address };
export type NrPositionSplitLog = L<'NrPositionSplit', NrPosition>;
export type NrPositionsMergeLog = L<'NrPositionsMerge', NrPosition>;
export type NrPositionsConvertedLog = L<'NrPositionsConverted', { stakeholder: Address; marketId: Hex; indexSet: bigint; amount: bigint; wallet: Address }>;
export type NrPayoutRedemptionLog = L<'NrPayoutRedemption', { redeemer: Address; conditionId: Hex; amounts: bigint[]; payout: bigint; wallet: Address }>;
export type SafeProxyCreationLog = L<'SafeProxyCreation', { proxy: Address; owner: Address }>;
/** A relayed call; `wallet` (not emitted) is the proxy wallet the script made for `from` when the call creates one. */
export type TransactionRelayedLog = L<
  'TransactionRelayed',
  { relay: Address; from: Address; to: Address; selector: Hex; status: number; charge: bigint; wallet: Address | null }
>;

export type WorldLog =
  | OrderFilledV1Log
  | OrdersMatchedV1Log
  | TokenRegisteredLog
  | FeeChargedV1Log
  | OrderFilledV2Log
  | OrdersMatchedV2Log
  | FeeChargedV2Log
  | ConditionPreparationLog
  | ConditionResolutionLog
  | CtfPositionSplitLog
  | CtfPositionsMergeLog
  | CtfPayoutRedemptionLog
  | TransferSingleLog
  | TransferBatchLog
  | MarketPreparedLog
  | QuestionPreparedLog
  | OutcomeReportedLog
  | NrPositionSplitLog
  | NrPositionsMergeLog
  | NrPositionsConvertedLog
  | NrPayoutRedemptionLog
  | SafeProxyCreationLog
  | TransactionRelayedLog;

export type LogKind = WorldLog['kind'];
export type LogOf<K extends LogKind> = Extract<WorldLog, { kind: K }>;

/** Which fake emits a kind, through which batch function, as which declared event. */
const SPECS: Record<LogKind, { contract: WorldContractName; fn: string; event: string }> = {
  OrderFilledV1: { contract: 'FakeExchangeV1', fn: 'emitFills', event: 'OrderFilled' },
  OrdersMatchedV1: { contract: 'FakeExchangeV1', fn: 'emitMatches', event: 'OrdersMatched' },
  TokenRegistered: { contract: 'FakeExchangeV1', fn: 'emitRegistrations', event: 'TokenRegistered' },
  FeeChargedV1: { contract: 'FakeExchangeV1', fn: 'emitFees', event: 'FeeCharged' },
  OrderFilledV2: { contract: 'FakeExchangeV2Full', fn: 'emitFills', event: 'OrderFilled' },
  OrdersMatchedV2: { contract: 'FakeExchangeV2Full', fn: 'emitMatches', event: 'OrdersMatched' },
  FeeChargedV2: { contract: 'FakeExchangeV2Full', fn: 'emitFees', event: 'FeeCharged' },
  ConditionPreparation: { contract: 'FakeCtf', fn: 'emitPreparations', event: 'ConditionPreparation' },
  ConditionResolution: { contract: 'FakeCtf', fn: 'emitResolutions', event: 'ConditionResolution' },
  CtfPositionSplit: { contract: 'FakeCtf', fn: 'emitSplits', event: 'PositionSplit' },
  CtfPositionsMerge: { contract: 'FakeCtf', fn: 'emitMerges', event: 'PositionsMerge' },
  CtfPayoutRedemption: { contract: 'FakeCtf', fn: 'emitRedemptions', event: 'PayoutRedemption' },
  TransferSingle: { contract: 'FakeCtf', fn: 'emitTransferSingles', event: 'TransferSingle' },
  TransferBatch: { contract: 'FakeCtf', fn: 'emitTransferBatches', event: 'TransferBatch' },
  MarketPrepared: { contract: 'FakeNegRiskAdapter', fn: 'emitMarkets', event: 'MarketPrepared' },
  QuestionPrepared: { contract: 'FakeNegRiskAdapter', fn: 'emitQuestions', event: 'QuestionPrepared' },
  OutcomeReported: { contract: 'FakeNegRiskAdapter', fn: 'emitOutcomes', event: 'OutcomeReported' },
  NrPositionSplit: { contract: 'FakeNegRiskAdapter', fn: 'emitSplits', event: 'PositionSplit' },
  NrPositionsMerge: { contract: 'FakeNegRiskAdapter', fn: 'emitMerges', event: 'PositionsMerge' },
  NrPositionsConverted: { contract: 'FakeNegRiskAdapter', fn: 'emitConversions', event: 'PositionsConverted' },
  NrPayoutRedemption: { contract: 'FakeNegRiskAdapter', fn: 'emitRedemptions', event: 'PayoutRedemption' },
  SafeProxyCreation: { contract: 'FakeSafeFactory', fn: 'emitCreations', event: 'ProxyCreation' },
  TransactionRelayed: { contract: 'FakeRelayHub', fn: 'emitRelayed', event: 'TransactionRelayed' },
};

export const LOG_KINDS = Object.keys(SPECS) as LogKind[];

export function contractOf(kind: LogKind): WorldContractName {
  return SPECS[kind].contract;
}

function eventAbi(kind: LogKind): AbiEvent {
  const { contract, event } = SPECS[kind];
  const item = (compileWorldContracts()[contract].abi as Abi).find((x): x is AbiEvent => x.type === 'event' && x.name === event);
  if (!item) throw new Error(`${contract} declares no event ${event}`);
  return item;
}

let topics: Map<LogKind, Hex> | undefined;

/** topic0 of each kind, from the event the fake declares. */
export function topicOf(kind: LogKind): Hex {
  topics ??= new Map(LOG_KINDS.map((k) => [k, toEventSelector(eventAbi(k))]));
  return topics.get(kind) as Hex;
}

/**
 * Calldata of one transaction that emits `logs` in this order: the batcher
 * calls each fake once per run of consecutive logs of one kind and address.
 */
export function encodeTransaction(logs: readonly WorldLog[]): { to: Address; data: Hex } {
  const compiled = compileWorldContracts();
  const calls: { target: Address; data: Hex }[] = [];
  for (let i = 0; i < logs.length;) {
    const first = logs[i] as WorldLog;
    let j = i + 1;
    while (j < logs.length && logs[j]?.kind === first.kind && logs[j]?.address === first.address) j++;
    const spec = SPECS[first.kind];
    const data = encodeFunctionData({ abi: compiled[spec.contract].abi, functionName: spec.fn, args: [logs.slice(i, j)] });
    calls.push({ target: first.address, data });
    i = j;
  }
  return { to: WORLD_ACTORS.batcher, data: encodeFunctionData({ abi: compiled.FakeBatcher.abi, functionName: 'run', args: [calls] }) };
}
