import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChainSource, type ChainSourceOptions } from '#shared/sources/chain/index.ts';
import { buildScenario, byId, runSource, type Scenario } from '#test/support/evm/scenario.ts';
import { randomFill, rng } from '#simulator/chain/exchange.ts';
import { CTF_EXCHANGE_V2, NEG_RISK_EXCHANGE_V2, V2_GENESIS_BLOCK } from '#shared/sources/chain/index.ts';

const GENESIS = V2_GENESIS_BLOCK;

let sc: Scenario;

beforeAll(async () => {
  const t = Date.now();
  sc = await buildScenario({
    seed: 7,
    genesis: GENESIS,
    maxBurst: 25,
    regions: [
      { blocks: 2_000, fillsPerBlock: 0.3 },
      { blocks: 3_000, fillsPerBlock: 1.0 },
      { blocks: 2_000, fillsPerBlock: 0.05 },
      { blocks: 1_500, fillsPerBlock: 2.0 },
      { blocks: 3_000, fillsPerBlock: 0.2 },
      { blocks: 1_500, fillsPerBlock: 0 },
      { blocks: 2_000, fillsPerBlock: 0.6 },
    ],
  });
  console.log(`scenario: ${sc.expected.length} fills over blocks ${sc.genesis}..${sc.head}, built in ${Date.now() - t} ms`);
});

afterAll(async () => {
  await sc?.node.close();
});

const opts = (over: Partial<ChainSourceOptions> = {}): ChainSourceOptions => ({
  rpcUrl: sc.node.url,
  genesisBlock: GENESIS,
  probeSpan: 200,
  targetRowsPerShard: 1_500,
  retryBaseDelayMs: 10,
  ...over,
});

/** The range a plan covers (its shards are listed by requests, most first, not in block order). */
const firstBlock = (shards: readonly { spec: { fromBlock: string } }[]) => shards.map((s) => BigInt(s.spec.fromBlock)).reduce((a, b) => (b < a ? b : a));
const lastBlock = (shards: readonly { spec: { toBlock: string } }[]) => shards.map((s) => BigInt(s.spec.toBlock)).reduce((a, b) => (b > a ? b : a));

describe('chain source against a real EVM node', () => {
  it('runs on Node 24', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
  });

  it('the scenario is what the tests claim: thousands of fills, multi-fill transactions, shared blocks', () => {
    expect(sc.expected.length).toBeGreaterThan(2_000);
    const perTx = new Map<string, number>();
    const txPerBlock = new Map<number, Set<string>>();
    for (const f of sc.expected) {
      perTx.set(f.transaction_hash, (perTx.get(f.transaction_hash) ?? 0) + 1);
      const s = txPerBlock.get(f.block_number) ?? new Set();
      s.add(f.transaction_hash);
      txPerBlock.set(f.block_number, s);
    }
    expect(Math.max(...perTx.values())).toBeGreaterThan(10);
    expect(Math.max(...[...txPerBlock.values()].map((s) => s.size))).toBeGreaterThanOrEqual(3);
    expect(new Set(sc.expected.map((f) => f.exchange))).toEqual(new Set([CTF_EXCHANGE_V2.toLowerCase(), NEG_RISK_EXCHANGE_V2.toLowerCase()]));
    expect(sc.expected.some((f) => BigInt(f.block_number) === GENESIS)).toBe(true);
  });

  it('first run backfills from genesis: exactly the emitted fills, rejects kept with reasons', async () => {
    const source = createChainSource(opts());
    const run = await runSource(source, { watermark: null });
    expect(run.plan.target).toBe(sc.head.toString());
    expect(run.plan.shards.length).toBeGreaterThan(3);
    // Shards tile [genesis, head] without gap or overlap (the plan lists them by requests, most first).
    const tiles = [...run.plan.shards].sort((a, b) => Number(BigInt(a.spec.fromBlock) - BigInt(b.spec.fromBlock)));
    expect(BigInt(tiles[0]!.spec.fromBlock)).toBe(GENESIS);
    expect(BigInt(tiles.at(-1)!.spec.toBlock)).toBe(sc.head);
    for (let i = 1; i < tiles.length; i++) expect(BigInt(tiles[i]!.spec.fromBlock)).toBe(BigInt(tiles[i - 1]!.spec.toBlock) + 1n);
    expect(run.fills.length).toBe(sc.expected.length);
    expect(new Set(run.fills.map((f) => f.fill_id)).size).toBe(run.fills.length);
    expect([...run.fills].sort(byId)).toEqual([...sc.expected].sort(byId));
    expect(run.rejects).toHaveLength(sc.expectedRejects);
    const reasons = run.rejects.map((r) => (r.table === 'rejects' ? r.row.reason : ''));
    expect(reasons.some((r) => /side 2/.test(r))).toBe(true);
    expect(reasons.some((r) => /cannot decode/.test(r))).toBe(true);
    expect(source.stats.fills).toBe(sc.expected.length);
    expect(source.stats.rejects).toBe(sc.expectedRejects);
    // Every page says which blocks it read; together they tile [genesis, head] exactly.
    const covered = [...run.coverage].sort((a, b) => a[0] - b[0]);
    expect(covered[0]![0]).toBe(Number(GENESIS));
    expect(covered.at(-1)![1]).toBe(Number(sc.head));
    for (let i = 1; i < covered.length; i++) expect(covered[i]![0]).toBe(covered[i - 1]![1] + 1);
    const est = run.plan.shards.reduce((a, s) => a + s.estimatedRows, 0);
    console.log(
      `direct: ${run.plan.shards.length} shards, ${run.pages} pages, estimated ${est} rows, eth_getLogs ${source.stats.getLogsCalls}, blocks fetched ${source.stats.blocksFetched}, batches<=${source.stats.httpRequests}, plan ${run.planMs} ms, fetch ${run.fetchMs} ms`,
    );
  });

  it('a later run reads only blocks after the watermark', async () => {
    const source = createChainSource(opts());
    const first = await source.plan({ watermark: null });
    const r = rng(99);
    await sc.script.mine(50);
    await sc.script.emitFills(CTF_EXCHANGE_V2, [randomFill(r), randomFill(r), randomFill(r)]);
    await sc.script.mine(10);
    await sc.script.emitFills(NEG_RISK_EXCHANGE_V2, [randomFill(r)]);
    await sc.script.mine(5);
    const all = await sc.script.expectedRows((row) => BigInt(row.block_number) >= GENESIS);
    const fresh = all.filter((f) => BigInt(f.block_number) > BigInt(first.target!));
    expect(fresh).toHaveLength(4);
    const second = await runSource(source, { watermark: first.target });
    expect(firstBlock(second.plan.shards)).toBe(BigInt(first.target!) + 1n);
    expect([...second.fills].sort(byId)).toEqual(fresh.sort(byId));
    // Nothing new: no shards, the watermark stays.
    const head = await sc.script.blockNumber();
    const third = await source.plan({ watermark: head.toString() });
    expect(third.shards).toEqual([]);
    expect(third.target).toBe(head.toString());
  });

  it('a window in block numbers reads exactly those blocks and leaves a detached watermark alone', async () => {
    const source = createChainSource(opts());
    const lo = GENESIS + 2_100n;
    const hi = GENESIS + 4_000n;
    const want = sc.expected.filter((f) => BigInt(f.block_number) >= lo && BigInt(f.block_number) <= hi);
    expect(want.length).toBeGreaterThan(100);
    const run = await runSource(source, { watermark: null, window: { from: lo.toString(), to: hi.toString() } });
    expect([...run.fills].sort(byId)).toEqual(want.sort(byId));
    expect(run.plan.target).toBeNull(); // from > genesis on a first run: the watermark may not claim [genesis, lo)
    const joined = await source.plan({ watermark: (lo - 1n).toString(), window: { to: hi.toString() } });
    expect(joined.target).toBe(hi.toString());
  });

  it('a window in ISO dates maps to blocks by timestamp (from inclusive, to exclusive)', async () => {
    const source = createChainSource(opts());
    const byBlock = new Map(sc.expected.map((f) => [f.block_number, f.timestamp]));
    const blocks = [...byBlock.keys()].sort((a, b) => a - b);
    const b1 = blocks[Math.floor(blocks.length / 4)]!;
    const b2 = blocks[Math.floor((blocks.length * 3) / 4)]!;
    const from = new Date(byBlock.get(b1)! * 1000).toISOString();
    const to = new Date(byBlock.get(b2)! * 1000).toISOString();
    const want = sc.expected.filter((f) => f.block_number >= b1 && f.block_number < b2);
    const run = await runSource(source, { watermark: null, window: { from, to } });
    expect(firstBlock(run.plan.shards)).toBe(BigInt(b1));
    expect(lastBlock(run.plan.shards)).toBe(BigInt(b2) - 1n);
    expect([...run.fills].sort(byId)).toEqual(want.sort(byId));
    await expect(source.plan({ watermark: null, window: { from: 'yesterday-ish' } })).rejects.toThrow(/neither a block number nor an ISO date/);
  });

  it('block timestamps come from batched, cached header reads', async () => {
    const source = createChainSource(opts({ blockBatchSize: 25, inferTimestamps: false }));
    const window = { from: (GENESIS + 5_000n).toString(), to: (GENESIS + 6_000n).toString() };
    const run = await runSource(source, { watermark: null, window });
    const rejectBlocks = run.rejects.map((r) => (r.table === 'rejects' ? Number(BigInt((JSON.parse(r.row.raw) as { blockNumber: string }).blockNumber)) : -1));
    const blocks = new Set([...run.fills.map((f) => f.block_number), ...rejectBlocks]).size;
    expect(source.stats.blocksFetched).toBe(blocks);
    expect(source.stats.timestampsFromLogs).toBe(0);
    // Batched: far fewer HTTP requests than block reads.
    expect(source.stats.rpcCalls.eth_getBlockByNumber).toBeGreaterThanOrEqual(blocks);
    expect(source.stats.httpRequests).toBeLessThan(source.stats.getLogsCalls + Math.ceil(blocks / 25) + run.plan.shards.length + 10);
    const again = await runSource(source, { watermark: null, window });
    expect(again.fills).toEqual(run.fills);
    expect(source.stats.blocksFetched).toBe(blocks);
    expect(source.stats.timestampCacheHits).toBeGreaterThanOrEqual(blocks);
  });
});
