/**
 * The query engine behind the simulated orderbook subgraph: graph-node's
 * collection semantics (first/skip limits, where operators, and/or, orderBy
 * with an id tie-break) over the live dataset, with indexes so the pages a
 * sync asks for cost O(page + log n) instead of a scan of every fill.
 *
 * Correctness never depends on the fast paths: candidates are always
 * re-checked with the full compiled predicate and sorted with the full
 * comparator. The fast paths only choose a smaller candidate set that is a
 * superset of the answer's first `skip + first` rows.
 */
import { GraphQLError } from 'graphql';
import { USDC_ASSET_ID, type Dataset, type SimFill } from './dataset.ts';
import { listedMarkets, listTokens, subgraphReportsOutcomeIndex } from './market-lists.ts';

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
type Op = (typeof FILTER_OPS)[number];

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

// ---------------------------------------------------------------- values

interface BigVal {
  num: number;
  big: bigint;
  safe: boolean;
}

function toBig(v: unknown): BigVal {
  const s = typeof v === 'number' ? String(Math.trunc(v)) : String(v);
  if (!/^-?[0-9]+$/.test(s)) throw new GraphQLError(`Invalid BigInt value: \`${s}\``);
  const big = BigInt(s);
  const num = Number(big);
  return { num, big, safe: Number.isSafeInteger(num) };
}

/** Compares an entity's BigInt value (number or decimal string) with a filter value. */
function cmpBig(v: unknown, f: BigVal): number {
  if (typeof v === 'number' && f.safe) return v < f.num ? -1 : v > f.num ? 1 : 0;
  if (typeof v === 'string' && v.length <= 15 && f.safe) {
    const n = Number(v);
    return n < f.num ? -1 : n > f.num ? 1 : 0;
  }
  const b = typeof v === 'bigint' ? v : BigInt(v as string | number);
  return b < f.big ? -1 : b > f.big ? 1 : 0;
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders two entity values of one field. */
function cmpField(kind: FieldKind, a: unknown, b: unknown): number {
  if (a === null || a === undefined || b === null || b === undefined) {
    // graph-node sorts nulls last ascending
    if (a === b || (a == null && b == null)) return 0;
    return a == null ? 1 : -1;
  }
  if (kind === 'bigint') {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    return cmpBig(a, toBigFast(b));
  }
  if (kind === 'bigdecimal') return Number(a) - Number(b);
  return cmpStr(String(a), String(b));
}

function toBigFast(v: unknown): BigVal {
  if (typeof v === 'number') return { num: v, big: BigInt(v), safe: Number.isSafeInteger(v) };
  return toBig(v);
}

// ---------------------------------------------------------------- filters

type Pred = (e: EntityRow) => boolean;

function parseKey(spec: EntitySpec, key: string): { field: string; op: Op } {
  // longest suffix first: `_not_in` before `_in` and `_not`, `_gte` before `_gt`
  for (const op of ['_not_in', '_in', '_not', '_gte', '_gt', '_lte', '_lt', ''] as const) {
    if (op === '' ? key in spec.fields : key.endsWith(op) && key.slice(0, -op.length) in spec.fields) {
      return { field: op === '' ? key : key.slice(0, -op.length), op };
    }
  }
  throw new GraphQLError(`Entity \`${spec.name}\` has no attribute \`${key}\``);
}

function atomPredicate(spec: EntitySpec, key: string, value: unknown): Pred {
  const { field, op } = parseKey(spec, key);
  const kind = spec.fields[field]!;
  const get = (e: EntityRow): unknown => (e as Record<string, unknown>)[field];
  if (value === null) {
    if (op === '') return (e) => get(e) == null;
    if (op === '_not') return (e) => get(e) != null;
  }
  if (op === '_in' || op === '_not_in') {
    const list = (value as unknown[]) ?? [];
    let has: (v: unknown) => boolean;
    if (kind === 'bigint') {
      const set = new Set(list.map((x) => toBig(x).big.toString()));
      has = (v) => v != null && set.has(BigInt(v as string | number).toString());
    } else if (kind === 'bigdecimal') {
      const set = new Set(list.map((x) => Number(x)));
      has = (v) => v != null && set.has(Number(v));
    } else {
      const set = new Set(list.map(String));
      has = (v) => v != null && set.has(String(v));
    }
    return op === '_in' ? (e) => has(get(e)) : (e) => { const v = get(e); return v != null && !has(v); };
  }
  let cmp: (v: unknown) => number;
  if (kind === 'bigint') {
    const f = toBig(value);
    cmp = (v) => cmpBig(v, f);
  } else if (kind === 'bigdecimal') {
    const f = Number(value);
    cmp = (v) => Number(v) - f;
  } else {
    const f = String(value);
    cmp = (v) => cmpStr(String(v), f);
  }
  switch (op) {
    case '': return (e) => { const v = get(e); return v != null && cmp(v) === 0; };
    case '_not': return (e) => { const v = get(e); return v != null && cmp(v) !== 0; };
    case '_gt': return (e) => { const v = get(e); return v != null && cmp(v) > 0; };
    case '_gte': return (e) => { const v = get(e); return v != null && cmp(v) >= 0; };
    case '_lt': return (e) => { const v = get(e); return v != null && cmp(v) < 0; };
    case '_lte': return (e) => { const v = get(e); return v != null && cmp(v) <= 0; };
  }
}

function checkShape(where: Record<string, unknown>): void {
  const keys = Object.keys(where);
  // graph-node (graphql/src/store/query.rs) refuses `or` next to column
  // filters at the same level with InvalidFilterError, whose Display is
  // literally "Filter must by an object" (sic). Nest the column filters
  // in an `and` instead: { and: [ { or: [...] }, { timestamp_gt: T } ] }.
  if ('or' in where && keys.some((k) => k !== 'or' && k !== 'and')) {
    throw new GraphQLError('Filter must by an object');
  }
}

// Plain loops: these run once per candidate row, and every()/some() would allocate a closure per call.
function allOf(preds: Pred[]): Pred {
  return (e) => {
    for (const p of preds) if (!p(e)) return false;
    return true;
  };
}

function anyOf(preds: Pred[]): Pred {
  return (e) => {
    for (const p of preds) if (p(e)) return true;
    return false;
  };
}

/** Compiles a `where` object (as graphql-js coerced it) to a predicate. Throws graph-node's errors. */
export function compileWhere(spec: EntitySpec, where: Record<string, unknown> | null | undefined): Pred {
  if (!where) return () => true;
  checkShape(where);
  const parts: Pred[] = [];
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined) continue;
    if (key === 'and' || key === 'or') {
      const subs = ((value as Record<string, unknown>[] | null) ?? []).map((w) => compileWhere(spec, w));
      parts.push(key === 'and' ? allOf(subs) : anyOf(subs));
      continue;
    }
    if (key === '_change_block') continue;
    parts.push(atomPredicate(spec, key, value));
  }
  if (parts.length === 0) return () => true;
  if (parts.length === 1) return parts[0]!;
  return allOf(parts);
}

// ------------------------------------------------------ plan (fast paths)

interface Plan {
  /** Token ids the answer is restricted to (maker or taker leg), or null. */
  tokens: Set<string> | null;
  idLo: string | null;
  idLoIncl: boolean;
  idHi: string | null;
  idHiIncl: boolean;
  /** inclusive timestamp range */
  tsLo: number;
  tsHi: number;
}

interface Conj {
  atoms: [string, unknown][];
  ors: Record<string, unknown>[][];
}

function flatten(where: Record<string, unknown> | null | undefined, out: Conj = { atoms: [], ors: [] }): Conj {
  if (!where) return out;
  for (const [k, v] of Object.entries(where)) {
    if (v === undefined) continue;
    if (k === 'and') for (const w of (v as Record<string, unknown>[] | null) ?? []) flatten(w, out);
    else if (k === 'or') out.ors.push((v as Record<string, unknown>[] | null) ?? []);
    else out.atoms.push([k, v]);
  }
  return out;
}

const TOKEN_KEYS = new Set(['makerAssetId', 'makerAssetId_in', 'takerAssetId', 'takerAssetId_in']);

function tokensOfAtoms(atoms: [string, unknown][]): Set<string> | null {
  for (const [k, v] of atoms) {
    if (!TOKEN_KEYS.has(k) || v === null) continue;
    return new Set(k.endsWith('_in') ? (v as unknown[]).map(String) : [String(v)]);
  }
  return null;
}

function planOf(where: Record<string, unknown> | null | undefined): Plan {
  const c = flatten(where);
  const plan: Plan = { tokens: tokensOfAtoms(c.atoms), idLo: null, idLoIncl: true, idHi: null, idHiIncl: true, tsLo: -Infinity, tsHi: Infinity };
  if (!plan.tokens) {
    for (const branches of c.ors) {
      const union = new Set<string>();
      let all = branches.length > 0;
      for (const b of branches) {
        const t = tokensOfAtoms(flatten(b).atoms);
        if (!t) {
          all = false;
          break;
        }
        for (const x of t) union.add(x);
      }
      if (all) {
        plan.tokens = union;
        break;
      }
    }
  }
  if (plan.tokens?.has(USDC_ASSET_ID)) plan.tokens = null; // the USDC leg is not indexed
  for (const [k, v] of c.atoms) {
    if (v === null) continue;
    if (k === 'id' || k === 'id_gt' || k === 'id_gte') {
      const s = String(v);
      const incl = k !== 'id_gt';
      if (plan.idLo === null || s > plan.idLo || (s === plan.idLo && !incl)) {
        plan.idLo = s;
        plan.idLoIncl = incl;
      }
    }
    if (k === 'id' || k === 'id_lt' || k === 'id_lte') {
      const s = String(v);
      const incl = k !== 'id_lt';
      if (plan.idHi === null || s < plan.idHi || (s === plan.idHi && !incl)) {
        plan.idHi = s;
        plan.idHiIncl = incl;
      }
    }
    if (k === 'timestamp' || k === 'timestamp_gt' || k === 'timestamp_gte' || k === 'timestamp_lt' || k === 'timestamp_lte') {
      const b = toBig(v).num;
      if (k === 'timestamp' || k === 'timestamp_gte') plan.tsLo = Math.max(plan.tsLo, Math.ceil(b));
      if (k === 'timestamp_gt') plan.tsLo = Math.max(plan.tsLo, Math.floor(b) + 1);
      if (k === 'timestamp' || k === 'timestamp_lte') plan.tsHi = Math.min(plan.tsHi, Math.floor(b));
      if (k === 'timestamp_lt') plan.tsHi = Math.min(plan.tsHi, Math.ceil(b) - 1);
    }
  }
  return plan;
}

// ---------------------------------------------------------------- search

function lowerBoundId(arr: readonly { id: string }[], id: string, inclusive: boolean): number {
  // first index with arr[i].id >= id (inclusive) or > id
  let lo = 0;
  let hi = arr.length;
  if (hi === 0 || (inclusive ? arr[0]!.id >= id : arr[0]!.id > id)) return 0;
  if (inclusive ? arr[hi - 1]!.id < id : arr[hi - 1]!.id <= id) return hi;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const v = arr[mid]!.id;
    if (inclusive ? v < id : v <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function lowerBoundTs(arr: readonly SimFill[], ts: number): number {
  let lo = 0;
  let hi = arr.length;
  if (hi === 0 || arr[0]!.timestamp >= ts) return 0;
  if (arr[hi - 1]!.timestamp < ts) return hi;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (arr[mid]!.timestamp < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function byIdCmp(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? -1 : a.id === b.id ? 0 : 1; // === is much cheaper than a second <
}

function byTsCmp(a: SimFill, b: SimFill): number {
  return a.timestamp - b.timestamp || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

// ---------------------------------------------------------------- index

interface SortedLists {
  byId: SimFill[];
  byTs: SimFill[];
  idSorted: boolean;
  tsSorted: boolean;
}

function sortedById(l: SortedLists): SimFill[] {
  if (!l.idSorted) {
    l.byId.sort(byIdCmp); // TimSort: a sorted run plus appended rows sorts in ~O(n)
    l.idSorted = true;
  }
  return l.byId;
}

function sortedByTs(l: SortedLists): SimFill[] {
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

// ---------------------------------------------------------------- execute

export function checkRange(args: CollectionArgs): { first: number; skip: number } {
  const first = args.first ?? 100;
  const skip = args.skip ?? 0;
  if (first < 0 || first > MAX_FIRST) {
    throw new GraphQLError(`The \`first\` argument must be between 0 and ${MAX_FIRST}, but is ${first}`);
  }
  if (skip < 0 || skip > MAX_SKIP) {
    throw new GraphQLError(`The \`skip\` argument must be between 0 and ${MAX_SKIP}, but is ${skip}`);
  }
  return { first, skip };
}

function comparator<T extends { id: string }>(spec: EntitySpec, orderBy: string, desc: boolean, tie: TieBreak): (a: T, b: T) => number {
  const kind = spec.fields[orderBy];
  if (!kind) throw new GraphQLError(`Entity \`${spec.name}\` has no attribute \`${orderBy}\``);
  const sign = desc ? -1 : 1;
  const tieSign = tie === 'asc' ? 1 : sign;
  if (orderBy === 'id') return (a, b) => sign * byIdCmp(a, b);
  return (a, b) => {
    const c = cmpField(kind, (a as Record<string, unknown>)[orderBy], (b as Record<string, unknown>)[orderBy]);
    return c !== 0 ? sign * c : tieSign * byIdCmp(a, b);
  };
}

/**
 * Collects up to `need` matching rows from `arr[from..to)` walking forwards
 * (or backwards), then every further row that ties with the last one on
 * `key` (so a final sort can order ties correctly).
 */
function collect<T>(arr: readonly T[], from: number, to: number, backwards: boolean, need: number, pred: Pred, key: ((e: T) => unknown) | null, out: T[]): number {
  let n = 0;
  let last: unknown = undefined;
  let scanned = 0;
  if (!backwards) {
    for (let i = from; i < to; i++) {
      const e = arr[i]!;
      scanned++;
      if (n >= need && (key === null || key(e) !== last)) break;
      if (!pred(e as EntityRow)) continue;
      out.push(e);
      n++;
      if (key) last = key(e);
    }
  } else {
    for (let i = to - 1; i >= from; i--) {
      const e = arr[i]!;
      scanned++;
      if (n >= need && (key === null || key(e) !== last)) break;
      if (!pred(e as EntityRow)) continue;
      out.push(e);
      n++;
      if (key) last = key(e);
    }
  }
  return scanned;
}

export interface QueryCost {
  /** Rows looked at. */
  scanned: number;
  /** Which path answered: 'token-id', 'token-ts', 'global-id', 'global-ts', 'slow'. */
  path: string;
}

interface Run {
  arr: readonly SimFill[];
  /** next index to read */
  pos: number;
  /** forwards: exclusive end; backwards: inclusive start */
  end: number;
}

/**
 * k-way merge of sorted runs (each sorted by `cmp` when read in the given
 * direction): pulls rows in global order until `need` of them match, then
 * keeps pulling rows that tie with the last match on `key`.
 */
function mergeRuns(runs: Run[], backwards: boolean, cmp: (a: SimFill, b: SimFill) => number, need: number, pred: Pred, key: ((f: SimFill) => unknown) | null, out: SimFill[]): number {
  const heap: Run[] = [];
  const head = (r: Run): SimFill => r.arr[r.pos]!;
  const less = (a: Run, b: Run): boolean => cmp(head(a), head(b)) < 0;
  const down = (i: number): void => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (const r of runs) if (backwards ? r.pos >= r.end : r.pos < r.end) heap.push(r);
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) down(i);
  let n = 0;
  let scanned = 0;
  let last: unknown = undefined;
  while (heap.length > 0) {
    const top = heap[0]!;
    const f = head(top);
    if (n >= need && (key === null || key(f) !== last)) break;
    scanned++;
    // a fill with two token legs sits in two runs: count it once
    if (out[out.length - 1] !== f && pred(f)) {
      out.push(f);
      n++;
      if (key) last = key(f);
    }
    top.pos += backwards ? -1 : 1;
    if (backwards ? top.pos < top.end : top.pos >= top.end) {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
    }
    if (heap.length > 0) down(0);
  }
  return scanned;
}

/** Runs an `orderFilledEvents` collection query. */
export function queryFills(index: DatasetIndex, args: CollectionArgs, tie: TieBreak, cost?: QueryCost): SimFill[] {
  const { first, skip } = checkRange(args);
  const where = args.where ?? null;
  const pred = compileWhere(FILL_SPEC, where);
  const orderBy = args.orderBy ?? 'id';
  const desc = args.orderDirection === 'desc';
  const cmp = comparator<SimFill>(FILL_SPEC, orderBy, desc, tie);
  if (first === 0) return [];
  const plan = planOf(where);
  const need = skip + first;
  const sources: SortedLists[] = [];
  if (orderBy !== 'id') {
    if (plan.tokens) {
      for (const t of plan.tokens) {
        const l = index.lists(t);
        if (l) sources.push(l);
      }
    } else {
      sources.push(index.lists(null)!);
    }
  }
  const out: SimFill[] = [];
  let scanned = 0;
  let path = (plan.tokens ? 'token-' : 'global-') + (orderBy === 'timestamp' ? 'ts' : 'id');
  if (orderBy === 'id') {
    const built = { scanned: 0 };
    const candidates = index.idCandidates(plan.tokens, plan.tsLo, plan.tsHi, built);
    scanned += built.scanned;
    const lo = plan.idLo === null ? 0 : lowerBoundId(candidates, plan.idLo, plan.idLoIncl);
    const hi = Math.max(lo, plan.idHi === null ? candidates.length : lowerBoundId(candidates, plan.idHi, !plan.idHiIncl));
    scanned += collect(candidates, lo, hi, desc, need, pred, null, out);
  } else if (orderBy === 'timestamp') {
    const runs: Run[] = [];
    for (const l of sources) {
      const byTs = sortedByTs(l);
      const a = plan.tsLo === -Infinity ? 0 : lowerBoundTs(byTs, plan.tsLo);
      const b = plan.tsHi === Infinity ? byTs.length : lowerBoundTs(byTs, plan.tsHi + 1);
      if (b > a) runs.push(desc ? { arr: byTs, pos: b - 1, end: a } : { arr: byTs, pos: a, end: b });
    }
    // runs are (timestamp, id) ascending; read backwards they are (timestamp, id)
    // descending, so merge on that order and let the final sort fix tie order
    const runCmp = desc ? (x: SimFill, y: SimFill) => -byTsCmp(x, y) : byTsCmp;
    scanned += mergeRuns(runs, desc, runCmp, need, pred, (f) => f.timestamp, out);
  } else {
    path = 'slow';
    for (const l of sources) {
      for (const f of l.byId) {
        scanned++;
        if (pred(f)) out.push(f);
      }
    }
  }
  out.sort(cmp);
  let rows = out;
  if (sources.length > 1) {
    // a fill with two token legs sits in two lists
    rows = [];
    for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[i - 1]) rows.push(out[i]!);
  }
  if (cost) {
    cost.scanned = scanned;
    cost.path = path;
  }
  return rows.slice(skip, skip + first);
}

/** Runs a collection query over a small entity list sorted by id. */
export function queryRows<T extends { id: string }>(spec: EntitySpec, rows: readonly T[], args: CollectionArgs, tie: TieBreak): T[] {
  const { first, skip } = checkRange(args);
  const where = args.where ?? null;
  const pred = compileWhere(spec, where);
  const orderBy = args.orderBy ?? 'id';
  const desc = args.orderDirection === 'desc';
  const cmp = comparator<T>(spec, orderBy, desc, tie);
  if (first === 0) return [];
  const out: T[] = [];
  if (orderBy === 'id') {
    const plan = planOf(where);
    const lo = plan.idLo === null ? 0 : lowerBoundId(rows, plan.idLo, plan.idLoIncl);
    const hi = plan.idHi === null ? rows.length : lowerBoundId(rows, plan.idHi, !plan.idHiIncl);
    if (hi > lo) collect(rows, lo, hi, desc, skip + first, pred, null, out);
  } else {
    for (const r of rows) if (pred(r)) out.push(r);
    out.sort(cmp);
  }
  return out.slice(skip, skip + first);
}
