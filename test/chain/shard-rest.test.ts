import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChainSource, V2_GENESIS_BLOCK, type ChainSourceEvent } from '#shared/sources/chain/index.ts';
import { MAX_SHARE_OF_RESULT_CAP } from '#shared/sources/chain/options.ts';
import { startRpcFront, type RpcFront } from '#simulator/chain/rpc-front.ts';
import { buildScenario, byId, runSource, type Scenario } from '#test/support/evm/scenario.ts';

// Shards are cut as whole request spans at the planner's aim (80% of the
// result cap); once the fetcher's aim moves up on steady counts, a shard's
// span count no longer fits and, split naively, it ends on a sliver of a
// request. The source splits a shard's rest evenly instead.

const GENESIS = V2_GENESIS_BLOCK;
const CAP = 50;
let sc: Scenario;
let front: RpcFront;

beforeAll(async () => {
  // One fill a block: every window of a span holds the same count, so the aim settles at its highest.
  sc = await buildScenario({ seed: 41, genesis: GENESIS, maxBurst: 1, regions: [{ blocks: 2_400, fillsPerBlock: 1 }] });
  front = await startRpcFront(sc.node.url, { profile: 'alchemy', maxBlockSpan: 100_000, maxResults: CAP });
});

afterAll(async () => {
  await front?.close();
  await sc?.node.close();
});

describe('chain source: the rest of a shard', () => {
  it('ends no shard on a sliver once its aim has moved past the plan: each is read in the fewest requests its logs allow at the aim', async () => {
    const requests: { logs: number; blocks: number }[] = [];
    const source = createChainSource({
      rpcUrl: front.url,
      genesisBlock: GENESIS,
      useFinalized: false,
      maxBlockSpan: 100_000,
      maxLogsPerRequest: CAP,
      logsPerBlock: 1,
      // 12 spans of 40 blocks at the planner's aim (80% of 50 logs).
      targetRowsPerShard: 480,
      onEvent: (e: ChainSourceEvent) => {
        if (e.type === 'span') requests.push({ logs: e.logs, blocks: e.blocks });
        if (e.type === 'range-refused') requests.push({ logs: -1, blocks: 0 });
      },
    });
    const run = await runSource(source, { watermark: null });
    // Every fill once: the same rows as the chain holds.
    expect([...run.fills].sort(byId)).toEqual([...sc.expected].sort(byId));
    expect(run.plan.shards.length).toBeGreaterThanOrEqual(4);

    // Group the requests by shard, in the order the shards were read.
    let i = 0;
    const perShard = run.plan.shards.map((s) => {
      const blocks = Number(BigInt(s.spec.toBlock) - BigInt(s.spec.fromBlock) + 1n);
      const mine: { logs: number; blocks: number }[] = [];
      for (let covered = 0; covered < blocks; i++) {
        const r = requests[i];
        if (!r) throw new Error('fewer requests than blocks');
        mine.push(r);
        covered += r.blocks;
      }
      return mine;
    });
    console.log(`shard rest: ${perShard.map((s) => s.map((r) => r.logs).join(' ')).join(' | ')}`);
    // After the first shard the aim has settled near the cap; every later shard
    // whose logs fill whole requests is read in the fewest the aim allows.
    const aim = Math.floor(CAP * MAX_SHARE_OF_RESULT_CAP);
    for (const shard of perShard.slice(1).filter((s) => s.some((r) => r.logs > 0))) {
      const logs = shard.reduce((n, r) => n + Math.max(0, r.logs), 0);
      expect(shard.some((r) => r.logs < 0)).toBe(false);
      expect(shard.length).toBeLessThanOrEqual(Math.ceil(logs / aim));
      // No sliver: the smallest request of a shard carries at least half of its largest.
      if (shard.length > 1) expect(Math.min(...shard.map((r) => r.logs))).toBeGreaterThanOrEqual(Math.max(...shard.map((r) => r.logs)) / 2);
    }
  });
});
