import type { Address, Hex } from 'viem';
import type { PlannedShard } from '#shared/sources/source.ts';
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
}

export interface DensityRegion {
  from: bigint;
  to: bigint;
  /** Estimated logs per block (of every kind read) in this region. */
  logsPerBlock: number;
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
 * (trading volume moves a lot over weeks). A refused probe is halved until
 * it fits; a probe refused at one block counts as "at the provider's cap";
 * a probe that sees fewer than MIN_PROBE_LOGS logs looks ten times wider
 * (at most twice, within its region and the span cap); the next probe starts
 * at the length this one settled on.
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
    let len = min(startLen, regionLen);
    for (let widened = 0; ;) {
      const pFrom = rTo - len + 1n;
      const res = await rpc.getLogs(cfg.addresses, cfg.topics, pFrom, rTo, signal);
      if (res.ok) {
        // Too few logs to tell the density (a sparse stretch, or bursts between
        // empty blocks): look ten times wider, at most twice.
        const wider = min(len * 10n, min(regionLen, BigInt(cfg.maxBlockSpan)));
        if (res.logs.length < MIN_PROBE_LOGS && widened < 2 && wider > len) {
          len = wider;
          widened++;
          continue;
        }
        startLen = len;
        return { from: rFrom, to: rTo, logsPerBlock: res.logs.length / Number(len) };
      }
      if (len === 1n) return { from: rFrom, to: rTo, logsPerBlock: res.failure.maxResults ?? cfg.targetLogsPerRequest * 4 };
      const sug = res.failure.suggested;
      const sugLen = sug && sug.to >= sug.from ? sug.to - sug.from + 1n : 0n;
      len = sugLen > 0n && sugLen < len ? sugLen : len / 2n;
      if (res.failure.maxSpan !== undefined && BigInt(res.failure.maxSpan) < len) len = max(1n, BigInt(res.failure.maxSpan));
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
 * Shards cut for parallelism hold at least this many request spans: each
 * shard ends on a short request (half a span's results on average), so one of
 * eight wastes about a sixteenth of its calls. With four, a small backfill on
 * a result-capped plan lost an eighth of its calls to shard ends
 * (`npm run bench -- --only chain`).
 */
export const MIN_SPANS_PER_PARALLEL_SHARD = 8;

/**
 * Cuts each density region into shards of about `targetRowsPerShard` rows,
 * each a whole number of request spans (so the fetcher's request count is
 * predictable: ceil(blocks / span) when the estimate holds), and into at
 * least `minShards` shards overall when the range has that many spans: each
 * fetcher pages its shard one request after another, so a range cut into
 * fewer shards than fetchers leaves some idle and the provider's allowance
 * unused. Each region gets its share of `minShards` by blocks, as long as its
 * shards keep MIN_SPANS_PER_PARALLEL_SHARD spans each.
 *
 * The plan is ordered by requests, most first (ties in block order), as the
 * subgraph's is by rows: fetchers take shards in order, so a region's short
 * remainder left at its place in block order could start a run's last long
 * shard late, and that shard then pages alone while the other fetchers idle.
 */
export function cutShards(cfg: SizingConfig, regions: readonly DensityRegion[], minShards = 1): PlannedShard<ChainShardSpec>[] {
  const shards: PlannedShard<ChainShardSpec>[] = [];
  const totalBlocks = regions.reduce((n, r) => n + Number(r.to - r.from + 1n), 0);
  for (const r of regions) {
    const span = spanFor(cfg, r.logsPerBlock);
    const regionBlocks = Number(r.to - r.from + 1n);
    const byRows = r.logsPerBlock > 0 ? Math.floor(cfg.targetRowsPerShard / r.logsPerBlock) : cfg.maxShardBlocks;
    const wanted = Math.max(
      1,
      Math.min(Math.ceil((minShards * regionBlocks) / Math.max(1, totalBlocks)), Math.floor(regionBlocks / (span * MIN_SPANS_PER_PARALLEL_SHARD))),
    );
    const byParallelism = Math.ceil(regionBlocks / wanted);
    let blocks = Math.min(cfg.maxShardBlocks, byParallelism, Math.max(span, byRows));
    blocks = Math.max(span, blocks - (blocks % span));
    for (let s = r.from; s <= r.to; s += BigInt(blocks)) {
      const e = min(r.to, s + BigInt(blocks) - 1n);
      const n = Number(e - s + 1n);
      shards.push({
        spec: { fromBlock: s.toString(), toBlock: e.toString(), span: Math.min(span, n), ...(r.logsPerBlock > 0 ? { logsPerBlock: r.logsPerBlock } : {}) },
        estimatedRows: Math.round(n * r.logsPerBlock),
        label: `blocks ${s}..${e}`,
      });
    }
  }
  const requests = (shard: PlannedShard<ChainShardSpec>) =>
    Math.ceil((Number(shard.spec.toBlock) - Number(shard.spec.fromBlock) + 1) / Math.max(1, shard.spec.span));
  // Array sort is stable: equal shards keep block order.
  return shards.sort((a, b) => requests(b) - requests(a));
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
