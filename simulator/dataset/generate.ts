/** Makes a dataset from options and a seed, and grows one with later markets and fills. */
import { applyListCoverage } from '#simulator/market-lists.ts';
import { Rng, mixSeed } from '#simulator/rng.ts';
import { emitFills, wallets } from './fills.ts';
import { iso, makeMarkets } from './markets.ts';
import { USDC_ASSET_ID, V1_DEFAULT_END, V1_START, type Dataset, type ExtendOptions, type GenerateOptions } from './model.ts';

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
