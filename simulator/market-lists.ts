/**
 * Which market lists know which simulated markets, and where a list is wrong.
 *
 * Real market lists are incomplete: the CLOB list drops some old and some
 * brand-new markets, Gamma knows some of those but lacks others, and the
 * orderbook subgraph keeps a `MarketData` per registered token but no outcome
 * index (Polymarket/polymarket-subgraph, orderbook-subgraph/src/ExchangeMapping.ts,
 * handleTokenRegistered sets only `condition`). A list can also be wrong: a
 * token claimed for another condition or outcome. This module draws such a
 * coverage for a dataset, from its own random stream (the fills and markets
 * of a seed stay the same whether coverage is on or off), and tells each
 * simulated server what its list shows.
 */
import type { Dataset, SimMarket, SimToken } from './dataset.ts';
import { Rng, mixSeed } from './rng.ts';

export const MARKET_LISTS = ['clob', 'gamma', 'subgraph'] as const;
export type MarketList = (typeof MARKET_LISTS)[number];

/** `condition`: the list swaps the Yes tokens of two markets; `outcome`: it swaps a market's Yes and No. */
export type DisagreementKind = 'condition' | 'outcome';

export interface DisagreementRequest {
  list: MarketList;
  kind: DisagreementKind;
}

export interface ListCoverageOptions {
  /** Share of markets the CLOB list lacks, half among the first to trade and half among the last. Default 0.06. */
  clobMissShare?: number;
  /** Share of the CLOB's missing markets that Gamma knows. Default 0.5. */
  gammaKnowsClobMissingShare?: number;
  /** Share of the markets the CLOB list has that Gamma lacks. Default 0.1. */
  gammaMissShare?: number;
  /** Share of markets whose tokens the subgraph's marketDatas lack. Default 0 (it has every registered token). */
  subgraphMissShare?: number;
  /** Whether marketDatas carry outcomeIndex; the real orderbook subgraph leaves it null. Default false. */
  subgraphOutcomeIndexes?: boolean;
  /** Wrong claims to inject, each on markets every list knows when there are such. Default none. */
  disagreements?: DisagreementRequest[];
}

/** What one list says about one token. */
export interface ListClaim {
  tokenId: string;
  conditionId: string;
  outcomeIndex: number;
}

export interface Disagreement {
  list: MarketList;
  kind: DisagreementKind;
  /** The markets whose tokens the list shows swapped. */
  conditionIds: string[];
  /** What the list claims for each token it gets wrong (the truth is in `Dataset.markets`). */
  claims: ListClaim[];
}

export interface ListCoverage {
  options: ListCoverageOptions;
  /** Condition ids each list leaves out. */
  omitted: Record<MarketList, Set<string>>;
  disagreements: Disagreement[];
  /** Per list, the tokens it shows for the markets a disagreement touches, by condition id. */
  shown: Record<MarketList, Map<string, SimToken[]>>;
}

function emptyCoverage(options: ListCoverageOptions): ListCoverage {
  return {
    options,
    omitted: { clob: new Set(), gamma: new Set(), subgraph: new Set() },
    disagreements: [],
    shown: { clob: new Map(), gamma: new Map(), subgraph: new Map() },
  };
}

/** Markets from `from` on, ordered by their first fill (then by index): the start is old, the end new. */
function byFirstTrade(ds: Dataset, from: number): SimMarket[] {
  const marketOf = new Map<string, number>();
  for (let i = from; i < ds.markets.length; i++) for (const t of ds.markets[i]!.tokens) marketOf.set(t.tokenId, i);
  // Fills are in timestamp order, so a market's first fill is its first trade.
  const first = new Map<number, number>();
  for (const f of ds.fills) {
    const i = marketOf.get(f.makerAssetId) ?? marketOf.get(f.takerAssetId);
    if (i !== undefined && !first.has(i)) {
      first.set(i, f.timestamp);
      if (first.size === marketOf.size / 2) break;
    }
  }
  const indexes = Array.from({ length: ds.markets.length - from }, (_, k) => from + k);
  indexes.sort((a, b) => (first.get(a) ?? Infinity) - (first.get(b) ?? Infinity) || a - b);
  return indexes.map((i) => ds.markets[i]!);
}

/** `k` distinct items of `pool`, drawn without replacement. */
function sample<T>(rng: Rng, pool: readonly T[], k: number): T[] {
  const copy = [...pool];
  const n = Math.min(k, copy.length);
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(copy.length - i);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}

/**
 * Draws which lists omit the markets from index `from` on (all of them when
 * 0, the ones extendDataset added otherwise) and, on the first call, the
 * requested disagreements. Stores the result in `ds.lists`.
 */
export function applyListCoverage(ds: Dataset, options: ListCoverageOptions, from: number): void {
  const cov = ds.lists ?? emptyCoverage(options);
  ds.lists = cov;
  const rng = new Rng(mixSeed(ds.seed, `lists:${from}`));
  const markets = byFirstTrade(ds, from);
  const n = markets.length;
  if (n === 0) return;
  const count = (share: number, of: number): number => (share > 0 ? Math.max(from === 0 ? 1 : 0, Math.round(share * of)) : 0);

  const clobMissing = count(options.clobMissShare ?? 0.06, n);
  const third = Math.max(clobMissing, Math.ceil(n / 3));
  const old = sample(rng, markets.slice(0, third), Math.ceil(clobMissing / 2));
  const taken = new Set(old);
  const recent = sample(
    rng,
    markets.slice(n - third).filter((m) => !taken.has(m)),
    clobMissing - old.length,
  );
  const clobOmits = [...old, ...recent];
  for (const m of clobOmits) cov.omitted.clob.add(m.conditionId);

  const gammaKnows = new Set(sample(rng, clobOmits, Math.round((options.gammaKnowsClobMissingShare ?? 0.5) * clobOmits.length)));
  for (const m of clobOmits) if (!gammaKnows.has(m)) cov.omitted.gamma.add(m.conditionId);
  const clobKnows = markets.filter((m) => !cov.omitted.clob.has(m.conditionId));
  for (const m of sample(rng, clobKnows, Math.round((options.gammaMissShare ?? 0.1) * clobKnows.length))) cov.omitted.gamma.add(m.conditionId);
  for (const m of sample(rng, markets, Math.round((options.subgraphMissShare ?? 0) * n))) cov.omitted.subgraph.add(m.conditionId);

  if (from === 0) injectDisagreements(cov, rng, markets, options.disagreements ?? []);
}

function injectDisagreements(cov: ListCoverage, rng: Rng, markets: SimMarket[], requests: DisagreementRequest[]): void {
  const used = new Set<string>();
  const knownToAll = markets.filter((m) => MARKET_LISTS.every((l) => !cov.omitted[l].has(m.conditionId)));
  for (const req of requests) {
    const known = (pool: SimMarket[]) => pool.filter((m) => !used.has(m.conditionId) && !cov.omitted[req.list].has(m.conditionId));
    const pool = known(knownToAll).length >= 2 ? known(knownToAll) : known(markets);
    const picked = sample(rng, pool, req.kind === 'condition' ? 2 : 1);
    if (picked.length < (req.kind === 'condition' ? 2 : 1)) throw new Error(`no market left for a ${req.kind} disagreement on ${req.list}`);
    for (const m of picked) used.add(m.conditionId);
    const shown = cov.shown[req.list];
    let claims: ListClaim[];
    if (req.kind === 'outcome') {
      const [m] = picked as [SimMarket];
      shown.set(m.conditionId, [
        { tokenId: m.tokens[1].tokenId, outcome: m.tokens[0].outcome },
        { tokenId: m.tokens[0].tokenId, outcome: m.tokens[1].outcome },
      ]);
      claims = [
        { tokenId: m.tokens[0].tokenId, conditionId: m.conditionId, outcomeIndex: 1 },
        { tokenId: m.tokens[1].tokenId, conditionId: m.conditionId, outcomeIndex: 0 },
      ];
    } else {
      const [a, b] = picked as [SimMarket, SimMarket];
      shown.set(a.conditionId, [{ ...a.tokens[0], tokenId: b.tokens[0].tokenId }, a.tokens[1]]);
      shown.set(b.conditionId, [{ ...b.tokens[0], tokenId: a.tokens[0].tokenId }, b.tokens[1]]);
      claims = [
        { tokenId: a.tokens[0].tokenId, conditionId: b.conditionId, outcomeIndex: 0 },
        { tokenId: b.tokens[0].tokenId, conditionId: a.conditionId, outcomeIndex: 0 },
      ];
    }
    cov.disagreements.push({ list: req.list, kind: req.kind, conditionIds: picked.map((m) => m.conditionId), claims });
  }
}

/** Whether a list knows a market at all. */
export function listKnows(ds: Dataset, list: MarketList, conditionId: string): boolean {
  return !ds.lists?.omitted[list].has(conditionId);
}

/** The tokens of a market as a list shows them, in outcome order (wrong where a disagreement says so). */
export function listTokens(ds: Dataset, list: MarketList, market: SimMarket): readonly SimToken[] {
  return ds.lists?.shown[list].get(market.conditionId) ?? market.tokens;
}

/** The markets a list shows, in dataset order. */
export function listedMarkets(ds: Dataset, list: MarketList): SimMarket[] {
  const omitted = ds.lists?.omitted[list];
  return omitted && omitted.size > 0 ? ds.markets.filter((m) => !omitted.has(m.conditionId)) : ds.markets;
}

/** Every claim a list makes, by token id: what a sync reading only that list should stage. */
export function listClaims(ds: Dataset, list: MarketList): Map<string, ListClaim> {
  const out = new Map<string, ListClaim>();
  for (const m of listedMarkets(ds, list)) {
    listTokens(ds, list, m).forEach((t, outcomeIndex) => out.set(t.tokenId, { tokenId: t.tokenId, conditionId: m.conditionId, outcomeIndex }));
  }
  return out;
}

/** Condition ids of markets no list knows: their fills stay unmapped until the chain's registry maps them. */
export function unlistedConditionIds(ds: Dataset): string[] {
  if (!ds.lists) return [];
  return ds.markets.filter((m) => MARKET_LISTS.every((l) => !listKnows(ds, l, m.conditionId))).map((m) => m.conditionId);
}

/** Whether the simulated subgraph reports outcome indexes on marketDatas (it does when coverage is off, as before). */
export function subgraphReportsOutcomeIndex(ds: Dataset): boolean {
  return ds.lists ? ds.lists.options.subgraphOutcomeIndexes === true : true;
}
