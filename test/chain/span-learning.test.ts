import { describe, expect, it } from 'vitest';
import { spanLearner } from '#shared/sources/chain/span-learning.ts';
import { MAX_SHARE_OF_RESULT_CAP, TARGET_SHARE_OF_RESULT_CAP } from '#shared/sources/chain/options.ts';

const CAP = 10_000;
const limits = { maxBlockSpan: 1_000_000, maxLogsPerRequest: CAP };

/** Requests of `len` blocks at 20 logs a block, each count scaled by the next factor. */
function feed(learner: ReturnType<typeof spanLearner>, factors: number[], len = 400) {
  for (const f of factors) learner.afterSuccess(len, Math.round(20 * len * f));
}

/** 60 counts alternately `amplitude` above and below the density. */
const alternating = (amplitude: number) => Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? 1 + amplitude : 1 - amplitude));

describe('span learner: how close to the result cap a request aims', () => {
  it('aims at the default share until it has compared enough requests', () => {
    const learner = spanLearner(limits);
    expect(learner.target()).toBe(CAP * TARGET_SHARE_OF_RESULT_CAP);
    feed(learner, [1, 1, 1, 1, 1, 1, 1, 1]); // the first sets the density; 7 compared
    expect(learner.target()).toBe(CAP * TARGET_SHARE_OF_RESULT_CAP);
  });

  it('aims close to the cap when counts fall evenly, as on a chain with fills in every block', () => {
    const learner = spanLearner(limits);
    feed(learner, Array(12).fill(1));
    expect(learner.target()).toBe(Math.floor(CAP * MAX_SHARE_OF_RESULT_CAP));
  });

  it('keeps about 1.7 deviations below the cap when counts stray by a few percent', () => {
    const learner = spanLearner(limits);
    feed(learner, alternating(0.05));
    const share = learner.target() / CAP;
    expect(share).toBeGreaterThan(0.88);
    expect(share).toBeLessThan(0.93);
  });

  it('stays at the default share when counts come in bursts', () => {
    const learner = spanLearner(limits);
    feed(learner, alternating(0.3));
    expect(learner.target()).toBe(CAP * TARGET_SHARE_OF_RESULT_CAP);
  });

  it('counts a refusal for results as a count over the cap, and moves back down', () => {
    const learner = spanLearner(limits);
    feed(learner, Array(12).fill(1));
    expect(learner.target()).toBe(Math.floor(CAP * MAX_SHARE_OF_RESULT_CAP));
    for (let i = 0; i < 10; i++) {
      learner.afterRefusal({ kind: 'range', limit: 'results', reason: 'too many logs', maxResults: CAP }, 0n, 475n);
    }
    expect(learner.target()).toBeLessThan(Math.floor(CAP * MAX_SHARE_OF_RESULT_CAP));
  });

  it('tells the planner the closest aim it may reach: the highest share of the cap it knows, or the fixed target', () => {
    const learner = spanLearner(limits);
    expect(learner.closestTarget()).toBe(Math.floor(CAP * MAX_SHARE_OF_RESULT_CAP));
    learner.afterRefusal({ kind: 'range', limit: 'results', reason: 'too many logs', maxResults: 5_000 }, 0n, 475n);
    expect(learner.closestTarget()).toBe(Math.floor(5_000 * MAX_SHARE_OF_RESULT_CAP));
    const fixed = spanLearner({ ...limits, targetLogsPerRequest: 3_000 });
    expect(fixed.closestTarget()).toBe(3_000);
  });

  it('keeps a target the operator fixed', () => {
    const learner = spanLearner({ ...limits, targetLogsPerRequest: 3_000 });
    feed(learner, Array(12).fill(1));
    expect(learner.target()).toBe(3_000);
  });

  it('sizes the next request on the last one alone once counts are steady, and half the way while they stray', () => {
    const steady = spanLearner(limits);
    feed(steady, Array(12).fill(1));
    // 9,500 aimed at, 8,000 seen in 400 blocks: 475 blocks next.
    expect(steady.afterSuccess(400, 8_000)).toBe(475);
    const bursty = spanLearner(limits);
    feed(bursty, alternating(0.3));
    // 8,000 aimed at, 10,000 seen in 400 blocks: half the way (in ratio) to 320.
    expect(bursty.afterSuccess(400, 10_000)).toBe(Math.floor(400 * Math.sqrt(0.8)));
  });
});

describe('span learner: the rest of a shard', () => {
  /** Requests of `span` blocks it takes to cover `rest` blocks, asking the learner before each. */
  function requestsFor(learner: ReturnType<typeof spanLearner>, proposed: number, rest: number) {
    let n = 0;
    for (let left = rest; left > 0; n++) left -= Math.min(left, learner.spanForRest(proposed, left));
    return n;
  }

  it('covers a shard planned at the default aim in one request fewer once the aim has moved up', () => {
    const learner = spanLearner(limits);
    // Counts stray by 5%: the aim settles near 91.5% of the cap, 457 blocks at 20 logs a block.
    feed(learner, alternating(0.05));
    const proposed = Math.floor(learner.target() / 20);
    expect(proposed).toBeGreaterThan(440);
    expect(proposed).toBeLessThan(470);
    // Planned as 7 spans at 80% of the cap (400 blocks each): 2,800 blocks is 6.1 spans at the new aim.
    const rest = 2_800;
    expect(Math.ceil(rest / proposed)).toBe(7);
    expect(learner.spanForRest(proposed, rest)).toBe(Math.ceil(rest / 6));
    expect(requestsFor(learner, proposed, rest)).toBe(6);
    // Each stretched request expects 9,334 logs: under the cap by more than the spread.
    expect(20 * Math.ceil(rest / 6)).toBeLessThan(CAP * 0.95);
  });

  it('splits the rest evenly, with no request fewer, where counts stray too far for a stretched request to fit', () => {
    const learner = spanLearner(limits);
    feed(learner, alternating(0.3));
    const proposed = Math.floor(learner.target() / 20); // 400 blocks at 80%
    // 5.1 spans: five requests of 410 blocks would expect 82% of the cap, but bursts stray by a third.
    expect(learner.spanForRest(proposed, 2_050)).toBe(Math.ceil(2_050 / 6));
    expect(requestsFor(learner, proposed, 2_050)).toBe(6);
  });

  it('never stretches before it has compared enough requests, past the span cap, or when the operator fixed the aim', () => {
    const fresh = spanLearner(limits);
    fresh.afterSuccess(400, 8_000);
    expect(fresh.spanForRest(400, 2_050)).toBe(Math.ceil(2_050 / 6));

    const capped = spanLearner({ ...limits, maxBlockSpan: 410 });
    feed(capped, Array(12).fill(1), 400);
    // 2,050 blocks in 5 requests needs 410 a request: at the cap, allowed; 2,100 in 5 would need 420.
    expect(capped.spanForRest(400, 2_050)).toBe(410);
    expect(capped.spanForRest(400, 2_100)).toBe(Math.ceil(2_100 / 6));

    const fixed = spanLearner({ ...limits, targetLogsPerRequest: 8_000 });
    feed(fixed, Array(12).fill(1));
    expect(fixed.spanForRest(400, 2_050)).toBe(Math.ceil(2_050 / 6));
  });

  it('leaves a rest that one request covers to the caller', () => {
    const learner = spanLearner(limits);
    feed(learner, Array(12).fill(1));
    expect(learner.spanForRest(475, 300)).toBe(475);
    expect(learner.spanForRest(475, 475)).toBe(475);
  });
});
