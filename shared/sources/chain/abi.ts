import { parseAbiItem, toEventSelector } from 'viem';

export {
  CTF_EXCHANGE_V1,
  CTF_EXCHANGE_V2,
  NEG_RISK_EXCHANGE_V1,
  NEG_RISK_EXCHANGE_V2,
  V1_EXCHANGES,
  V1_GENESIS_BLOCK,
  V2_EXCHANGES,
  V2_GENESIS_BLOCK,
} from './events/addresses.ts';

/** The V2 `OrderFilled` event (ITrading.sol), exactly as the exchanges emit it. */
export const ORDER_FILLED_EVENT = parseAbiItem(
  'event OrderFilled(bytes32 indexed orderHash, address indexed maker, address indexed taker, uint8 side, uint256 tokenId, uint256 makerAmountFilled, uint256 takerAmountFilled, uint256 fee, bytes32 builder, bytes32 metadata)',
);
export const ORDER_FILLED_TOPIC = toEventSelector(ORDER_FILLED_EVENT);
