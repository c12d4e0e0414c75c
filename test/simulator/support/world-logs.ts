import { createPublicClient, decodeEventLog, http, parseAbi, type Abi, type Hex, type Log } from 'viem';
import type { ChainWorld } from '#simulator/world/index.ts';

/**
 * The world's logs, read back over JSON-RPC and decoded with viem against
 * event signatures written out here from the contracts' sources (not the
 * fakes' ABIs), for the world tests to hold against what `expected` says.
 */

// Polymarket/ctf-exchange src/exchange/interfaces/ITrading.sol, IRegistry.sol, IFees.sol
const V1_EXCHANGE = parseAbi([
  'event OrderFilled(bytes32 indexed orderHash, address indexed maker, address indexed taker, uint256 makerAssetId, uint256 takerAssetId, uint256 makerAmountFilled, uint256 takerAmountFilled, uint256 fee)',
  'event OrdersMatched(bytes32 indexed takerOrderHash, address indexed takerOrderMaker, uint256 makerAssetId, uint256 takerAssetId, uint256 makerAmountFilled, uint256 takerAmountFilled)',
  'event TokenRegistered(uint256 indexed token0, uint256 indexed token1, bytes32 indexed conditionId)',
  'event FeeCharged(address indexed receiver, uint256 tokenId, uint256 amount)',
]);
// Polymarket/ctf-exchange-v2 src/exchange/interfaces/ITrading.sol, src/exchange/mixins/Events.sol
export const V2_EXCHANGE = parseAbi([
  'event OrderFilled(bytes32 indexed orderHash, address indexed maker, address indexed taker, uint8 side, uint256 tokenId, uint256 makerAmountFilled, uint256 takerAmountFilled, uint256 fee, bytes32 builder, bytes32 metadata)',
  'event OrdersMatched(bytes32 indexed takerOrderHash, address indexed takerOrderMaker, uint8 side, uint256 tokenId, uint256 makerAmountFilled, uint256 takerAmountFilled)',
  'event FeeCharged(address indexed receiver, uint256 amount)',
]);
// gnosis/conditional-tokens-contracts contracts/ConditionalTokens.sol, contracts/ERC1155/IERC1155.sol
const CTF = parseAbi([
  'event ConditionPreparation(bytes32 indexed conditionId, address indexed oracle, bytes32 indexed questionId, uint256 outcomeSlotCount)',
  'event ConditionResolution(bytes32 indexed conditionId, address indexed oracle, bytes32 indexed questionId, uint256 outcomeSlotCount, uint256[] payoutNumerators)',
  'event PositionSplit(address indexed stakeholder, address collateralToken, bytes32 indexed parentCollectionId, bytes32 indexed conditionId, uint256[] partition, uint256 amount)',
  'event PositionsMerge(address indexed stakeholder, address collateralToken, bytes32 indexed parentCollectionId, bytes32 indexed conditionId, uint256[] partition, uint256 amount)',
  'event PayoutRedemption(address indexed redeemer, address indexed collateralToken, bytes32 indexed parentCollectionId, bytes32 conditionId, uint256[] indexSets, uint256 payout)',
  'event TransferSingle(address indexed operator, address indexed from, address indexed to, uint256 id, uint256 value)',
  'event TransferBatch(address indexed operator, address indexed from, address indexed to, uint256[] ids, uint256[] values)',
]);
// Polymarket/neg-risk-ctf-adapter src/NegRiskAdapter.sol (INegRiskAdapterEE)
const NEG_RISK = parseAbi([
  'event MarketPrepared(bytes32 indexed marketId, address indexed oracle, uint256 feeBips, bytes data)',
  'event QuestionPrepared(bytes32 indexed marketId, bytes32 indexed questionId, uint256 index, bytes data)',
  'event OutcomeReported(bytes32 indexed marketId, bytes32 indexed questionId, bool outcome)',
  'event PositionSplit(address indexed stakeholder, bytes32 indexed conditionId, uint256 amount)',
  'event PositionsMerge(address indexed stakeholder, bytes32 indexed conditionId, uint256 amount)',
  'event PositionsConverted(address indexed stakeholder, bytes32 indexed marketId, uint256 indexed indexSet, uint256 amount)',
  'event PayoutRedemption(address indexed redeemer, bytes32 indexed conditionId, uint256[] amounts, uint256 payout)',
]);

// Polymarket/proxy-factories packages/safe-factory/contracts/SafeProxyFactory.sol (the canonical Gnosis
// ProxyFactory 1.3.0 declares the same event: ProxyCreation(GnosisSafeProxy proxy, address singleton))
const SAFE_FACTORY = parseAbi(['event ProxyCreation(address proxy, address owner)']);
// GSN v1 IRelayHub (RelayCallStatus is a uint8 in the ABI)
const RELAY_HUB = parseAbi([
  'event TransactionRelayed(address indexed relay, address indexed from, address indexed to, bytes4 selector, uint8 status, uint256 charge)',
]);

export const ADDR = {
  v1: '0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e',
  v1NegRisk: '0xc5d563a36ae78145c45a50134d48a1215220f80a',
  v2: '0xe111180000d2663c0091e4f400237545b87b996b',
  v2NegRisk: '0xe2222d279d744050d28e00520010520000310f59',
  ctf: '0x4d97dcd97ec945f40cf65f87097ace5ea0476045',
  negRiskAdapter: '0xd91e80cf2e7be2e162c6513ced06f1dd0da35296',
  usdce: '0x2791bca1f2de4661ed88a30c99a7a9449aa84174',
  wcol: '0x3a3bd7bb9528e159577f7c2e685cc81a765002e2',
  safeFactory: '0xaacfeea03eb1561c4e67d661e40682bd20e3541b',
  gnosisProxyFactory: '0xa6b71e26c5e0845f74c812102ca7114b6a896ab2',
  relayHub: '0xd216153c06e857cd7f72665e0af1d7d82172f494',
  proxyFactory: '0xab45c5a4b0c941a2f231c04c3f49182e1a254052',
} as const;
const ABI_AT: Record<string, { label: string; abi: Abi }> = {
  [ADDR.v1]: { label: 'V1', abi: V1_EXCHANGE },
  [ADDR.v1NegRisk]: { label: 'V1', abi: V1_EXCHANGE },
  [ADDR.v2]: { label: 'V2', abi: V2_EXCHANGE },
  [ADDR.v2NegRisk]: { label: 'V2', abi: V2_EXCHANGE },
  [ADDR.ctf]: { label: 'Ctf', abi: CTF },
  [ADDR.negRiskAdapter]: { label: 'Nr', abi: NEG_RISK },
  [ADDR.safeFactory]: { label: 'Safes', abi: SAFE_FACTORY },
  [ADDR.gnosisProxyFactory]: { label: 'Safes', abi: SAFE_FACTORY },
  [ADDR.relayHub]: { label: 'Hub', abi: RELAY_HUB },
};
/** The world's log kinds, named as "<contract label>.<event>". */
export const KIND_NAME: Record<string, string> = {
  OrderFilledV1: 'V1.OrderFilled',
  OrdersMatchedV1: 'V1.OrdersMatched',
  TokenRegistered: 'V1.TokenRegistered',
  FeeChargedV1: 'V1.FeeCharged',
  OrderFilledV2: 'V2.OrderFilled',
  OrdersMatchedV2: 'V2.OrdersMatched',
  FeeChargedV2: 'V2.FeeCharged',
  ConditionPreparation: 'Ctf.ConditionPreparation',
  ConditionResolution: 'Ctf.ConditionResolution',
  CtfPositionSplit: 'Ctf.PositionSplit',
  CtfPositionsMerge: 'Ctf.PositionsMerge',
  CtfPayoutRedemption: 'Ctf.PayoutRedemption',
  TransferSingle: 'Ctf.TransferSingle',
  TransferBatch: 'Ctf.TransferBatch',
  MarketPrepared: 'Nr.MarketPrepared',
  QuestionPrepared: 'Nr.QuestionPrepared',
  OutcomeReported: 'Nr.OutcomeReported',
  NrPositionSplit: 'Nr.PositionSplit',
  NrPositionsMerge: 'Nr.PositionsMerge',
  NrPositionsConverted: 'Nr.PositionsConverted',
  NrPayoutRedemption: 'Nr.PayoutRedemption',
  SafeProxyCreation: 'Safes.ProxyCreation',
  TransactionRelayed: 'Hub.TransactionRelayed',
};

type Args = Record<string, unknown>;
export interface Decoded {
  name: string;
  address: string;
  args: Args;
  block: number;
  logIndex: number;
  tx: Hex;
  timestamp: number;
}

export const s = (v: unknown): string => String(v).toLowerCase();
export const list = (v: unknown): string[] => (v as bigint[]).map(String);

export async function readWorld(w: ChainWorld, fromBlock: bigint, toBlock: bigint): Promise<Decoded[]> {
  const client = createPublicClient({ transport: http(w.rpcUrl) });
  const logs: Log[] = [];
  // In pages: the whole world's logs are over viem's 10 MB response cap.
  for (let from = fromBlock; from <= toBlock; from += 100n)
    logs.push(...(await client.getLogs({ fromBlock: from, toBlock: from + 99n < toBlock ? from + 99n : toBlock })));
  const times = new Map<bigint, number>();
  for (const b of new Set(logs.map((l) => l.blockNumber as bigint))) times.set(b, Number((await client.getBlock({ blockNumber: b })).timestamp));
  return logs.map((l) => {
    const at = ABI_AT[l.address.toLowerCase()];
    if (!at) throw new Error(`log from an unexpected contract ${l.address}`);
    const d = decodeEventLog({ abi: at.abi, data: l.data, topics: l.topics as [Hex, ...Hex[]] });
    return {
      name: `${at.label}.${d.eventName}`,
      address: l.address.toLowerCase(),
      args: d.args as unknown as Args,
      block: Number(l.blockNumber),
      logIndex: Number(l.logIndex),
      tx: l.transactionHash as Hex,
      timestamp: times.get(l.blockNumber as bigint) as number,
    };
  });
}
