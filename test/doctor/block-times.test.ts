import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockTimesCheck } from '#shared/ops/doctor/block-times.ts';
import { probeRpc } from '#shared/ops/doctor/rpc.ts';
import { V2_GENESIS_BLOCK } from '#shared/sources/chain/index.ts';
import { buildScenario, type Scenario } from '#test/support/evm/scenario.ts';

// The doctor's look at block times on EDR (chain 31337: each block at least a second after its parent).
let steady: Scenario;
let late: Scenario;

beforeAll(async () => {
  const world = { genesis: V2_GENESIS_BLOCK, maxBurst: 4, regions: [{ blocks: 5_000, fillsPerBlock: 0.05 }], blockSeconds: 1 };
  [steady, late] = await Promise.all([buildScenario({ ...world, seed: 3 }), buildScenario({ ...world, seed: 4, lateBlocks: 0.2 })]);
});

afterAll(async () => {
  await Promise.all([steady?.node.close(), late?.node.close()]);
});

const rpcOf = (sc: Scenario) => probeRpc({ url: sc.node.url, timeoutMs: 10_000 });

describe('doctor: block times', () => {
  it('says every stretch sits at the least time on a chain of one block a second', async () => {
    const c = await blockTimesCheck(rpcOf(steady), 31_337, steady.head, true);
    expect(c.status).toBe('ok');
    expect(c.detail).toMatch(/^over the last 4,096 blocks 1\.00 s a block, against the rule's least 1\.00 s; every stretch looked at sits at the least time/);
    expect(c.data).toMatchObject({ stretches: [{ blocks: 16, seconds: 16, least: 16 }, { blocks: 256 }, { blocks: 4_096, seconds: 4_096 }] });
  });

  it('says which stretches a late block interrupts', async () => {
    const c = await blockTimesCheck(rpcOf(late), 31_337, late.head, true);
    expect(c.status).toBe('ok');
    const stretches = (c.data as { stretches: { seconds: number; least: number }[] }).stretches;
    expect(stretches.at(-1)!.seconds).toBeGreaterThan(stretches.at(-1)!.least);
    expect(c.detail).toMatch(/the longer stretches not|no stretch looked at sits at the least time/);
  });

  it('fails when blocks come faster than the rule it assumes (a chain that calls itself Polygon but is not)', async () => {
    // Polygon's rule at these numbers (after Madhugiri): a sprint's first block (every 16th) at least 4 s after its parent.
    const c = await blockTimesCheck(rpcOf(steady), 137, steady.head, true);
    expect(c.status).toBe('fail');
    expect(c.detail).toMatch(/blocks come faster than the rule this sync assumes for chain 137; set CHAIN_INFER_TIMESTAMPS=false/);
  });

  it('reads nothing when inference is off or the chain has no known rule', async () => {
    expect((await blockTimesCheck(rpcOf(steady), 31_337, steady.head, false)).detail).toMatch(
      /^CHAIN_INFER_TIMESTAMPS=false: the sync reads the header of every block/,
    );
    expect((await blockTimesCheck(rpcOf(steady), 1, steady.head, true)).detail).toMatch(/^no block-time rule known for chain 1:/);
  });
});
