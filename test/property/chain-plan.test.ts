import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { minShardsFor } from '#shared/sources/source.ts';
import { cutShards, type DensityRegion, type SizingConfig } from '#shared/sources/chain/plan.ts';

/**
 * The chain plan over generated ranges, densities and caps: it tiles the
 * range, keeps each shard within its caps (a shard holds at least a block),
 * and cuts about as many shards as the caps and the fetchers ask for, never
 * one a block where a span is longer than the caps allow (a bug that cut a
 * sparse range into a shard per block).
 */
const density = fc.oneof(fc.constant(0), fc.double({ min: 1e-4, max: 1, noNaN: true }), fc.double({ min: 1, max: 50, noNaN: true }));
const regionsOf = fc.array(fc.record({ blocks: fc.integer({ min: 1, max: 500_000 }), logsPerBlock: density }), { minLength: 1, maxLength: 4 });
const sizing = fc.record({
  maxBlockSpan: fc.integer({ min: 1, max: 1_000_000 }),
  targetLogsPerRequest: fc.integer({ min: 1, max: 10_000 }),
  targetRowsPerShard: fc.integer({ min: 10_000, max: 200_000 }),
  maxShardBlocks: fc.integer({ min: 1_000, max: 200_000 }),
});

function regionsFrom(first: bigint, parts: { blocks: number; logsPerBlock: number }[]): DensityRegion[] {
  let at = first;
  return parts.map((p) => {
    const region = { from: at, to: at + BigInt(p.blocks) - 1n, logsPerBlock: p.logsPerBlock };
    at = region.to + 1n;
    return region;
  });
}

describe('chain plan (cutShards) over generated ranges', () => {
  it('tiles the range within the caps, in about as many shards as the caps and fetchers ask for', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 90_000_000n }), regionsOf, sizing, fc.option(fc.integer({ min: 1, max: 16 })), (first, parts, caps, fetchers) => {
        const cfg: SizingConfig = { addresses: [], topics: [], densityProbes: 8, probeSpan: 20, ...caps };
        const regions = regionsFrom(first, parts);
        const shards = cutShards(cfg, regions, fetchers ?? undefined);

        const inOrder = [...shards].sort((a, b) => (BigInt(a.spec.fromBlock) < BigInt(b.spec.fromBlock) ? -1 : 1));
        let next = first;
        for (const s of inOrder) {
          expect(BigInt(s.spec.fromBlock)).toBe(next);
          next = BigInt(s.spec.toBlock) + 1n;
        }
        expect(next).toBe(regions.at(-1)!.to + 1n);

        const densest = Math.max(...parts.map((p) => p.logsPerBlock));
        for (const s of shards) {
          expect(Number(BigInt(s.spec.toBlock) - BigInt(s.spec.fromBlock) + 1n)).toBeLessThanOrEqual(cfg.maxShardBlocks);
          expect(s.estimatedRows).toBeLessThanOrEqual(cfg.targetRowsPerShard + Math.ceil(densest) + 1);
          expect(s.spec.span).toBeGreaterThan(0);
        }

        const blocks = parts.reduce((n, p) => n + p.blocks, 0);
        const rows = parts.reduce((n, p) => n + p.blocks * p.logsPerBlock, 0);
        const asked = Math.max(Math.ceil(rows / cfg.targetRowsPerShard), Math.ceil(blocks / cfg.maxShardBlocks), minShardsFor(fetchers ?? undefined));
        // Whole spans may halve a shard that a cap allows less than two spans, and each region may leave a remainder.
        expect(shards.length).toBeLessThanOrEqual(3 * asked + 2 * regions.length + (fetchers ?? 1));
      }),
      { numRuns: 300 },
    );
  });
});
