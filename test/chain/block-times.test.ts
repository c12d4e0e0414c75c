import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { anchorsAhead, MAX_ANCHORS_AHEAD } from '#shared/sources/chain/block-clock.ts';
import { BlockTimes, leastSecondsBetween, rulesOfChain, POLYGON_POS_RULES, STRICTLY_LATER_RULES, type BlockRule } from '#shared/sources/chain/block-times.ts';

/** A chain from block `first`: each block's timestamp is its parent's plus its least gap plus `extra[i]` (mostly 0). */
function chainOf(rules: readonly BlockRule[], first: bigint, start: number, extra: readonly number[]): Map<bigint, number> {
  const times = new Map<bigint, number>([[first, start]]);
  let t = start;
  extra.forEach((e, i) => {
    const n = first + BigInt(i + 1);
    t += leastSecondsBetween(rules, n - 1n, n) + e;
    times.set(n, t);
  });
  return times;
}

const MADHUGIRI = 80_084_800n;
const DELHI = 38_189_056n;

describe('block times proven by the chain rule', () => {
  it("sums each block's least gap: Bor's period, and the producer delay at a sprint's first block", () => {
    // Before Delhi: 2 s, and 6 s at multiples of 64.
    expect(leastSecondsBetween(POLYGON_POS_RULES, 100n, 110n)).toBe(20);
    expect(leastSecondsBetween(POLYGON_POS_RULES, 120n, 130n)).toBe(9 * 2 + 6);
    // From Delhi (38,189,056): 4 s at multiples of 16.
    expect(leastSecondsBetween(POLYGON_POS_RULES, DELHI + 160n, DELHI + 192n)).toBe(30 * 2 + 2 * 4);
    // From Madhugiri (80,084,800, itself a sprint's first block): 1 s, 4 s at multiples of 16.
    expect(leastSecondsBetween(POLYGON_POS_RULES, MADHUGIRI + 5n, MADHUGIRI + 15n)).toBe(10);
    expect(leastSecondsBetween(POLYGON_POS_RULES, MADHUGIRI - 5n, MADHUGIRI + 5n)).toBe(4 * 2 + 4 + 5 * 1);
    // Across Delhi, whose first block starts a sprint under both rules: the smaller delay counts (4, not 6).
    expect(DELHI % 64n).toBe(0n);
    expect(leastSecondsBetween(POLYGON_POS_RULES, DELHI - 1n, DELHI)).toBe(4);
    expect(leastSecondsBetween(STRICTLY_LATER_RULES, 7n, 107n)).toBe(100);
    expect(rulesOfChain(137)).toBe(POLYGON_POS_RULES);
    expect(rulesOfChain(31_337)).toBe(STRICTLY_LATER_RULES);
    expect(rulesOfChain(1)).toBeNull();
  });

  it('proves every block between two anchors at the least time apart, and none where a gap is longer', () => {
    const times = new BlockTimes(STRICTLY_LATER_RULES);
    // Blocks 100..110 one second apart, then a 3 s gap into 111, then 111..120 one second apart.
    const chain = chainOf(STRICTLY_LATER_RULES, 100n, 1_000, [...Array(10).fill(0), 2, ...Array(9).fill(0)]);
    times.learn([100n, 110n, 115n, 120n].map((n) => ({ number: n, timestamp: chain.get(n)! })));
    for (let n = 100n; n <= 110n; n++) expect(times.timeOf(n)).toBe(chain.get(n));
    for (let n = 111n; n < 115n; n++) expect(times.timeOf(n)).toBeUndefined();
    for (let n = 115n; n <= 120n; n++) expect(times.timeOf(n)).toBe(chain.get(n));
    // Outside the anchors nothing is proven.
    expect(times.timeOf(99n)).toBeUndefined();
    expect(times.timeOf(121n)).toBeUndefined();
  });

  it('never gives a wrong timestamp, whatever the gaps and whichever headers were read (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(MADHUGIRI - 40n, DELHI - 70n, 1_000n, 90_000_000n),
        fc.array(fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 5 }) }), {
          minLength: 1,
          maxLength: 150,
        }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 2, max: 16 }),
        (first, extra, picks, maxAnchors) => {
          const chain = chainOf(POLYGON_POS_RULES, first, 1_700_000_000, extra);
          const blocks = [...chain.keys()];
          const times = new BlockTimes(POLYGON_POS_RULES, maxAnchors);
          for (const p of picks) {
            const n = blocks[p % blocks.length]!;
            times.learn([{ number: n, timestamp: chain.get(n)! }]);
          }
          for (const n of blocks) {
            const t = times.timeOf(n);
            if (t !== undefined) expect(t).toBe(chain.get(n));
          }
        },
      ),
    );
  });

  it('refuses a node whose blocks come closer than the period: its timestamps or the assumed rule are wrong', () => {
    const times = new BlockTimes(POLYGON_POS_RULES);
    times.learn([
      { number: 1_000n, timestamp: 5_000 },
      { number: 1_010n, timestamp: 5_010 },
    ]);
    expect(() => times.timeOf(1_005n)).toThrow(/block 1010 is 10 s after block 1000, less than the 20 s this chain's consensus allows/);
  });

  it('drops the lowest anchors past its bound and still proves from the rest', () => {
    const times = new BlockTimes(STRICTLY_LATER_RULES, 4);
    const chain = chainOf(STRICTLY_LATER_RULES, 0n, 0, Array(100).fill(0));
    times.learn([0n, 10n, 20n, 30n, 40n].map((n) => ({ number: n, timestamp: chain.get(n)! })));
    expect(times.anchors).toBe(2);
    expect(times.timeOf(5n)).toBeUndefined();
    expect(times.timeOf(35n)).toBe(35);
  });
});

describe('headers read ahead', () => {
  it("spread over the rest of the shard on its first read, in the last request's room, up to MAX_ANCHORS_AHEAD", () => {
    const none = new BlockTimes(STRICTLY_LATER_RULES);
    expect(anchorsAhead(none, [10n, 20n, 30n], 130n, 8)).toEqual([50n, 70n, 90n, 110n, 130n]);
    expect(anchorsAhead(none, [10n, 20n], 130n, 2)).toEqual([]);
    expect(anchorsAhead(none, [10n], 10n, 50)).toEqual([]);
    const many = anchorsAhead(none, [1n], 1_000_000n, 1_000);
    expect(many).toHaveLength(MAX_ANCHORS_AHEAD);
    expect(many.at(-1)).toBe(1_000_000n);
    expect(many.every((n) => n > 1n && n <= 1_000_000n)).toBe(true);
    // Close to the shard's end, no block is asked twice.
    expect(anchorsAhead(none, [98n], 100n, 50)).toEqual([99n, 100n]);
  });

  it('narrow the stretches ahead that a missed slot leaves unproven, and leave the proven ones alone', () => {
    const times = new BlockTimes(STRICTLY_LATER_RULES);
    // Anchors at 100, 200, 300: 100..200 at one a second, a slot missed between 200 and 300.
    times.learn([
      { number: 100n, timestamp: 1_000 },
      { number: 200n, timestamp: 1_100 },
      { number: 300n, timestamp: 1_203 },
    ]);
    expect(times.unprovenStretches(100n, 300n)).toEqual([{ from: 200n, to: 300n, open: false }]);
    expect(times.unprovenStretches(150n, 400n)).toEqual([
      { from: 150n, to: 200n, open: false },
      { from: 200n, to: 300n, open: false },
      { from: 300n, to: 400n, open: true },
    ]);
    // Read at 100 (room for 3 more): the one unproven stretch ahead is cut in four.
    expect(anchorsAhead(times, [100n], 300n, 4)).toEqual([225n, 250n, 275n]);
    // Three stretches, five headers: two each for the nearest, one for the open end.
    expect(anchorsAhead(times, [150n], 400n, 6)).toEqual([167n, 184n, 234n, 267n, 400n]);
  });
});
