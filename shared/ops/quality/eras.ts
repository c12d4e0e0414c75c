import { V2_EXCHANGES } from '../../sources/chain/abi.ts';

/**
 * Which exchange contracts make up each era, lower-case as `fills.exchange`
 * stores them. V1: CTF Exchange and NegRisk CTF Exchange (Polymarket's
 * contract list, docs.polymarket.com/resources/contract-addresses); V2: the
 * exchanges the chain source reads (shared/sources/chain/abi.ts).
 */
export const V1_EXCHANGES: readonly string[] = ['0x4bfb41d5b3570defd03c39a9a4d8de6bd8b8982e', '0xc5d563a36ae78145c45a50134d48a1215220f80a'];
export const V2_EXCHANGE_ADDRESSES: readonly string[] = V2_EXCHANGES.map((a) => a.toLowerCase());

/**
 * SQL predicates over `fills`. A V1 fill came from a V1 exchange, or from the
 * orderbook subgraph (which indexes only V1 and records no exchange). A V2
 * fill came from a V2 exchange. Both take the lists as parameters.
 */
export const IS_V1 = `(source = 'subgraph' OR exchange IN {v1:Array(String)})`;
export const IS_V2 = `(exchange IN {v2:Array(String)})`;
export const ERA_PARAMS = { v1: V1_EXCHANGES, v2: V2_EXCHANGE_ADDRESSES };
