import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChainSource, V2_GENESIS_BLOCK, type ChainSource, type ChainSourceOptions } from '#shared/sources/chain/index.ts';
import { fetchBatch } from '#shared/sources/batch.ts';
import { startRpcFront, type RpcFront } from '#simulator/chain/rpc-front.ts';
import { buildScenario, runSource, type Scenario } from '#test/support/evm/scenario.ts';

// A batch of pages (what one staged object holds) reads the block headers its
// logs need once, not once per page: without blockTimestamp in the logs the
// header reads took half of a rate-limited plan's calls.

const GENESIS = V2_GENESIS_BLOCK;
let sc: Scenario;
let front: RpcFront;

beforeAll(async () => {
  sc = await buildScenario({ seed: 23, genesis: GENESIS, maxBurst: 6, regions: [{ blocks: 3_000, fillsPerBlock: 0.3 }] });
  front = await startRpcFront(sc.node.url, { profile: 'alchemy', maxBlockSpan: 100 });
});

afterAll(async () => {
  await front?.close();
  await sc?.node.close();
});

const options = (): ChainSourceOptions => ({
  rpcUrl: front.url,
  genesisBlock: GENESIS,
  maxBlockSpan: 50,
  probeSpan: 50,
  logsPerBlock: 0.3,
  retryBaseDelayMs: 20,
  blockBatchSize: 2_000,
  // These tests count header reads; block-clock.test.ts shows which of them the chain's block period saves.
  inferTimestamps: false,
});

/** HTTP requests that were not eth_getLogs: the head lookups and the header batches. */
const otherRequests = (s: ChainSource) => s.stats.httpRequests - s.stats.getLogsCalls;

const merged = (coverage: [number, number][]) => {
  const out: [number, number][] = [];
  for (const [from, to] of [...coverage].sort((a, b) => a[0] - b[0])) {
    const last = out.at(-1);
    if (last && last[1] + 1 === from) last[1] = to;
    else out.push([from, to]);
  }
  return out;
};

describe('chain source: a batch of pages', () => {
  it('returns the records of its pages one by one, reading their headers in one request per batch', async () => {
    const planOnly = createChainSource(options());
    await planOnly.plan({ watermark: null });
    const planRequests = otherRequests(planOnly);

    const byPage = createChainSource(options());
    const one = await runSource(byPage, { watermark: null });
    const batched = createChainSource(options());
    const twenty = await runSource(batched, { watermark: null }, 20);

    expect(one.pages / one.plan.shards.length).toBeGreaterThan(20);
    expect(twenty.pages).toBe(one.pages);
    // Same fills, timestamps included, in the same order; the same blocks proven read.
    expect(twenty.fills).toEqual(one.fills);
    expect(twenty.fills).toHaveLength(sc.expected.length);
    expect(twenty.rejects).toEqual(one.rejects);
    expect(merged(twenty.coverage)).toEqual(merged(one.coverage));
    expect(merged(twenty.coverage)).toEqual([[Number(sc.genesis), Number(sc.head)]]);
    expect(batched.stats.timestampsFromLogs).toBe(0);
    expect(batched.stats.blocksFetched).toBe(byPage.stats.blocksFetched);

    // A shard of p pages is ⌈p / 20⌉ batches, so all shards together at most this many.
    const batches = twenty.plan.shards.length + Math.ceil(one.pages / 20);
    const headerRequestsByPage = otherRequests(byPage) - planRequests;
    const headerRequestsBatched = otherRequests(batched) - planRequests;
    expect(headerRequestsByPage).toBeGreaterThanOrEqual(one.pages - one.plan.shards.length * 2);
    expect(headerRequestsBatched).toBeLessThanOrEqual(batches);
    console.log(
      `batch: ${one.plan.shards.length} shard(s), ${one.pages} pages, ${sc.expected.length} fills; header requests page by page ${headerRequestsByPage}, in batches of 20 pages ${headerRequestsBatched}`,
    );
  });

  it('stops before maxPages once it holds maxRecordsPerPage logs, and goes on from there', async () => {
    const source = createChainSource({ ...options(), maxRecordsPerPage: 25 });
    const plan = await source.plan({ watermark: null });
    const spec = plan.shards[0]?.spec;
    if (!spec) throw new Error('no shard');
    const first = await fetchBatch(source, spec, null, 1_000);
    const fills = first.records.filter((r) => r.table === 'fills').length;
    expect(first.next).not.toBeNull();
    expect(first.pages).toBeLessThan(1_000);
    expect(fills).toBeGreaterThanOrEqual(25);
    const second = await fetchBatch(source, spec, first.next, 1_000);
    expect(second.pages).toBeGreaterThan(0);
    const firstCovered = first.records.filter((r) => r.table === 'chain_coverage').map((r) => r.row as { from_block: number; to_block: number });
    const secondCovered = second.records.filter((r) => r.table === 'chain_coverage').map((r) => r.row as { from_block: number; to_block: number });
    expect(secondCovered[0]?.from_block).toBe((firstCovered.at(-1)?.to_block ?? NaN) + 1);
  });

  it('holds a batch whole on a plan with a small result cap, and reads its headers in one request', async () => {
    // Told a cap of 20 results: twice that (40 logs, under three pages) was the batch's bound.
    const source = createChainSource({ ...options(), maxLogsPerRequest: 20, logsPerBlock: undefined, densityProbes: 1 });
    const plan = await source.plan({ watermark: null });
    const spec = plan.shards[0]?.spec;
    if (!spec) throw new Error('no shard');
    const before = otherRequests(source);
    const batch = await fetchBatch(source, spec, null, 20);
    expect(batch.pages).toBe(20);
    expect(batch.records.filter((r) => r.table === 'fills').length).toBeGreaterThan(3 * 40);
    expect(otherRequests(source) - before).toBe(1);
  });

  it('refuses a batch of no pages', async () => {
    const source = createChainSource(options());
    await expect(fetchBatch(source, { fromBlock: '1', toBlock: '2', span: 1 }, null, 0)).rejects.toThrow(/maxPages must be a positive integer/);
  });
});

describe('chain source: a refused page', () => {
  it('ends with the first request that fits, and the next page goes on from there', async () => {
    const capped = await startRpcFront(sc.node.url, { profile: 'alchemy', maxResults: 40 });
    try {
      // Not told the cap: the first request of 3,000 blocks is refused with a suggested range.
      const source = createChainSource({ ...options(), rpcUrl: capped.url, maxBlockSpan: 3_000 });
      const spec = { fromBlock: GENESIS.toString(), toBlock: sc.head.toString(), span: 3_000 };
      const first = await source.fetchPage(spec, null);
      expect(capped.stats.getLogsRefused).toBe(1);
      expect(capped.stats.getLogs).toBe(2);
      const covered = first.records.filter((r) => r.table === 'chain_coverage').map((r) => r.row as { from_block: number; to_block: number });
      expect(covered).toHaveLength(1);
      expect(covered[0]!.from_block).toBe(Number(GENESIS));
      expect(covered[0]!.to_block).toBeLessThan(Number(GENESIS) + 2_999);
      expect(first.next?.nextBlock).toBe(String(covered[0]!.to_block + 1));
      const fills = first.records.filter((r) => r.table === 'fills').length;
      expect(fills).toBeGreaterThan(0);
      expect(fills).toBeLessThanOrEqual(40);

      // The rest of the shard, page by page: every fill once.
      let cursor = first.next;
      let total = fills;
      while (cursor !== null) {
        const page = await source.fetchPage(spec, cursor);
        total += page.records.filter((r) => r.table === 'fills').length;
        cursor = page.next;
      }
      expect(total).toBe(sc.expected.length);
    } finally {
      await capped.close();
    }
  });
});

describe('chain source: density probes', () => {
  it('start at the length the probe before settled on, so a sparse range widens once, not once per probe', async () => {
    const open = await startRpcFront(sc.node.url, { profile: 'alchemy' });
    try {
      const source = createChainSource({ rpcUrl: open.url, genesisBlock: GENESIS, useFinalized: false, maxBlockSpan: 2_000, densityProbes: 8, probeSpan: 20 });
      const plan = await source.plan({ watermark: null });
      expect(plan.shards.length).toBeGreaterThan(0);
      // 0.3 fills a block: the first probe of 20 blocks sees a handful and widens twice (to its region, 1/8 of the range);
      // the other seven start there (a region a block longer than the first may widen by that block once more).
      // Each probe widening on its own took 8 × 3 = 24 calls.
      expect(source.stats.getLogsCalls).toBeLessThanOrEqual(12);
      expect(open.stats.getLogsRefused).toBe(0);
    } finally {
      await open.close();
    }
  });
});

describe('chain source: a shard whose plan knows its density', () => {
  it("sizes its first request from that density and the source's aim, not from the plan's span", async () => {
    const open = await startRpcFront(sc.node.url, { profile: 'alchemy' });
    try {
      const source = createChainSource({ rpcUrl: open.url, genesisBlock: GENESIS, useFinalized: false, maxBlockSpan: 2_000, maxLogsPerRequest: 100 });
      const spec = { fromBlock: GENESIS.toString(), toBlock: sc.head.toString(), span: 10, logsPerBlock: 0.3 };
      const page = await source.fetchPage(spec, null);
      const covered = page.records.filter((r) => r.table === 'chain_coverage').map((r) => r.row as { from_block: number; to_block: number });
      // Aiming at 80 logs (80% of the cap of 100) at 0.3 logs a block: 266 blocks.
      expect(covered).toEqual([{ from_block: Number(GENESIS), to_block: Number(GENESIS) + 265 }]);
      // A spec without the density (planned before it was recorded) keeps its span.
      const old = await source.fetchPage({ fromBlock: spec.fromBlock, toBlock: spec.toBlock, span: 10 }, null);
      expect(old.records.filter((r) => r.table === 'chain_coverage').map((r) => r.row)).toEqual([
        { from_block: Number(GENESIS), to_block: Number(GENESIS) + 9 },
      ]);
    } finally {
      await open.close();
    }
  });
});
