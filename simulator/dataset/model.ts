/** What a simulated dataset is: its markets, fills and the constants of the V1 era they imitate. */
import { CTF_EXCHANGE_V1, NEG_RISK_EXCHANGE_V1, USDC_E, WRAPPED_COLLATERAL } from '#shared/sources/chain/events/addresses.ts';
import type { ListCoverage, ListCoverageOptions } from '#simulator/market-lists.ts';

export interface SimToken {
  tokenId: string;
  outcome: string;
}

export interface SimMarket {
  /** 0x + 64 lower-case hex. */
  conditionId: string;
  questionId: string;
  question: string;
  slug: string;
  endDateIso: string | null;
  closed: boolean;
  active: boolean;
  negRisk: boolean;
  /** 0x + 64 hex shared by the markets of one neg-risk event; "" otherwise. */
  negRiskMarketId: string;
  /**
   * [Yes, No]: decimal CTF position ids of outcome 0 and 1, held against
   * USDC.e for plain markets and against WrappedCollateral for neg-risk ones,
   * so a token id says which condition and outcome it is, as on chain.
   */
  tokens: [SimToken, SimToken];
  /**
   * The outcome that won, when the market's resolution is known (the chain
   * world's payouts); null: resolved without a single winner. Unset: the
   * market lists make their closed markets' winners up.
   */
  winnerIndex?: number | null;
}

export interface SimFill {
  /** transactionHash + '_' + orderHash */
  id: string;
  transactionHash: string;
  /** unix seconds */
  timestamp: number;
  orderHash: string;
  maker: string;
  taker: string;
  makerAssetId: string;
  takerAssetId: string;
  makerAmountFilled: string;
  takerAmountFilled: string;
  fee: string;
}

export interface BurstInfo {
  timestamp: number;
  /** Fills at that timestamp (at least the requested size). */
  size: number;
  /** The market most of the burst is on. */
  conditionId: string;
}

export interface Dataset {
  seed: number;
  markets: SimMarket[];
  /** Sorted by timestamp ascending (ties in generation order). */
  fills: SimFill[];
  burst: BurstInfo | null;
  /** Bumped by every mutation (extendDataset); servers re-index when it changes. */
  version: number;
  /** What each market list omits or gets wrong; absent: every list knows every market, correctly. */
  lists?: ListCoverage;
}

export interface GenerateOptions {
  seed: number;
  markets: number;
  fills: number;
  /** unix seconds; default 2022-11-21T00:00:00Z */
  startTime?: number;
  /** unix seconds; default 2026-04-28T11:00:00Z (before the subgraph's last fill) */
  endTime?: number;
  /** Fills sharing one timestamp. Default 3000 when fills >= 50k, else 6% of fills. `false` for none. */
  burst?: { size: number } | false;
  /** Share of all fills held by the heaviest market. Default 0.10. */
  topShare?: number;
  /** Share of markets that are closed. Default 0.6. */
  closedShare?: number;
  /** Share of markets that are neg-risk. Default 0.25. */
  negRiskShare?: number;
  /** Make the market lists incomplete and, on request, wrong (see market-lists.ts). Default: complete and right. */
  lists?: ListCoverageOptions;
}

export interface ExtendOptions {
  seed: number;
  newMarkets: number;
  newFills: number;
  /** New fills are strictly later than this and than every existing fill. */
  after?: number;
  /** Seconds the new fills spread over. Default 600. */
  span?: number;
}

export const V1_START = Date.UTC(2022, 10, 21) / 1000;
export const V1_DEFAULT_END = Date.UTC(2026, 3, 28, 11, 0, 0) / 1000;
/** The orderbook subgraph's last fill: 2026-04-28T11:00:40Z. */
export const V1_LAST_FILL = Date.UTC(2026, 3, 28, 11, 0, 40) / 1000;
/** The V1 exchanges the fills take place on; USDC.e and WrappedCollateral are the collateral of plain and neg-risk markets' positions. */
export { CTF_EXCHANGE_V1 as CTF_EXCHANGE, NEG_RISK_EXCHANGE_V1 as NEG_RISK_EXCHANGE, USDC_E, WRAPPED_COLLATERAL };
export const USDC_ASSET_ID = '0';

/** The token id a fill trades (its non-USDC leg). */
export function fillTokenId(f: SimFill): string {
  return f.makerAssetId === USDC_ASSET_ID ? f.takerAssetId : f.makerAssetId;
}

/** token id -> { market, outcomeIndex } */
export function tokenMap(ds: Dataset): Map<string, { market: SimMarket; outcomeIndex: number }> {
  const out = new Map<string, { market: SimMarket; outcomeIndex: number }>();
  for (const market of ds.markets) {
    market.tokens.forEach((t, outcomeIndex) => out.set(t.tokenId, { market, outcomeIndex }));
  }
  return out;
}
