import { describe, expect, it } from 'vitest';
import { ORDER_FILLED_TOPIC } from '#shared/sources/chain/index.ts';
import { orderFilledCatalogue } from '#shared/sources/chain/catalogue.ts';
import { REQUESTS_PER_SHARD, shardSizing } from '#shared/sources/chain/options.ts';
import { cutShards, MIN_REQUESTS_PER_PARALLEL_SHARD, spanFor, type SizingConfig } from '#shared/sources/chain/plan.ts';
import { SHARDS_PER_FETCHER } from '#shared/sources/source.ts';

const EXCHANGE = '0xE111180000d2663C0091e4f400237545B87B996B';

describe('shard sizing', () => {
  const blocksOf = (s: { spec: { fromBlock: string; toBlock: string } }) => Number(s.spec.toBlock) - Number(s.spec.fromBlock) + 1;
  const cfg: SizingConfig = {
    addresses: [],
    topics: [ORDER_FILLED_TOPIC],
    maxBlockSpan: 2_000,
    targetLogsPerRequest: 3_000,
    targetRowsPerShard: 90_000,
    maxShardBlocks: 100_000,
    densityProbes: 8,
    probeSpan: 20,
  };

  it('request span follows density, within the provider span cap', () => {
    expect(spanFor(cfg, 25)).toBe(120);
    expect(spanFor(cfg, 0)).toBe(2_000);
    expect(spanFor(cfg, 0.01)).toBe(2_000);
    expect(spanFor(cfg, 1e6)).toBe(1);
  });

  it('shards tile the range exactly, with row estimates', () => {
    const regions = [
      { from: 100n, to: 10_099n, logsPerBlock: 25 },
      { from: 10_100n, to: 250_000n, logsPerBlock: 0 },
      { from: 250_001n, to: 250_001n, logsPerBlock: 3 },
    ];
    const shards = cutShards(cfg, regions);
    let next = 100n;
    for (const s of [...shards].sort((a, b) => Number(BigInt(a.spec.fromBlock) - BigInt(b.spec.fromBlock)))) {
      expect(BigInt(s.spec.fromBlock)).toBe(next);
      next = BigInt(s.spec.toBlock) + 1n;
      expect(s.spec.span).toBeGreaterThan(0);
    }
    expect(next).toBe(250_002n);
    const dense = shards.filter((s) => BigInt(s.spec.toBlock) < 10_100n);
    expect(dense[0]!.spec.span).toBe(120);
    expect(dense[0]!.estimatedRows).toBe(3_600 * 25); // 90 000 rows: 3 600 blocks = 30 spans
    expect(
      shards
        .filter((s) => BigInt(s.spec.fromBlock) >= 10_100n && BigInt(s.spec.toBlock) <= 250_000n)
        .every((s) => Number(BigInt(s.spec.toBlock) - BigInt(s.spec.fromBlock)) < 100_000),
    ).toBe(true);
  });

  it('cuts a small range into the shards the fetchers need, a multiple of them, but never shards of fewer than 8 spans', () => {
    // 25 logs a block: 120-block spans. 9,600 blocks = 80 spans.
    const region = [{ from: 0n, to: 9_599n, logsPerBlock: 25 }];
    expect(cutShards(cfg, region)).toHaveLength(3); // by rows: 90,000 rows = 30 spans a shard
    const forTwo = cutShards(cfg, region, 2);
    expect(forTwo).toHaveLength(2 * SHARDS_PER_FETCHER); // 10 spans each
    // Eight fetchers would want 32; 80 spans allow 10 of 8 spans; 8 finish in one even round.
    const forEight = cutShards(cfg, region, 8);
    expect(forEight).toHaveLength(8);
    // Three fetchers: 10 allowed, 9 taken (three rounds of three).
    expect(cutShards(cfg, region, 3)).toHaveLength(9);
    // Where the rows cap asks for more (12 of at most 20,000 rows), the count rises to the next multiple: three rounds of five.
    const byRows = cutShards({ ...cfg, targetRowsPerShard: 20_000 }, region, 5);
    expect(byRows).toHaveLength(15);
    expect(byRows.every((s) => s.estimatedRows <= 20_000)).toBe(true);
    for (const shard of [...forTwo, ...forEight]) {
      expect(blocksOf(shard) / 120).toBeGreaterThanOrEqual(MIN_REQUESTS_PER_PARALLEL_SHARD);
      expect(shard.spec.logsPerBlock).toBe(25);
    }
    // The pieces tile the range.
    expect(forEight[0]!.spec.fromBlock).toBe('0');
    expect(forEight.at(-1)!.spec.toBlock).toBe('9599');
  });

  it("counts a parallel shard's requests at the closest aim its fetcher reaches, not at the planner's", () => {
    // 200 spans at the planner's aim (3,000 logs, 80% of a 3,750 cap): 25 shards of 8 would be allowed, 24 taken.
    const region = [{ from: 0n, to: 23_999n, logsPerBlock: 25 }];
    expect(cutShards(cfg, region, 8)).toHaveLength(24);
    // Fetchers that aim at 95% of the cap (3,562 logs, 142-block spans) read those 200 spans in 169 requests:
    // 24 shards would hold 7 each, so 16 are cut, of 10.5 requests.
    const closer = { ...cfg, closestLogsPerRequest: 3_562 };
    const shards = cutShards(closer, region, 8);
    expect(shards).toHaveLength(16);
    for (const shard of shards) expect(blocksOf(shard) / 142).toBeGreaterThanOrEqual(MIN_REQUESTS_PER_PARALLEL_SHARD);
    // Still cut in whole spans of the planner's aim, and sized for the first request by the planner's density.
    expect(shards.every((s) => s.spec.span === 120 && s.spec.logsPerBlock === 25)).toBe(true);
    // Where a span cap sets every request, the aim changes nothing.
    const capped = [{ from: 0n, to: 300_999n, logsPerBlock: 0.1 }];
    expect(cutShards(closer, capped, 8)).toHaveLength(cutShards(cfg, capped, 8).length);
  });

  it('by default holds a shard to REQUESTS_PER_SHARD requests at the closest aim, whatever the result cap', () => {
    const catalogue = orderFilledCatalogue([EXCHANGE]);
    const sized = (closestTarget: number, targetRowsPerShard?: number) =>
      shardSizing({ rpcUrl: 'http://rpc.test', targetRowsPerShard }, catalogue, { spanCap: 1_000_000, target: closestTarget, closestTarget })
        .targetRowsPerShard;
    expect(REQUESTS_PER_SHARD).toBe(40);
    // Alchemy's and Infura's 10,000-log cap, aimed at 95%: 380,000 rows, where a fixed 100,000 made shards of 10.5 requests.
    expect(sized(9_500)).toBe(380_000);
    // The chain bench's paid cap (10,000 / 50, aimed at 190): the same 40 requests.
    expect(sized(190)).toBe(7_600);
    // What the operator sets (CHAIN_ROWS_PER_SHARD) stands.
    expect(sized(9_500, 100_000)).toBe(100_000);
    // A V2 backfill at Polygon's density (22 fills a block, 219 days of 43,200 blocks) behind the 10,000 cap: each shard
    // is 40 requests of the fetchers' aim, every one within its rows.
    const sizing = { ...cfg, maxBlockSpan: 1_000_000, targetLogsPerRequest: 8_000, closestLogsPerRequest: 9_500, targetRowsPerShard: sized(9_500) };
    const shards = cutShards(sizing, [{ from: 0n, to: 219n * 43_200n - 1n, logsPerBlock: 22 }], 4);
    // Whole spans of the planner's aim (363 blocks at 8,000 logs): 47 a shard, 375,342 rows; 208 M rows in 555 shards.
    expect(spanFor(sizing, 22)).toBe(363);
    expect(shards).toHaveLength(555);
    expect(shards.every((s) => s.estimatedRows <= 380_000)).toBe(true);
    // The range's rest is one shorter shard, which the plan (most requests first) starts last.
    expect(shards.slice(0, -1).every((s) => s.estimatedRows / 9_500 > REQUESTS_PER_SHARD - 1)).toBe(true);
    expect(shards.at(-1)!.estimatedRows / 9_500).toBeCloseTo(20.9, 1);
  });

  it('cuts shards of equal requests across regions, leaving no remainder of a region to page last', () => {
    // 120-block spans; 30 spans a shard by rows. Cut region by region, the first (80 spans) left a 20-span remainder.
    const regions = [
      { from: 0n, to: 9_599n, logsPerBlock: 25 },
      { from: 9_600n, to: 16_799n, logsPerBlock: 25 },
    ];
    const shards = cutShards(cfg, regions);
    expect(shards.map((s) => blocksOf(s) / s.spec.span)).toEqual([28, 28, 28, 28, 28]);
    // In block order, tiling the range; the third crosses from one region into the next.
    expect(shards.map((s) => [s.spec.fromBlock, s.spec.toBlock])).toEqual([
      ['0', '3359'],
      ['3360', '6719'],
      ['6720', '10079'],
      ['10080', '13439'],
      ['13440', '16799'],
    ]);
    expect(shards.reduce((n, s) => n + s.estimatedRows, 0)).toBe(16_800 * 25);
  });

  it('cuts shards in whole spans where a span cap sets every request, so each request is a full one', () => {
    // A sparse range: every request is the 2,000-block cap. 301,000 blocks = 150.5 spans for 8 fetchers: 16 shards of 9.4.
    const regions = [
      { from: 0n, to: 150_499n, logsPerBlock: 0.1 },
      { from: 150_500n, to: 300_999n, logsPerBlock: 0.1 },
    ];
    const shards = cutShards(cfg, regions, 8);
    expect(shards).toHaveLength(16);
    const spans = shards.map((s) => blocksOf(s) / 2_000);
    // Whole spans, a shard crossing into the next region too; only the one that ends the range (150.5 spans) is not.
    expect(spans.filter((n) => !Number.isInteger(n))).toEqual([9.5]);
    expect(Math.max(...spans) - Math.min(...spans)).toBeLessThanOrEqual(1.5);
    // 150.3 spans: the last of the 16 takes the 9.3 left, where rounding it to 9 left a 17th of 0.3.
    const shorter = cutShards(cfg, [{ from: 0n, to: 300_599n, logsPerBlock: 0.1 }], 8);
    expect(shorter).toHaveLength(16);
    expect(Math.min(...shorter.map((s) => blocksOf(s) / 2_000))).toBeGreaterThanOrEqual(9);
  });

  it('cuts shards as long as the caps allow where less than a span fits them, never a shard a block', () => {
    // A span (120 blocks, 3,000 rows) over a 1,000-row cap: shards of 40 blocks. Rounded to whole spans, each was one block.
    const dense = cutShards({ ...cfg, targetRowsPerShard: 1_000 }, [{ from: 0n, to: 9_599n, logsPerBlock: 25 }], 4);
    expect(dense).toHaveLength(240);
    expect(dense.every((s) => blocksOf(s) === 40 && s.estimatedRows === 1_000)).toBe(true);
    // An empty range whose 2,000-block span is longer than a shard may be (1,000 blocks).
    const sparse = cutShards({ ...cfg, maxShardBlocks: 1_000 }, [{ from: 0n, to: 99_999n, logsPerBlock: 0 }], 4);
    expect(sparse).toHaveLength(100);
    expect(sparse.every((s) => blocksOf(s) === 1_000)).toBe(true);
  });

  it('orders the plan by requests, most first, where a cap leaves shards unequal', () => {
    // A dense region (25 logs a block: 120-block spans, 80 of them, 240,000 rows) cut by rows into 30-span shards, then an
    // empty one (2,000-block spans, 75 of them). Three shards by rows, about 52 requests each; the first two stop at 30
    // (90,000 rows), so the third takes what they left, up to its 100,000 blocks, and a fourth the rest.
    const regions = [
      { from: 0n, to: 9_599n, logsPerBlock: 25 },
      { from: 9_600n, to: 159_599n, logsPerBlock: 0 },
    ];
    const shards = cutShards(cfg, regions);
    expect(shards.map((s) => [s.spec.fromBlock, s.spec.toBlock, s.spec.span, s.estimatedRows])).toEqual([
      // 20 dense spans and 48.8 empty ones: its first request is sized by the dense region it starts in.
      ['7200', '107199', 120, 60_000],
      ['0', '3599', 120, 90_000],
      ['3600', '7199', 120, 90_000],
      // The rest of the empty region: 26.2 spans.
      ['107200', '159599', 2_000, 0],
    ]);
  });
});
