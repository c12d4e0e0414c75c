import { USDC_ASSET_ID, type Dataset, type SimFill } from '#simulator/dataset.ts';
import { listedMarkets, listTokens, subgraphReportsOutcomeIndex } from '#simulator/market-lists.ts';
import type { MarketDataRow, OrderbookRow } from './entities.ts';
import { lowerBoundId, lowerBoundTs, mergeRuns } from './search.ts';
import { byIdCmp, byTsCmp } from './values.ts';

export interface SortedLists {
  byId: SimFill[];
  byTs: SimFill[];
  idSorted: boolean;
  tsSorted: boolean;
}

export function sortedById(l: SortedLists): SimFill[] {
  if (!l.idSorted) {
    l.byId.sort(byIdCmp); // TimSort: a sorted run plus appended rows sorts in ~O(n)
    l.idSorted = true;
  }
  return l.byId;
}

export function sortedByTs(l: SortedLists): SimFill[] {
  if (!l.tsSorted) {
    l.byTs.sort(byTsCmp);
    l.tsSorted = true;
  }
  return l.byTs;
}

interface BookAcc {
  trades: number;
  buys: number;
  sells: number;
  vol: bigint;
  buyVol: bigint;
  sellVol: bigint;
}

function scaled(v: bigint): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const int = a / 1_000_000n;
  const frac = (a % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return (neg ? '-' : '') + int.toString() + (frac ? '.' + frac : '');
}

/** Rows held by cached candidate lists (DatasetIndex.idCandidates), at most. */
const MAX_CANDIDATE_ROWS = 2_000_000;

/** Indexes over a live dataset; refresh() picks up appended fills cheaply. */
export class DatasetIndex {
  private indexedLen = 0;
  private indexedVersion = -1;
  private all: SortedLists = { byId: [], byTs: [], idSorted: true, tsSorted: true };
  private tokens = new Map<string, SortedLists>();
  private books = new Map<string, BookAcc>();
  private bookRows: OrderbookRow[] | null = null;
  private marketRows: MarketDataRow[] | null = null;
  private marketCount = -1;
  private marketLists: Dataset['lists'];
  /** Candidate lists by token set and time range, least recently used first. */
  private candidates = new Map<string, SimFill[]>();
  private candidateRows = 0;

  constructor(readonly ds: Dataset) {
    this.refresh();
  }

  /** Brings the indexes up to date with the dataset (appends are incremental). */
  refresh(): void {
    const fills = this.ds.fills;
    if (fills.length === this.indexedLen && this.ds.version === this.indexedVersion) {
      if (this.ds.markets.length !== this.marketCount) this.marketRows = null;
      return;
    }
    if (fills.length < this.indexedLen) this.reset();
    for (let i = this.indexedLen; i < fills.length; i++) this.add(fills[i]!);
    this.indexedLen = fills.length;
    this.indexedVersion = this.ds.version;
    this.bookRows = null;
    this.marketRows = null;
    this.dropCandidates();
  }

  /** Drops every index; the next refresh rebuilds from scratch. */
  reset(): void {
    this.indexedLen = 0;
    this.all = { byId: [], byTs: [], idSorted: true, tsSorted: true };
    this.tokens.clear();
    this.books.clear();
    this.bookRows = null;
    this.marketRows = null;
    this.dropCandidates();
  }

  private dropCandidates(): void {
    this.candidates.clear();
    this.candidateRows = 0;
  }

  /**
   * Every fill of the tokens (all fills when null) in the inclusive time
   * range, sorted by id. A sync pages through one token set and time range
   * with a moving id cursor, so the list is built on its first page and
   * kept: later pages cost a binary search instead of a merge of every
   * token's rows. `cost.scanned` counts the rows read to build it.
   */
  idCandidates(tokens: ReadonlySet<string> | null, tsLo: number, tsHi: number, cost: { scanned: number }): readonly SimFill[] {
    const key = `${tokens ? [...tokens].join(',') : '*'}|${tsLo}|${tsHi}`;
    let rows = this.candidates.get(key);
    if (rows) {
      this.candidates.delete(key); // re-inserted below as the most recently used
    } else {
      const lists = tokens ? [...tokens].flatMap((t) => this.tokens.get(t) ?? []) : [this.all];
      const parts = lists.map((l) => {
        const byTs = sortedByTs(l);
        const a = tsLo === -Infinity ? 0 : lowerBoundTs(byTs, tsLo);
        const b = tsHi === Infinity ? byTs.length : lowerBoundTs(byTs, tsHi + 1);
        if (a === 0 && b === byTs.length) return sortedById(l);
        const inRange = Math.max(0, b - a);
        // filtering the id-sorted list costs a timestamp check per row of the list;
        // sorting the range about log2(range) id comparisons per row in range
        if (byTs.length > inRange * Math.log2(inRange + 2)) return byTs.slice(a, a + inRange).sort(byIdCmp);
        return sortedById(l).filter((f) => f.timestamp >= tsLo && f.timestamp <= tsHi);
      });
      // one whole list is already an index of its own
      if (parts.length === 1 && parts[0] === lists[0]!.byId) return parts[0]!;
      // A heap merge compares rows already in cache (the lists' heads); sorting
      // the concatenation would compare every row again at every merge level.
      rows = [];
      const runs = parts.map((arr) => ({ arr, pos: 0, end: arr.length }));
      cost.scanned += mergeRuns(runs, false, byIdCmp, Infinity, () => true, null, rows);
      this.candidateRows += rows.length;
      for (const [k, old] of this.candidates) {
        if (this.candidateRows <= MAX_CANDIDATE_ROWS) break;
        this.candidates.delete(k);
        this.candidateRows -= old.length;
      }
    }
    this.candidates.set(key, rows);
    return rows;
  }

  private add(f: SimFill): void {
    this.all.byId.push(f);
    this.all.byTs.push(f);
    this.all.idSorted = this.all.tsSorted = false;
    for (const asset of [f.makerAssetId, f.takerAssetId]) {
      if (asset === USDC_ASSET_ID) continue;
      let l = this.tokens.get(asset);
      if (!l) this.tokens.set(asset, (l = { byId: [], byTs: [], idSorted: true, tsSorted: true }));
      l.byId.push(f);
      l.byTs.push(f);
      l.idSorted = l.tsSorted = false;
      let b = this.books.get(asset);
      if (!b) this.books.set(asset, (b = { trades: 0, buys: 0, sells: 0, vol: 0n, buyVol: 0n, sellVol: 0n }));
      // the maker's view, as the subgraph's getOrderSide: BUY when the maker pays USDC
      const buy = f.makerAssetId === USDC_ASSET_ID;
      const usdc = BigInt(buy ? f.makerAmountFilled : f.takerAmountFilled);
      b.trades++;
      b.vol += usdc;
      if (buy) {
        b.buys++;
        b.buyVol += usdc;
      } else {
        b.sells++;
        b.sellVol += usdc;
      }
    }
  }

  lists(token: string | null): SortedLists | undefined {
    return token === null ? this.all : this.tokens.get(token);
  }

  fillById(id: string): SimFill | null {
    const arr = sortedById(this.all);
    const i = lowerBoundId(arr, id, true);
    return arr[i]?.id === id ? arr[i]! : null;
  }

  /** The newest fill's timestamp, or null when there are none. */
  headTimestamp(): number | null {
    const arr = sortedByTs(this.all);
    return arr.length ? arr[arr.length - 1]!.timestamp : null;
  }

  orderbooks(): OrderbookRow[] {
    if (!this.bookRows) {
      this.bookRows = [...this.books.entries()]
        .map(([id, b]) => ({
          id,
          tradesQuantity: String(b.trades),
          buysQuantity: String(b.buys),
          sellsQuantity: String(b.sells),
          collateralVolume: b.vol.toString(),
          scaledCollateralVolume: scaled(b.vol),
          collateralBuyVolume: b.buyVol.toString(),
          scaledCollateralBuyVolume: scaled(b.buyVol),
          collateralSellVolume: b.sellVol.toString(),
          scaledCollateralSellVolume: scaled(b.sellVol),
        }))
        .sort(byIdCmp);
    }
    return this.bookRows;
  }

  /** One row per token the subgraph's list knows, as that list shows it (see market-lists.ts). */
  marketDatas(): MarketDataRow[] {
    if (!this.marketRows || this.marketCount !== this.ds.markets.length || this.marketLists !== this.ds.lists) {
      const rows: MarketDataRow[] = [];
      const withIndex = subgraphReportsOutcomeIndex(this.ds);
      for (const m of listedMarkets(this.ds, 'subgraph')) {
        listTokens(this.ds, 'subgraph', m).forEach((t, i) =>
          rows.push({ id: t.tokenId, condition: m.conditionId, outcomeIndex: withIndex ? String(i) : null }),
        );
      }
      this.marketRows = rows.sort(byIdCmp);
      this.marketCount = this.ds.markets.length;
      this.marketLists = this.ds.lists;
    }
    return this.marketRows;
  }
}
