/**
 * A seeded, deterministic generator of a Polymarket-shaped dataset: markets
 * (CLOB market list shape) and V1 `OrderFilledEvent`s (orderbook subgraph
 * shape). The same options and seed always give the same dataset.
 *
 * Shape, chosen to exercise what a real sync meets:
 * - a heavy tail of fills per market (Zipf-like; the heaviest market holds
 *   about `topShare` of all fills, most markets hold few), every market >= 1 fill;
 * - both outcome tokens trade; every fill has exactly one USDC leg (asset id
 *   "0") and one token leg (BUY: maker pays USDC; SELL: the reverse);
 * - several fills per transaction (same transactionHash, different orderHash);
 * - a burst: thousands of fills sharing one timestamp, mostly on the heaviest
 *   market (so `timestamp_gt` paging would lose rows);
 * - open, closed and neg-risk markets;
 * - token ids that are the real CTF position ids of each condition's outcomes;
 * - on request (`lists`), market lists that lack some markets or get some wrong.
 */
import type { Hex } from 'viem';
import { outcomeTokenIds } from '#shared/model/ctf-ids.ts';
import { CTF_EXCHANGE_V1, NEG_RISK_EXCHANGE_V1, USDC_E, WRAPPED_COLLATERAL } from '#shared/sources/chain/events/addresses.ts';
import { Rng, mixSeed } from './rng.ts';
import { applyListCoverage, type ListCoverage, type ListCoverageOptions } from './market-lists.ts';

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

const SUBJECTS = [
  'Bitcoin', 'Ethereum', 'the Fed', 'Trump', 'Biden', 'Harris', 'SpaceX', 'OpenAI', 'Apple', 'Tesla',
  'the Lakers', 'the Chiefs', 'Real Madrid', 'Argentina', 'France', 'the UK', 'China', 'Nvidia', 'Solana', 'Taylor Swift',
];
const PREDICATES = [
  'reach a new all-time high', 'win', 'cut rates', 'announce a merger', 'be above $100k', 'launch a new product',
  'win the championship', 'hold an election', 'publish the report', 'lose the case', 'top the chart', 'ship GPT-6',
];

function iso(ts: number): string {
  return new Date(ts * 1000).toISOString();
}

function slugify(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

function makeMarket(rng: Rng, index: number, negRiskId: string): SimMarket {
  const subject = rng.pick(SUBJECTS);
  const predicate = rng.pick(PREDICATES);
  const question = `Will ${subject} ${predicate} (#${index})?`;
  const conditionId = rng.hexString(32);
  const negRisk = negRiskId !== '';
  const [yes, no] = outcomeTokenIds(negRisk ? WRAPPED_COLLATERAL : USDC_E, conditionId as Hex);
  return {
    conditionId,
    questionId: rng.hexString(32),
    question,
    slug: slugify(question),
    endDateIso: null,
    closed: false,
    active: true,
    negRisk,
    negRiskMarketId: negRiskId,
    tokens: [
      { tokenId: String(yes), outcome: 'Yes' },
      { tokenId: String(no), outcome: 'No' },
    ],
  };
}

function makeMarkets(rng: Rng, count: number, firstIndex: number, negRiskShare: number): SimMarket[] {
  const out: SimMarket[] = [];
  let group = '';
  let groupLeft = 0;
  for (let i = 0; i < count; i++) {
    let negId = '';
    if (groupLeft > 0) {
      negId = group;
      groupLeft--;
    } else if (rng.chance(negRiskShare / 3)) {
      // a neg-risk event of 2..6 markets sharing one neg_risk_market_id
      group = rng.hexString(32);
      groupLeft = rng.range(1, 5);
      negId = group;
    }
    out.push(makeMarket(rng, firstIndex + i, negId));
  }
  return out;
}

/** Zipf exponent so the heaviest of n markets gets about `share` of the extra fills. */
function zipfExponent(n: number, share: number): number {
  const topWeight = (s: number): number => {
    let h = 0;
    for (let r = 1; r <= n; r++) h += Math.pow(r, -s);
    return 1 / h;
  };
  if (n <= 1 || topWeight(0) >= share) return 0;
  let lo = 0;
  let hi = 4;
  for (let i = 0; i < 30; i++) {
    const mid = (lo + hi) / 2;
    if (topWeight(mid) < share) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function wallets(rng: Rng, n: number): string[] {
  const out: string[] = new Array<string>(n);
  for (let i = 0; i < n; i++) out[i] = rng.hexString(20);
  return out;
}

interface EmitContext {
  rng: Rng;
  ds: Dataset;
  /** fills per market index (0 for markets without new fills) */
  counts: Int32Array;
  start: number;
  end: number;
  burstSize: number;
  /** market index the burst should favour, or -1 */
  burstMarket: number;
  walletPool: string[];
}

/** Appends fills for `counts` to ds.fills, in timestamp order, all within [start, end]. */
function emitFills(ctx: EmitContext): BurstInfo | null {
  const { rng, ds, counts, start, end, walletPool } = ctx;
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i] ?? 0;
  // 1. split each market's fills into transactions of 1..5 fills
  const groupMarket = new Int32Array(total);
  const groupSize = new Uint8Array(total);
  let g = 0;
  for (let m = 0; m < counts.length; m++) {
    let left = counts[m] ?? 0;
    while (left > 0) {
      const size = rng.chance(0.55) ? 1 : Math.min(left, rng.range(2, 5));
      groupMarket[g] = m;
      groupSize[g] = size;
      g++;
      left -= size;
    }
  }
  const groups = g;
  // 2. interleave transactions in time (Fisher-Yates over group order)
  const order = new Int32Array(groups);
  for (let i = 0; i < groups; i++) order[i] = i;
  for (let i = groups - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  // 3. the burst: a run of consecutive transactions given one timestamp,
  //    most of them swapped in from the favoured market
  let burstFrom = -1;
  let burstTo = -1;
  if (ctx.burstSize > 0 && groups > 0) {
    burstFrom = Math.floor(groups * (0.35 + 0.3 * rng.float()));
    let heavy = groups - 1;
    let sum = 0;
    let p = burstFrom;
    for (; p < groups && sum < ctx.burstSize; p++) {
      if (ctx.burstMarket >= 0 && groupMarket[order[p]!] !== ctx.burstMarket && rng.chance(0.8)) {
        while (heavy > p && groupMarket[order[heavy]!] !== ctx.burstMarket) heavy--;
        if (heavy > p) {
          const t = order[p]!;
          order[p] = order[heavy]!;
          order[heavy] = t;
          heavy--;
        }
      }
      sum += groupSize[order[p]!]!;
    }
    burstTo = p - 1;
  }
  // 4. timestamps: sorted draws, denser towards the end (volume grew over time)
  const times = new Float64Array(groups);
  const span = end - start;
  for (let i = 0; i < groups; i++) times[i] = start + Math.floor(span * Math.sqrt(rng.float()));
  times.sort();
  if (burstFrom >= 0) for (let i = burstFrom; i <= burstTo; i++) times[i] = times[burstFrom]!;
  // 5. the fills
  const nWallets = walletPool.length;
  const walletIndex = (): number => Math.floor(nWallets * Math.pow(rng.float(), 3));
  const fills = ds.fills;
  const markets = ds.markets;
  // id = tx + '_' + orderHash, built in one buffer so every string is flat
  const idBuf = Buffer.alloc(133);
  idBuf.write('0x', 0, 'latin1');
  idBuf.write('_0x', 66, 'latin1');
  for (let i = 0; i < groups; i++) {
    const grp = order[i]!;
    const market = markets[groupMarket[grp]!]!;
    const size = groupSize[grp]!;
    const ts = times[i]!;
    rng.hexInto(idBuf, 2, 32);
    const tx = idBuf.toString('latin1', 0, 66);
    const takerIndex = walletIndex();
    const takerWallet = walletPool[takerIndex]!;
    const exchange = market.negRisk ? NEG_RISK_EXCHANGE_V1 : CTF_EXCHANGE_V1;
    for (let k = 0; k < size; k++) {
      const ownOrder = size > 1 && k === size - 1;
      let makerIndex = ownOrder ? takerIndex : walletIndex();
      if (makerIndex === takerIndex && !ownOrder) makerIndex = (makerIndex + 1) % nWallets;
      const token = market.tokens[rng.int(2)]!.tokenId;
      const buy = rng.chance(0.5);
      const priceMilli = 10 + rng.int(981); // 0.010 .. 0.990
      const tokens = Math.max(1, Math.floor(Math.exp(rng.float() * Math.log(500_000)))) * 10_000; // 0.01 .. 5000 shares
      const usdc = Math.max(1, Math.round((tokens * priceMilli) / 1000));
      const fee = rng.chance(0.85) ? '0' : String(Math.max(1, Math.round(usdc * 0.001 * rng.range(1, 20))));
      rng.hexInto(idBuf, 69, 32);
      const usdcStr = String(usdc);
      const tokStr = String(tokens);
      fills.push({
        id: idBuf.toString('latin1', 0, 133),
        transactionHash: tx,
        timestamp: ts,
        orderHash: idBuf.toString('latin1', 67, 133),
        maker: walletPool[makerIndex]!,
        taker: ownOrder ? exchange : takerWallet,
        makerAssetId: buy ? USDC_ASSET_ID : token,
        takerAssetId: buy ? token : USDC_ASSET_ID,
        makerAmountFilled: buy ? usdcStr : tokStr,
        takerAmountFilled: buy ? tokStr : usdcStr,
        fee,
      });
    }
  }
  if (burstFrom < 0) return null;
  const bts = times[burstFrom]!;
  let size = 0;
  for (let i = 0; i < groups; i++) if (times[i] === bts) size += groupSize[order[i]!]!;
  const favoured = ctx.burstMarket >= 0 ? ctx.burstMarket : groupMarket[order[burstFrom]!]!;
  return { timestamp: bts, size, conditionId: markets[favoured]!.conditionId };
}

function defaultBurst(fills: number): number {
  return fills >= 50_000 ? 3000 : Math.max(2, Math.round(fills * 0.06));
}

/** Generates a dataset. Deterministic for the options (seed included). */
export function generateDataset(opts: GenerateOptions): Dataset {
  const nMarkets = Math.floor(opts.markets);
  const nFills = Math.floor(opts.fills);
  if (nMarkets < 1) throw new Error('markets must be >= 1');
  if (nFills < nMarkets) throw new Error(`fills (${nFills}) must be >= markets (${nMarkets}): every market gets a fill`);
  const start = opts.startTime ?? V1_START;
  const end = opts.endTime ?? V1_DEFAULT_END;
  if (!(end > start)) throw new Error('endTime must be after startTime');
  const rng = new Rng(opts.seed);
  const ds: Dataset = { seed: opts.seed, markets: [], fills: [], burst: null, version: 0 };
  ds.markets = makeMarkets(rng, nMarkets, 0, opts.negRiskShare ?? 0.25);

  // fills per market: 1 each, the rest by Zipf weights over a random ranking
  const extra = nFills - nMarkets;
  const topShare = opts.topShare ?? 0.1;
  const s = zipfExponent(nMarkets, Math.max(0, (topShare * nFills - 1) / Math.max(1, extra)));
  const weights = new Float64Array(nMarkets);
  let h = 0;
  for (let r = 0; r < nMarkets; r++) {
    weights[r] = Math.pow(r + 1, -s);
    h += weights[r]!;
  }
  const byRank = new Int32Array(nMarkets);
  let assigned = 0;
  for (let r = 0; r < nMarkets; r++) {
    byRank[r] = 1 + Math.floor((extra * weights[r]!) / h);
    assigned += byRank[r]!;
  }
  for (let r = 0; assigned < nFills; r = (r + 1) % nMarkets) {
    byRank[r]!++;
    assigned++;
  }
  const rankOrder = new Int32Array(nMarkets);
  for (let i = 0; i < nMarkets; i++) rankOrder[i] = i;
  for (let i = nMarkets - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = rankOrder[i]!;
    rankOrder[i] = rankOrder[j]!;
    rankOrder[j] = t;
  }
  const counts = new Int32Array(nMarkets);
  for (let r = 0; r < nMarkets; r++) counts[rankOrder[r]!] = byRank[r]!;

  const burstSize = opts.burst === false ? 0 : Math.min(nFills, opts.burst?.size ?? defaultBurst(nFills));
  const walletPool = wallets(rng, Math.min(200_000, Math.max(50, Math.floor(nFills / 20))));
  ds.burst = emitFills({ rng, ds, counts, start, end, burstSize, burstMarket: rankOrder[0]!, walletPool });

  // market status from when each market traded
  const last = new Map<string, number>();
  for (const f of ds.fills) {
    const token = f.makerAssetId === USDC_ASSET_ID ? f.takerAssetId : f.makerAssetId;
    last.set(token, f.timestamp);
  }
  const closedShare = opts.closedShare ?? 0.6;
  for (const m of ds.markets) {
    const lastTs = Math.max(last.get(m.tokens[0].tokenId) ?? start, last.get(m.tokens[1].tokenId) ?? start);
    if (rng.chance(closedShare) && m !== ds.markets[rankOrder[0]!]) {
      m.closed = true;
      m.active = rng.chance(0.5);
      m.endDateIso = iso(lastTs + rng.range(3600, 30 * 86400));
    } else {
      m.endDateIso = rng.chance(0.1) ? null : iso(Math.max(lastTs, end) + rng.range(86400, 180 * 86400));
    }
  }
  if (opts.lists) applyListCoverage(ds, opts.lists, 0);
  return ds;
}

/**
 * Appends new markets and fills, all strictly later than every existing fill
 * (and than `after`). Some fills land on existing open markets, some on the
 * new ones (each new market gets at least one). Mutates `ds` in place and
 * bumps `ds.version`, so a running server sees the new rows.
 */
export function extendDataset(ds: Dataset, opts: ExtendOptions): void {
  const newMarkets = Math.floor(opts.newMarkets);
  const newFills = Math.floor(opts.newFills);
  if (newFills < newMarkets) throw new Error('newFills must be >= newMarkets');
  const rng = new Rng(mixSeed(opts.seed, `extend:${ds.version}`));
  let maxTs = -Infinity;
  for (const f of ds.fills) if (f.timestamp > maxTs) maxTs = f.timestamp;
  const start = Math.max(maxTs, opts.after ?? -Infinity, 0) + 1;
  const end = start + Math.max(0, opts.span ?? 600);
  const oldCount = ds.markets.length;
  ds.markets.push(...makeMarkets(rng, newMarkets, oldCount, 0.25));
  const counts = new Int32Array(ds.markets.length);
  for (let i = oldCount; i < ds.markets.length; i++) counts[i] = 1;
  const open: number[] = [];
  for (let i = 0; i < oldCount; i++) if (!ds.markets[i]!.closed) open.push(i);
  if (open.length === 0) for (let i = 0; i < oldCount; i++) open.push(i);
  for (let left = newFills - newMarkets; left > 0; left--) {
    const toNew = newMarkets > 0 && (open.length === 0 || rng.chance(0.5));
    if (toNew) counts[oldCount + rng.int(newMarkets)]!++;
    else counts[open[Math.floor(open.length * Math.pow(rng.float(), 2))]!]!++;
  }
  const walletPool = wallets(rng, Math.max(20, Math.min(10_000, Math.floor(newFills / 10))));
  emitFills({ rng, ds, counts, start, end, burstSize: 0, burstMarket: -1, walletPool });
  for (let i = oldCount; i < ds.markets.length; i++) {
    ds.markets[i]!.endDateIso = iso(end + rng.range(86400, 90 * 86400));
  }
  // The new markets are as incompletely listed as the old ones were.
  if (ds.lists) applyListCoverage(ds, ds.lists.options, oldCount);
  ds.version++;
}

export interface DatasetTotals {
  count: number;
  makerAmountFilled: bigint;
  takerAmountFilled: bigint;
  fee: bigint;
  /** Sum of the USDC legs. */
  usdc: bigint;
  /** Sum of the token legs. */
  tokens: bigint;
  fillIds: Set<string>;
}

/** Counts and raw-amount sums of a dataset, for test assertions. */
export function datasetTotals(ds: Dataset): DatasetTotals {
  // Sums in Numbers while exact (short strings, flushed every 1000 rows), BigInt otherwise.
  const acc = { maker: 0n, taker: 0n, fee: 0n, usdc: 0n, tokens: 0n };
  let nm = 0;
  let nt = 0;
  let nf = 0;
  let nu = 0;
  let nk = 0;
  const flush = (): void => {
    acc.maker += BigInt(nm);
    acc.taker += BigInt(nt);
    acc.fee += BigInt(nf);
    acc.usdc += BigInt(nu);
    acc.tokens += BigInt(nk);
    nm = nt = nf = nu = nk = 0;
  };
  const fillIds = new Set<string>();
  let i = 0;
  for (const f of ds.fills) {
    const usdcIsMaker = f.makerAssetId === USDC_ASSET_ID;
    const a = f.makerAmountFilled;
    const b = f.takerAmountFilled;
    const c = f.fee;
    if (a.length <= 12 && b.length <= 12 && c.length <= 12) {
      const m = Number(a);
      const t = Number(b);
      nm += m;
      nt += t;
      nf += Number(c);
      if (usdcIsMaker) {
        nu += m;
        nk += t;
      } else {
        nu += t;
        nk += m;
      }
    } else {
      const m = BigInt(a);
      const t = BigInt(b);
      acc.maker += m;
      acc.taker += t;
      acc.fee += BigInt(c);
      acc.usdc += usdcIsMaker ? m : t;
      acc.tokens += usdcIsMaker ? t : m;
    }
    if (++i % 1000 === 0) flush();
    fillIds.add(f.id);
  }
  flush();
  return {
    count: ds.fills.length,
    makerAmountFilled: acc.maker,
    takerAmountFilled: acc.taker,
    fee: acc.fee,
    usdc: acc.usdc,
    tokens: acc.tokens,
    fillIds,
  };
}

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
