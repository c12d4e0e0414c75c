import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChainSource, V2_GENESIS_BLOCK, type ChainSource, type ChainSourceOptions } from '#shared/sources/chain/index.ts';
import { fetchBatch } from '#shared/sources/batch.ts';
import { buildScenario, byId, runSource, type Scenario } from '#test/support/evm/scenario.ts';

// Logs without blockTimestamp: the timestamps a stretch of blocks at the
// chain's period proves are not read. The node is Hardhat's EDR (chain 31337,
// each block at least a second after its parent), mined as Polygon runs since
// Madhugiri: a block a second, with a few missed slots.

const GENESIS = V2_GENESIS_BLOCK;
let sc: Scenario;

beforeAll(async () => {
  sc = await buildScenario({
    seed: 41,
    genesis: GENESIS,
    maxBurst: 6,
    regions: [{ blocks: 6_000, fillsPerBlock: 0.3 }],
    blockSeconds: 1,
    lateBlocks: 0.03,
  });
});

afterAll(async () => {
  await sc?.node.close();
});

const options = (over: Partial<ChainSourceOptions> = {}): ChainSourceOptions => ({
  rpcUrl: sc.node.url,
  genesisBlock: GENESIS,
  maxBlockSpan: 100,
  probeSpan: 100,
  logsPerBlock: 0.3,
  targetRowsPerShard: 600,
  retryBaseDelayMs: 10,
  ...over,
});

/** Requests that were not eth_getLogs: the head lookups, the chain id and the header batches. */
const otherRequests = (s: ChainSource) => s.stats.httpRequests - s.stats.getLogsCalls;
/** Header requests of a run: what was neither eth_getLogs, nor what its plan sent, nor the chain id. */
const headerRequests = (s: ChainSource, planOnly: ChainSource) => otherRequests(s) - otherRequests(planOnly) - (s.stats.rpcCalls.eth_chainId ?? 0);

/** A fetch that rewrites the JSON-RPC answers of `method` (a batch's items one by one). */
function rewriting(method: string, rewrite: (result: unknown, params: unknown[]) => unknown): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const sent = JSON.parse(String(init?.body)) as unknown;
    const calls = (Array.isArray(sent) ? sent : [sent]) as { id: unknown; method: string; params: unknown[] }[];
    if (!calls.some((c) => c.method === method)) return res;
    const body = (await res.json()) as unknown;
    const answers = (Array.isArray(body) ? body : [body]) as { id: unknown; result?: unknown }[];
    for (const a of answers) {
      const call = calls.find((c) => c.id === a.id);
      if (call?.method === method && a.result !== undefined) a.result = rewrite(a.result, call.params);
    }
    return new Response(JSON.stringify(Array.isArray(body) ? answers : answers[0]), { status: res.status, headers: res.headers });
  };
}

describe('chain source: timestamps the block period proves', () => {
  it('reads every fill with its block time, in fewer header requests, where missed slots interrupt the proof', async () => {
    const planOnly = createChainSource(options());
    await planOnly.plan({ watermark: null });
    const reading = createChainSource(options({ inferTimestamps: false }));
    const proving = createChainSource(options());
    const read = await runSource(reading, { watermark: null }, 4);
    const proved = await runSource(proving, { watermark: null }, 4);

    expect(proved.fills.sort(byId)).toEqual(sc.expected.sort(byId));
    expect(read.fills.sort(byId)).toEqual(proved.fills);
    expect(reading.stats.timestampsInferred).toBe(0);
    const blocksWithFills = new Set(sc.expected.map((f) => f.block_number)).size;
    expect(reading.stats.blocksFetched).toBeGreaterThanOrEqual(blocksWithFills);
    expect(proving.stats.timestampsInferred).toBeGreaterThan(blocksWithFills / 2);
    // Reading, every staged object (four pages) sent a header request; proving, a later object reads only where a
    // missed slot lies between two headers read.
    expect(headerRequests(reading, planOnly)).toBeGreaterThanOrEqual(Math.ceil(read.pages / 4));
    expect(headerRequests(proving, planOnly)).toBeLessThan(headerRequests(reading, planOnly));
  });

  it('reads headers once a shard where every block comes a second after its parent', async () => {
    const steady = await buildScenario({ seed: 43, genesis: GENESIS, maxBurst: 6, regions: [{ blocks: 6_000, fillsPerBlock: 0.3 }], blockSeconds: 1 });
    try {
      // Batches of 200 headers: a shard's first staged object reads its blocks and the headers ahead in one request.
      const planOnly = createChainSource(options({ rpcUrl: steady.node.url, blockBatchSize: 200 }));
      await planOnly.plan({ watermark: null });
      const proving = createChainSource(options({ rpcUrl: steady.node.url, blockBatchSize: 200 }));
      const run = await runSource(proving, { watermark: null }, 4);
      expect(run.fills.sort(byId)).toEqual(steady.expected.sort(byId));
      expect(run.pages / 4).toBeGreaterThan(2 * run.plan.shards.length);
      expect(headerRequests(proving, planOnly)).toBeLessThanOrEqual(run.plan.shards.length);
    } finally {
      await steady.node.close();
    }
  });

  it('refuses a node whose blocks come closer than one second apart, naming the blocks', async () => {
    // Every header says the same time: two headers read a stretch apart prove nothing, they contradict the rule.
    const source = createChainSource(options({ fetchFn: rewriting('eth_getBlockByNumber', (b) => ({ ...(b as object), timestamp: '0x6553f100' })) }));
    const plan = await source.plan({ watermark: null });
    const spec = plan.shards.map((s) => s.spec).sort((a, b) => Number(BigInt(a.fromBlock) - BigInt(b.fromBlock)))[0];
    if (!spec) throw new Error('no shard');
    const first = await fetchBatch(source, spec, null, 1);
    if (!first.next) throw new Error('the shard ended in one page');
    await expect(fetchBatch(source, spec, first.next, 1)).rejects.toThrow(/is 0 s after block \d+, less than the \d+ s this chain's consensus allows/);
  });

  it('reads every header on a chain whose rule it does not know', async () => {
    const source = createChainSource(options({ fetchFn: rewriting('eth_chainId', () => '0x1') }));
    const run = await runSource(source, { watermark: null }, 4);
    expect(run.fills.sort(byId)).toEqual(sc.expected.sort(byId));
    expect(source.stats.timestampsInferred).toBe(0);
    expect(source.stats.rpcCalls.eth_chainId).toBe(1);
  });
});
