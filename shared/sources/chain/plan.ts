import type { Address, Hex } from 'viem';
import { minShardsFor, type PlannedShard } from '#shared/sources/source.ts';
import { logBlockTimestamp, type RpcLog } from './decode.ts';
import type { ChainRpc } from './rpc.ts';

export interface ChainShardSpec {
  /** First block of the shard, decimal. */
  fromBlock: string;
  /** Last block of the shard (inclusive, at or below the safe head when planned), decimal. */
  toBlock: string;
  /** Blocks per eth_getLogs request the planner expects to fit the provider's caps. */
  span: number;
  /**
   * The planner's estimate of the shard's logs per block, when it has one: the
   * first page sizes its request from it and the fetcher's own aim (which may
   * have moved closer to the result cap since the plan), not from `span`.
   */
  logsPerBlock?: number;
}

export interface SizingConfig {
  /** The contracts and topic0s every eth_getLogs filters on. */
  addresses: readonly Address[];
  topics: readonly Hex[];
  /** The provider's eth_getLogs block-span cap (blocks per request). */
  maxBlockSpan: number;
  /** The logs per eth_getLogs request we aim at (below the provider's result cap). */
  targetLogsPerRequest: number;
  /**
   * The most logs a fetcher's request aims at once its counts have shown they
   * fall evenly (default `targetLogsPerRequest`): shards cut for parallelism
   * count their requests at this aim, the one their fetchers reach.
   */
  closestLogsPerRequest?: number | undefined;
  /** Rows per shard we aim at. */
  targetRowsPerShard: number;
  /** Cap on a shard's length in blocks, however sparse. */
  maxShardBlocks: number;
  /** Regions the range is split into for density sampling (one probe each). */
  densityProbes: number;
  /** Blocks read by one density probe. */
  probeSpan: number;
  /** Fixed logs-per-block estimate; when set, no probe is sent. */
  logsPerBlock?: number | undefined;
  /** How many transactions among these logs the source reads receipts for (activity routed through an adapter); absent: none. */
  receiptsIn?: ((logs: readonly RpcLog[]) => number) | undefined;
}

export interface DensityRegion {
  from: bigint;
  to: bigint;
  /** Estimated logs per block (of every kind read) in this region. */
  logsPerBlock: number;
  /** Estimated transactions a block whose receipts are read (SizingConfig.receiptsIn); absent: not measured. */
  receiptsPerBlock?: number;
  /** Share of the sampled logs that carry no blockTimestamp, so their block's header is read (absent: all of them). */
  untimedShare?: number;
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
/** A probe that returns fewer logs is widened: below this a count says little about the density. */
const MIN_PROBE_LOGS = 100;
const max = (a: bigint, b: bigint) => (a > b ? a : b);

/**
 * Estimates log density over [from, to] cheaply: the range is cut into up to
 * `densityProbes` equal regions and one eth_getLogs over the last
 * `probeSpan` blocks of each says how dense that region is. Spreading the
 * probes keeps a long backfill from being sized by its newest blocks only
 * (trading volume moves a lot over weeks). The next probe starts at the
 * length this one settled on. A probe that sees fewer than MIN_PROBE_LOGS
 * logs looks wider (at most twice, within its region and the span cap): ten
 * times, or as far as its count says `targetLogsPerRequest` logs reach. A
 * refused probe counts the provider's suggested range next, else the last
 * blocks of its window, as many as the span cap or half, and is never widened again; a probe
 * refused at one block counts as "at the provider's cap".
 */
export async function sampleDensity(rpc: ChainRpc, cfg: SizingConfig, from: bigint, to: bigint, signal?: AbortSignal): Promise<DensityRegion[]> {
  const total = to - from + 1n;
  if (total <= 0n) return [];
  if (cfg.logsPerBlock !== undefined) return [{ from, to, logsPerBlock: cfg.logsPerBlock }];
  const probe = BigInt(Math.max(1, Math.min(cfg.probeSpan, cfg.maxBlockSpan)));
  let regions = BigInt(Math.max(1, cfg.densityProbes));
  // No region smaller than a probe, so probes never overlap.
  if (total / probe < regions) regions = max(1n, total / probe);
  // One probe at a time: a provider's Retry-After then holds for the next one.
  // Each probe starts at the length the one before settled on (neighbouring
  // regions have similar densities): in a sparse range the first probe widens
  // and the rest start wide instead of widening again, a call or two each.
  let startLen = probe;
  const probeRegion = async (i: bigint): Promise<DensityRegion> => {
    const rFrom = from + (total * i) / regions;
    const rTo = from + (total * (i + 1n)) / regions - 1n;
    const regionLen = rTo - rFrom + 1n;
    // The window [pFrom, pTo] ends at the region's end, unless a refusal suggested other blocks. Shrunk to a
    // window of the suggestion's length ending at the region's end instead, a probe met other blocks than the
    // provider had counted and was refused again, up to ten times in a row.
    let pTo = rTo;
    let pFrom = rTo - min(startLen, regionLen) + 1n;
    let refused = false;
    for (let widened = 0; ;) {
      const len = pTo - pFrom + 1n;
      const res = await rpc.getLogs(cfg.addresses, cfg.topics, pFrom, pTo, signal);
      if (res.ok) {
        const count = res.logs.length;
        // Too few logs to tell the density (a sparse stretch, or bursts between empty blocks): look wider, where
        // no refusal has shown the provider's cap, and no further than the count says the aim allows.
        const byCount = count > 0 ? BigInt(Math.floor((Number(len) * cfg.targetLogsPerRequest) / count)) : len * 10n;
        const wider = min(min(len * 10n, byCount), min(pTo - rFrom + 1n, BigInt(cfg.maxBlockSpan)));
        if (count < MIN_PROBE_LOGS && !refused && widened < 2 && wider > len) {
          pFrom = pTo - wider + 1n;
          widened++;
          continue;
        }
        startLen = len;
        const receipts = cfg.receiptsIn ? { receiptsPerBlock: cfg.receiptsIn(res.logs) / Number(len) } : {};
        const untimed = count > 0 ? { untimedShare: res.logs.filter((l) => logBlockTimestamp(l) === null).length / count } : {};
        return { from: rFrom, to: rTo, logsPerBlock: count / Number(len), ...receipts, ...untimed };
      }
      if (len === 1n) return { from: rFrom, to: rTo, logsPerBlock: res.failure.maxResults ?? cfg.targetLogsPerRequest * 4 };
      refused = true;
      const sug = res.failure.suggested;
      if (sug && sug.from >= pFrom && sug.to <= pTo && sug.to >= sug.from && sug.to - sug.from + 1n < len) {
        // The blocks the provider says fit: counting them is the next probe.
        pFrom = sug.from;
        pTo = sug.to;
      } else {
        const cap = res.failure.maxSpan;
        pFrom = pTo - (cap !== undefined && BigInt(cap) < len ? max(1n, BigInt(cap)) : len / 2n) + 1n;
      }
    }
  };
  const out: DensityRegion[] = [];
  for (let i = 0n; i < regions; i++) out.push(await probeRegion(i));
  return out;
}

/** Blocks per request that should return about `targetLogsPerRequest` logs at this density. */
export function spanFor(cfg: SizingConfig, logsPerBlock: number): number {
  if (!(logsPerBlock > 0)) return cfg.maxBlockSpan;
  return Math.max(1, Math.min(cfg.maxBlockSpan, Math.floor(cfg.targetLogsPerRequest / logsPerBlock)));
}

/**
 * Shards cut for parallelism hold at least this many requests, counted at the
 * closest aim the fetchers reach (`closestLogsPerRequest`): each shard ends on
 * a short request (half a request's results on average), so one of eight
 * wastes about a sixteenth of its calls. With four, a small backfill on a
 * result-capped plan lost an eighth of its calls to shard ends. Counted at the
 * planner's own aim (80% of the cap) instead, two of four world seeds of the
 * chain bench's paid profile were cut into 24 shards that their fetchers,
 * aiming at about 92%, read in 7 requests each: 79.3% and 80.4% of the limit
 * while fetching, against 81.7% and 83.2% cut into 16 at the closest aim (the
 * other two seeds were cut into 16 either way; `npm run bench -- --only chain`).
 */
export const MIN_REQUESTS_PER_PARALLEL_SHARD = 8;

/**
 * Cuts the range into shards of equal expected requests (blocks / the
 * region's span, summed over the regions a shard covers), as few as the
 * caps allow: at most `targetRowsPerShard` estimated rows and
 * `maxShardBlocks` blocks each, and at least `minShardsFor(fetchers)` when
 * the range has MIN_REQUESTS_PER_PARALLEL_SHARD requests for each: each fetcher
 * pages its shard one request after another, so a range cut into fewer
 * shards than fetchers leaves some idle and the provider's allowance unused.
 * The count is a multiple of the fetchers where the range allows one: the
 * fetchers then take the shards in even rounds. Cut into 23 for 8 fetchers,
 * the last round left a fetcher idle and the rest ended over three seconds;
 * cut into 16, the same backfill on the chain bench's paid profile went from
 * 79% of the limit to 83-84%.
 *
 * A shard may cross from one density region into the next (the fetcher
 * adapts its span as it pages); its first request is sized by the region it
 * starts in. Cutting each region on its own left a remainder shard per
 * region, one or two short requests each, that paged last while the other
 * fetchers idled: on the chain bench's paid profile eight such remainders
 * brought 115 results a call against 184 for the rest (`npm run bench --
 * --only chain`). Each shard is a whole number of the spans of the region it
 * ends in: where a provider's span cap sets every request, each is then a
 * full one (cut at fractions of a span, 32 shards of the public profile each
 * ended on a partial request, 320 pages against 304).
 *
 * The plan is ordered by requests, most first (ties in block order), as the
 * subgraph's is by rows: where a cap leaves a shorter shard, it starts last
 * instead of delaying a long one.
 */
export function cutShards(cfg: SizingConfig, regions: readonly DensityRegion[], fetchers?: number): PlannedShard<ChainShardSpec>[] {
  const parts = regions.map((r) => ({
    ...r,
    span: spanFor(cfg, r.logsPerBlock),
    blocks: Number(r.to - r.from + 1n),
    receiptsPerBlock: r.receiptsPerBlock ?? 0,
    untimedShare: r.untimedShare ?? 1,
  }));
  const total = parts.reduce((t, p) => ({ requests: t.requests + p.blocks / p.span, rows: t.rows + p.blocks * p.logsPerBlock, blocks: t.blocks + p.blocks }), {
    requests: 0,
    rows: 0,
    blocks: 0,
  });
  const rounds = Math.max(1, Math.floor(fetchers ?? 1));
  const closest = { ...cfg, targetLogsPerRequest: Math.max(cfg.targetLogsPerRequest, cfg.closestLogsPerRequest ?? 0) };
  const requestsAtClosest = parts.reduce((n, p) => n + p.blocks / spanFor(closest, p.logsPerBlock), 0);
  const parallel = Math.min(minShardsFor(fetchers), Math.floor(requestsAtClosest / MIN_REQUESTS_PER_PARALLEL_SHARD));
  const byParallelism = Math.max(1, parallel >= rounds ? parallel - (parallel % rounds) : parallel);
  const byCaps = Math.max(Math.ceil(total.rows / cfg.targetRowsPerShard), Math.ceil(total.blocks / cfg.maxShardBlocks));
  const count = byCaps > byParallelism ? Math.ceil(byCaps / rounds) * rounds : byParallelism;
  const requestsPerShard = total.requests / count;

  const shards: { shard: PlannedShard<ChainShardSpec>; requests: number }[] = [];
  // Requests of every shard cut so far, the open one included: shard k ends near k × requestsPerShard, so rounding
  // each to whole spans does not add up along the range.
  let done = 0;
  let open: { from: bigint; span: number; logsPerBlock: number; requests: number; rows: number; blocks: number; receipts: number; untimed: number } | undefined;
  const close = (to: bigint) => {
    if (!open) return;
    const { from, span, logsPerBlock, rows, blocks, requests, receipts, untimed } = open;
    const spec = { fromBlock: from.toString(), toBlock: to.toString(), span: Math.min(span, blocks), ...(logsPerBlock > 0 ? { logsPerBlock } : {}) };
    const estimates = {
      ...(receipts > 0 ? { estimatedReceipts: Math.ceil(receipts) } : {}),
      ...(untimed < rows ? { estimatedUntimedRows: Math.ceil(untimed) } : {}),
    };
    shards.push({ shard: { spec, estimatedRows: Math.round(rows), label: `blocks ${from}..${to}`, ...estimates }, requests });
    open = undefined;
  };
  for (const p of parts) {
    for (let at = p.from; at <= p.to;) {
      open ??= { from: at, span: p.span, logsPerBlock: p.logsPerBlock, requests: 0, rows: 0, blocks: 0, receipts: 0, untimed: 0 };
      // Blocks this region may add before the shard holds its share of requests, or reaches its rows or blocks cap.
      const cap = Math.min(p.logsPerBlock > 0 ? (cfg.targetRowsPerShard - open.rows) / p.logsPerBlock : Infinity, cfg.maxShardBlocks - open.blocks);
      // The last shard of the count takes the rest of the range (its caps allowing): rounded, it left a sliver behind.
      const share = shards.length + 1 >= count ? Infinity : ((shards.length + 1) * requestsPerShard - done) * p.span;
      // The shard's length in whole spans of this region: under a provider's span cap every request is then a full one.
      let length = Math.round((open.blocks + Math.min(share, cap)) / p.span) * p.span;
      if (length - open.blocks > cap) length -= p.span;
      let room = length - open.blocks;
      if (room <= 0 && open.blocks > 0) {
        close(at - 1n);
        continue;
      }
      // Less than a span fits the caps (a sparse region's span is longer than maxShardBlocks, or a dense one's rows
      // exceed targetRowsPerShard): the shard is what the caps allow, where whole spans would leave it a single block.
      if (room <= 0) room = Math.min(Math.round(share), Math.floor(cap + 1e-9));
      const take = Math.max(1, Math.min(Number(p.to - at + 1n), room));
      open.requests += take / p.span;
      done += take / p.span;
      open.rows += take * p.logsPerBlock;
      open.receipts += take * p.receiptsPerBlock;
      open.untimed += take * p.logsPerBlock * p.untimedShare;
      open.blocks += take;
      at += BigInt(take);
      if (take >= room) close(at - 1n);
    }
  }
  close(parts.at(-1)?.to ?? 0n);
  // Array sort is stable: equal shards keep block order. Requests are compared whole, as the fetcher sends them.
  return shards.sort((a, b) => Math.ceil(b.requests - 1e-9) - Math.ceil(a.requests - 1e-9)).map((s) => s.shard);
}

/**
 * The first block in [lo, hi] whose timestamp is at or after `unixSeconds`
 * (hi + 1 when none is), by binary search on block timestamps: about
 * log2(hi - lo) header reads, cached.
 */
export async function firstBlockAtOrAfter(rpc: ChainRpc, lo: bigint, hi: bigint, unixSeconds: number, signal?: AbortSignal): Promise<bigint> {
  if (lo > hi) return lo;
  const ts = async (n: bigint) => {
    const h = await rpc.getHeader(n, signal);
    if (!h) throw new Error(`block ${n} not found while searching for time ${unixSeconds}`);
    return h.timestamp;
  };
  if ((await ts(hi)) < unixSeconds) return hi + 1n;
  let a = lo;
  let b = hi;
  while (a < b) {
    const mid = a + (b - a) / 2n;
    if ((await ts(mid)) >= unixSeconds) b = mid;
    else a = mid + 1n;
  }
  return a;
}
