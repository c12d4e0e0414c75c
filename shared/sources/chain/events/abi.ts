import { parseAbiItem, toEventSelector, type AbiEvent, type Hex } from 'viem';

/**
 * Every event the chain source reads, written as the contracts declare them
 * (`uint` is `uint256`, `IERC20` is `address`). Each comment names the
 * repository and file the signature was checked in.
 */

// --- Exchanges, V1 -----------------------------------------------------------

/** Polymarket/ctf-exchange src/exchange/interfaces/ITrading.sol (ITradingEE), emitted by mixins/Trading.sol. */
export const V1_ORDER_FILLED_EVENT = parseAbiItem(
  'event OrderFilled(bytes32 indexed orderHash, address indexed maker, address indexed taker, uint256 makerAssetId, uint256 takerAssetId, uint256 makerAmountFilled, uint256 takerAmountFilled, uint256 fee)',
);

/**
 * Polymarket/ctf-exchange src/exchange/interfaces/IRegistry.sol. mixins/Registry.sol
 * `_registerToken` emits it twice per pair, (token0, token1) then (token1, token0),
 * so each event announces its `token0`. NegRiskCtfExchange (Polymarket/neg-risk-ctf-adapter
 * src/NegRiskCtfExchange.sol) inherits the same registry. The V2 exchanges have no
 * registry (ctf-exchange-v2 README, "Removed Features: Registry").
 */
export const TOKEN_REGISTERED_EVENT = parseAbiItem('event TokenRegistered(uint256 indexed token0, uint256 indexed token1, bytes32 indexed conditionId)');

// --- ConditionalTokens (gnosis/conditional-tokens-contracts contracts/ConditionalTokens.sol) ---

export const CONDITION_PREPARATION_EVENT = parseAbiItem(
  'event ConditionPreparation(bytes32 indexed conditionId, address indexed oracle, bytes32 indexed questionId, uint256 outcomeSlotCount)',
);
export const CONDITION_RESOLUTION_EVENT = parseAbiItem(
  'event ConditionResolution(bytes32 indexed conditionId, address indexed oracle, bytes32 indexed questionId, uint256 outcomeSlotCount, uint256[] payoutNumerators)',
);
export const CTF_POSITION_SPLIT_EVENT = parseAbiItem(
  'event PositionSplit(address indexed stakeholder, address collateralToken, bytes32 indexed parentCollectionId, bytes32 indexed conditionId, uint256[] partition, uint256 amount)',
);
export const CTF_POSITIONS_MERGE_EVENT = parseAbiItem(
  'event PositionsMerge(address indexed stakeholder, address collateralToken, bytes32 indexed parentCollectionId, bytes32 indexed conditionId, uint256[] partition, uint256 amount)',
);
export const CTF_PAYOUT_REDEMPTION_EVENT = parseAbiItem(
  'event PayoutRedemption(address indexed redeemer, address indexed collateralToken, bytes32 indexed parentCollectionId, bytes32 conditionId, uint256[] indexSets, uint256 payout)',
);
/** ERC-1155, gnosis/conditional-tokens-contracts contracts/ERC1155/IERC1155.sol. */
export const TRANSFER_SINGLE_EVENT = parseAbiItem(
  'event TransferSingle(address indexed operator, address indexed from, address indexed to, uint256 id, uint256 value)',
);
export const TRANSFER_BATCH_EVENT = parseAbiItem(
  'event TransferBatch(address indexed operator, address indexed from, address indexed to, uint256[] ids, uint256[] values)',
);

// --- NegRiskAdapter (Polymarket/neg-risk-ctf-adapter src/NegRiskAdapter.sol, INegRiskAdapterEE) ---

export const NR_POSITION_SPLIT_EVENT = parseAbiItem('event PositionSplit(address indexed stakeholder, bytes32 indexed conditionId, uint256 amount)');
export const NR_POSITIONS_MERGE_EVENT = parseAbiItem('event PositionsMerge(address indexed stakeholder, bytes32 indexed conditionId, uint256 amount)');
export const NR_PAYOUT_REDEMPTION_EVENT = parseAbiItem(
  'event PayoutRedemption(address indexed redeemer, bytes32 indexed conditionId, uint256[] amounts, uint256 payout)',
);
export const NR_POSITIONS_CONVERTED_EVENT = parseAbiItem(
  'event PositionsConverted(address indexed stakeholder, bytes32 indexed marketId, uint256 indexed indexSet, uint256 amount)',
);
export const NR_MARKET_PREPARED_EVENT = parseAbiItem('event MarketPrepared(bytes32 indexed marketId, address indexed oracle, uint256 feeBips, bytes data)');
export const NR_QUESTION_PREPARED_EVENT = parseAbiItem(
  'event QuestionPrepared(bytes32 indexed marketId, bytes32 indexed questionId, uint256 index, bytes data)',
);

export const topicOf = (event: AbiEvent): Hex => toEventSelector(event);

export const TOPICS = {
  v1OrderFilled: topicOf(V1_ORDER_FILLED_EVENT),
  tokenRegistered: topicOf(TOKEN_REGISTERED_EVENT),
  conditionPreparation: topicOf(CONDITION_PREPARATION_EVENT),
  conditionResolution: topicOf(CONDITION_RESOLUTION_EVENT),
  ctfPositionSplit: topicOf(CTF_POSITION_SPLIT_EVENT),
  ctfPositionsMerge: topicOf(CTF_POSITIONS_MERGE_EVENT),
  ctfPayoutRedemption: topicOf(CTF_PAYOUT_REDEMPTION_EVENT),
  transferSingle: topicOf(TRANSFER_SINGLE_EVENT),
  transferBatch: topicOf(TRANSFER_BATCH_EVENT),
  nrPositionSplit: topicOf(NR_POSITION_SPLIT_EVENT),
  nrPositionsMerge: topicOf(NR_POSITIONS_MERGE_EVENT),
  nrPayoutRedemption: topicOf(NR_PAYOUT_REDEMPTION_EVENT),
  nrPositionsConverted: topicOf(NR_POSITIONS_CONVERTED_EVENT),
  nrMarketPrepared: topicOf(NR_MARKET_PREPARED_EVENT),
  nrQuestionPrepared: topicOf(NR_QUESTION_PREPARED_EVENT),
} as const;
