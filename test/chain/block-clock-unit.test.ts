import { describe, expect, it } from 'vitest';
import { BlockClock } from '#shared/sources/chain/block-clock.ts';
import { HARDHAT_CHAIN_ID } from '#shared/sources/chain/block-times.ts';
import type { BlockHeader, ChainRpc } from '#shared/sources/chain/rpc.ts';
import { newStats } from '#shared/sources/chain/stats.ts';

/**
 * A node whose every block comes one second after its parent (the least the
 * simulated chain's rule allows), with its eth_chainId answer held until the
 * test lets it go: the clock is tested alone, without a node.
 */
function heldNode(chainId: number) {
  let answer = (_id: number) => {};
  const chainIdAnswered = new Promise<number>((resolve) => (answer = resolve));
  const headerReads: bigint[][] = [];
  const rpc = {
    headerBatchSize: 50,
    chainId: () => chainIdAnswered,
    getHeaders: async (numbers: readonly bigint[]) => {
      headerReads.push([...numbers]);
      return new Map<bigint, BlockHeader>(numbers.map((n) => [n, { number: n, hash: `0x${n.toString(16)}`, timestamp: 1_000 + Number(n) }]));
    },
  };
  return { rpc: rpc as unknown as ChainRpc, headerReads, answerChainId: () => answer(chainId) };
}

/** Lets every promise that can settle without I/O settle. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('BlockClock and the chain id', () => {
  it("reads a shard's first headers without waiting for eth_chainId, and proves later blocks once the answer comes", async () => {
    const node = heldNode(HARDHAT_CHAIN_ID);
    const stats = newStats();
    const clock = new BlockClock(node.rpc, stats, true);

    const first = clock.read([10n, 12n], 100n);
    await settled();
    // The headers went out while the chain id was still unanswered: asking it holds no shard back.
    expect(node.headerReads).toHaveLength(1);
    expect(node.headerReads[0]?.slice(0, 2)).toEqual([10n, 12n]);
    expect(node.headerReads[0]?.length).toBeGreaterThan(2); // and headers ahead, up to the shard's end

    node.answerChainId();
    const read = await first;
    expect(read.times.get(12n)).toBe(1_012);

    // The headers ahead, learned once the rule was known, prove a later batch's blocks without a read.
    const later = await clock.read([40n, 41n, 57n], 100n);
    expect(node.headerReads).toHaveLength(1);
    expect([...later.times]).toEqual([
      [40n, 1_040],
      [41n, 1_041],
      [57n, 1_057],
    ]);
    expect(stats.timestampsInferred).toBe(3);
  });

  it('reads every header of a chain whose rule it does not know', async () => {
    const node = heldNode(1);
    const clock = new BlockClock(node.rpc, newStats(), true);
    const first = clock.read([10n], 100n);
    node.answerChainId();
    await first;
    await clock.read([40n], 100n);
    expect(node.headerReads).toHaveLength(2);
    // Known to have no rule, the clock reads no headers ahead.
    expect(node.headerReads[1]).toEqual([40n]);
  });

  it('never asks the chain id with inference off', async () => {
    const node = heldNode(HARDHAT_CHAIN_ID);
    const clock = new BlockClock({ ...node.rpc, chainId: () => Promise.reject(new Error('asked')) } as unknown as ChainRpc, newStats(), false);
    await clock.read([10n], 100n);
    expect(node.headerReads).toEqual([[10n]]);
  });
});
