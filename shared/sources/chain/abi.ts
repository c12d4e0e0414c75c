import { parseAbiItem, toEventSelector, type Address } from 'viem';

/** CTF Exchange V2 on Polygon. */
export const CTF_EXCHANGE_V2: Address = '0xE111180000d2663C0091e4f400237545B87B996B';
/** NegRisk CTF Exchange V2 on Polygon. */
export const NEG_RISK_EXCHANGE_V2: Address = '0xe2222d279d744050d28e00520010520000310F59';
export const V2_EXCHANGES: readonly Address[] = [CTF_EXCHANGE_V2, NEG_RISK_EXCHANGE_V2];
/** CTF Exchange (V1) on Polygon, from block 33,605,403. */
export const CTF_EXCHANGE_V1: Address = '0x4bFb41d5B3570DeFd03C39a9A4D8dE6Bd8B8982E';
/** NegRisk CTF Exchange (V1) on Polygon, from block 50,505,492. */
export const NEG_RISK_EXCHANGE_V1: Address = '0xC5d563A36AE78145C45a50134d48A1215220f80a';
export const V1_EXCHANGES: readonly Address[] = [CTF_EXCHANGE_V1, NEG_RISK_EXCHANGE_V1];
/** First block of the V1 CTF Exchange: where reading V1 fills from the chain starts. */
export const V1_GENESIS_BLOCK = 33_605_403n;
/** First block of the V2 exchanges (CTF Exchange V2 deployment); nothing to read before it. */
export const V2_GENESIS_BLOCK = 84_902_353n;

/** The V2 `OrderFilled` event (ITrading.sol), exactly as the exchanges emit it. */
export const ORDER_FILLED_EVENT = parseAbiItem(
  'event OrderFilled(bytes32 indexed orderHash, address indexed maker, address indexed taker, uint8 side, uint256 tokenId, uint256 makerAmountFilled, uint256 takerAmountFilled, uint256 fee, bytes32 builder, bytes32 metadata)',
);
export const ORDER_FILLED_TOPIC = toEventSelector(ORDER_FILLED_EVENT);
