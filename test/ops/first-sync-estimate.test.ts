import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChainWorld, type ChainWorld } from '#simulator/world/index.ts';
import { readSettings, SOURCE_SETTINGS } from '#shared/config.ts';
import {
  estimateFromPlans,
  estimateLimits,
  formatDuration,
  formatFirstSyncEstimate,
  planWithoutRunning,
  receiptBatches,
} from '#shared/ops/first-sync-estimate.ts';
import { buildSources } from '#shared/sources/registry.ts';
import type { SourcePlan } from '#shared/sources/source.ts';

const chainShard = (from: number, to: number, span: number, rows: number) => ({
  spec: { fromBlock: String(from), toBlock: String(to), span },
  estimatedRows: rows,
  label: `blocks ${from}..${to}`,
});

describe('the first-sync estimate (pure)', () => {
  const limits = { requestsPerSecond: { chain: 10, subgraph: 5 }, subgraphPageSize: 1000, chainHeaderBatch: 50 };

  it('counts blocks, rows and requests per source and divides by each allowance', () => {
    const chain: SourcePlan<unknown> = {
      // 1,000 blocks in spans of 100 (10 getLogs) with 400 rows (8 header batches); 500 blocks in one span with 20 rows (1 + 1).
      shards: [chainShard(1, 1000, 100, 400), chainShard(1001, 1500, 500, 20)],
      target: '1500',
    };
    const subgraph: SourcePlan<unknown> = {
      // 2,500 rows: pages of 1,000, 1,000, 500 (3); 999 rows: one page; 0 rows: the one empty page.
      shards: [
        { spec: {}, estimatedRows: 2500, label: 'a' },
        { spec: {}, estimatedRows: 999, label: 'b' },
        { spec: {}, estimatedRows: 0, label: 'c' },
      ],
      target: '1',
    };
    const markets: SourcePlan<unknown> = { shards: [{ spec: { list: 'clob' }, estimatedRows: 0, label: 'market list' }], target: null };
    const e = estimateFromPlans({ chain, subgraph, markets }, limits);
    expect(e.sources).toEqual([
      { source: 'markets', shards: 1, rows: 0, requests: 1 },
      { source: 'subgraph', shards: 3, rows: 3499, requests: 5, requestsPerSecond: 5, seconds: 1 },
      { source: 'chain', shards: 2, rows: 420, blocks: 1500, requests: 20, headerRequests: 9, receiptRequests: 0, requestsPerSecond: 10, seconds: 2 },
    ]);
    expect(e).toMatchObject({ rows: 3919, blocks: 1500, seconds: 2, unpaced: [] });
  });

  it("counts the receipt batches of each shard's adapter-routed transactions, page by page, and says so", () => {
    const shards = [
      // 10 pages, 120 transactions: 12 a page, one batch each (10); 8 header batches.
      { ...chainShard(1, 1000, 100, 400), estimatedReceipts: 120 },
      // 10 pages, 1,200 transactions: 120 a page, three batches of 50 each (30).
      { ...chainShard(1001, 2000, 100, 400), estimatedReceipts: 1200 },
      // 1 page, 1 transaction: 1.
      { ...chainShard(2001, 2010, 10, 5), estimatedReceipts: 1 },
    ];
    const e = estimateFromPlans({ chain: { shards, target: '2010' } }, limits);
    expect(e.sources).toEqual([
      {
        source: 'chain',
        shards: 3,
        rows: 805,
        blocks: 2010,
        requests: 21 + 17 + 41,
        headerRequests: 17,
        receiptRequests: 41,
        requestsPerSecond: 10,
        seconds: 7.9,
      },
    ]);
    expect(formatFirstSyncEstimate(e)).toContain(
      "~79 requests, about 8 s at 10 requests/s\n            of them 21 eth_getLogs, up to 17 header batches (none where logs carry blockTimestamp or the chain's rule proves block times), 41 receipt batches for activity through collateral adapters",
    );
    // Fewer transactions than pages: a batch each.
    expect(receiptBatches(3, 10, 50)).toBe(3);
    expect(receiptBatches(0, 10, 50)).toBe(0);
  });

  it('leaves the time out for a source that is not paced, and says which setting gives one', () => {
    const e = estimateFromPlans({ chain: { shards: [chainShard(1, 10, 10, 5)], target: '10' } }, { ...limits, requestsPerSecond: {} });
    expect(e.seconds).toBeUndefined();
    expect(e.unpaced).toEqual(['chain']);
    expect(formatFirstSyncEstimate(e)).toMatch(/chain is not paced: set CHAIN_REQUESTS_PER_SECOND/);
  });

  it('reads the allowances the sync runs at: configured ones, and Goldsky’s public limit for the default subgraph', () => {
    const l = estimateLimits(readSettings(SOURCE_SETTINGS, { CHAIN_REQUESTS_PER_SECOND: '25', SUBGRAPH_PAGE_SIZE: '500' }));
    expect(l).toEqual({ requestsPerSecond: { subgraph: 5, chain: 25 }, subgraphPageSize: 500, chainHeaderBatch: 50 });
  });

  it('words durations for a person', () => {
    expect([40, 60, 3599, 3600, 12_000, 200_000].map(formatDuration)).toEqual(['40 s', '1 min', '1 h 0 min', '1 h 0 min', '3 h 20 min', '2 days 7 h']);
  });
});

describe('planning an estimate without running anything, against a simulated chain', () => {
  let world: ChainWorld;
  beforeAll(async () => {
    world = await startChainWorld({ seed: 3, v1: { fills: 300 }, v2: { fills: 300 } });
  });
  afterAll(async () => {
    await world?.close();
  });

  it("covers the chain from its first block to the head on a first sync, and from --since's block with a window", async () => {
    const settings = readSettings(SOURCE_SETTINGS, { ...world.env, SYNC_SOURCES: 'chain', CHAIN_REQUESTS_PER_SECOND: '20' });
    const sources = buildSources(settings);
    const genesis = Number(world.env.CHAIN_GENESIS_BLOCK);
    const head = world.eras.v2.toBlock;
    const whole = estimateFromPlans(await planWithoutRunning(sources, {}), estimateLimits(settings));
    expect(whole.blocks).toBe(head - genesis + 1);
    expect(whole.rows).toBeGreaterThan(0);
    const chain = whole.sources[0]!;
    expect(chain.requests).toBeGreaterThanOrEqual(chain.shards);
    expect(chain.seconds).toBe(chain.requests / 20);
    // The plan's samples count the adapter-routed transactions whose receipts the fetchers read.
    const adapters = new Set<string>([world.adapters.ctf, world.adapters.negRisk]);
    const routed = new Set(world.expected.activity.filter((a) => adapters.has(a.stakeholder)).map((a) => a.transaction_hash)).size;
    const estimated = (await planWithoutRunning(sources, {})).chain!.shards.reduce((n, sh) => n + (sh.estimatedReceipts ?? 0), 0);
    expect(routed).toBeGreaterThan(50);
    // Sampled, not counted: within a quarter of the world's own count (measured 114 against 99 for this world).
    expect(Math.abs(estimated - routed)).toBeLessThan(routed / 4);
    expect(chain.receiptRequests).toBeGreaterThan(0);
    expect(formatFirstSyncEstimate(whole)).toMatch(
      /chain +~[\d,]+ fills and events over [\d,]+ blocks, \d+ shards?: ~[\d,]+ requests, about .+ at 20 requests\/s\n +of them [\d,]+ eth_getLogs, up to [\d,]+ header batches .*, [\d,]+ receipt batches for activity through collateral adapters/,
    );

    const v2Start = world.expected.fills.filter((f) => f.block_number >= world.eras.v2.fromBlock).sort((a, b) => a.block_number - b.block_number)[0]!;
    const since = new Date(v2Start.timestamp * 1000).toISOString();
    const bounded = estimateFromPlans(await planWithoutRunning(sources, {}, { from: since }), estimateLimits(settings));
    const firstBlock = Math.min(...world.expected.fills.filter((f) => f.timestamp >= v2Start.timestamp).map((f) => f.block_number));
    expect(bounded.blocks).toBe(head - firstBlock + 1);
    expect(bounded.blocks).toBeLessThan(whole.blocks);
  });

  it('reads no headers where the provider puts blockTimestamp on the logs, and says so', async () => {
    const timed = await startChainWorld({ seed: 3, v1: { fills: 300 }, v2: { fills: 300 }, logTimestamps: true });
    try {
      const settings = readSettings(SOURCE_SETTINGS, { ...timed.env, SYNC_SOURCES: 'chain', CHAIN_REQUESTS_PER_SECOND: '20' });
      const estimate = estimateFromPlans(await planWithoutRunning(buildSources(settings), {}), estimateLimits(settings));
      const chain = estimate.sources[0]!;
      expect(chain.headerRequests).toBe(0);
      expect(formatFirstSyncEstimate(estimate)).not.toMatch(/header batches/);
    } finally {
      await timed.close();
    }
  });
});
