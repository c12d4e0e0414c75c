/** The entities the simulated subgraph serves, their fields, and graph-node's collection arguments and limits. */
export type FieldKind = 'id' | 'string' | 'bytes' | 'bigint' | 'bigdecimal';
export type EntityRow = object;

export interface EntitySpec {
  name: string;
  fields: Record<string, FieldKind>;
  nullable?: readonly string[];
}

export const FILL_SPEC: EntitySpec = {
  name: 'OrderFilledEvent',
  fields: {
    id: 'id',
    transactionHash: 'bytes',
    timestamp: 'bigint',
    orderHash: 'bytes',
    maker: 'string',
    taker: 'string',
    makerAssetId: 'string',
    takerAssetId: 'string',
    makerAmountFilled: 'bigint',
    takerAmountFilled: 'bigint',
    fee: 'bigint',
  },
};

export const ORDERBOOK_SPEC: EntitySpec = {
  name: 'Orderbook',
  fields: {
    id: 'id',
    tradesQuantity: 'bigint',
    buysQuantity: 'bigint',
    sellsQuantity: 'bigint',
    collateralVolume: 'bigint',
    scaledCollateralVolume: 'bigdecimal',
    collateralBuyVolume: 'bigint',
    scaledCollateralBuyVolume: 'bigdecimal',
    collateralSellVolume: 'bigint',
    scaledCollateralSellVolume: 'bigdecimal',
  },
};

export const MARKET_DATA_SPEC: EntitySpec = {
  name: 'MarketData',
  fields: { id: 'id', condition: 'string', outcomeIndex: 'bigint' },
  nullable: ['outcomeIndex'],
};

export const FILTER_OPS = ['', '_not', '_gt', '_gte', '_lt', '_lte', '_in', '_not_in'] as const;
export type Op = (typeof FILTER_OPS)[number];

export const MAX_FIRST = 1000;
export const MAX_SKIP = 5000;

export interface CollectionArgs {
  first?: number | null;
  skip?: number | null;
  orderBy?: string | null;
  orderDirection?: 'asc' | 'desc' | null;
  where?: Record<string, unknown> | null;
}

/**
 * How rows that tie on orderBy are ordered. Current graph-node orders
 * `order by <col> <dir>, id <dir>` (its "reversible order by"); older
 * releases (GRAPH_STORE_REVERSIBLE_ORDER_BY_OFF) used `id` ascending.
 */
export type TieBreak = 'same-direction' | 'asc';

export interface OrderbookRow {
  id: string;
  tradesQuantity: string;
  buysQuantity: string;
  sellsQuantity: string;
  collateralVolume: string;
  scaledCollateralVolume: string;
  collateralBuyVolume: string;
  scaledCollateralBuyVolume: string;
  collateralSellVolume: string;
  scaledCollateralSellVolume: string;
}

export interface MarketDataRow {
  id: string;
  condition: string;
  outcomeIndex: string | null;
}
