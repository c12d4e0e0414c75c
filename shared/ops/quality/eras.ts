import { V1_EXCHANGES as V1, V2_EXCHANGES as V2 } from '#shared/sources/chain/events/addresses.ts';

/**
 * Which exchange contracts make up each era, lower-case as `fills.exchange`
 * stores them (the project's address book, shared/sources/chain/events/addresses.ts).
 * V2 here is the two CTF exchanges that replaced V1 on 2026-04-28; the
 * Protocol V2 exchange trades other assets and is not part of the seam.
 */
export const V1_EXCHANGES: readonly string[] = V1.map((a) => a.toLowerCase());
export const V2_EXCHANGE_ADDRESSES: readonly string[] = V2.map((a) => a.toLowerCase());

/**
 * SQL predicates over `fills`. A V1 fill came from a V1 exchange, or from the
 * orderbook subgraph (which indexes only V1 and records no exchange). A V2
 * fill came from a V2 exchange. Both take the lists as parameters.
 */
export const IS_V1 = `(source = 'subgraph' OR exchange IN {v1:Array(String)})`;
export const IS_V2 = `(exchange IN {v2:Array(String)})`;
export const ERA_PARAMS = { v1: V1_EXCHANGES, v2: V2_EXCHANGE_ADDRESSES };
