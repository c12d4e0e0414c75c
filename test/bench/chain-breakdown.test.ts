import { describe, expect, it } from 'vitest';
import { factorNeeds, fetchBreakdown } from '#bench/parts/chain/breakdown.ts';
import type { ProfileFigures } from '#bench/parts/chain/measure.ts';
import { PROFILES } from '#bench/parts/chain/profiles.ts';
import { chainTargets } from '#bench/parts/chain/report.ts';
import { newStats, type ChainSourceStats } from '#shared/sources/chain/stats.ts';

const stats = (over: Partial<ChainSourceStats>): ChainSourceStats => ({ ...newStats(), ...over });

// The plan: 12 probes (one refused) and a head check, 1,500 logs. The fetch after it: 190 requests in 25 s at
// 8 calls/s (25 s allow 200), of which 172 eth_getLogs answered with 29,584 logs, 16 header batches, 1 refused, 1 answered 429.
const PLAN = stats({ httpRequests: 13, getLogsAnswered: 11, getLogsRefused: 1, logs: 1_500 });
const END = stats({ httpRequests: 13 + 190, getLogsAnswered: 11 + 172, getLogsRefused: 2, rateLimited: 1, logs: 1_500 + 29_584 });

describe('chain bench: where the share of the limit went while fetching', () => {
  const b = fetchBreakdown(PLAN, END, 25, { callsPerSecond: 8, perCall: 200 });

  it('splits it into the allowance used, the requests answered with logs, and how full each was, whose product is the share', () => {
    expect(b.requests).toBe(190);
    expect(b.allowanceUsed).toBeCloseTo(190 / 200, 12);
    expect([b.answered, b.refused, b.throttled, b.otherRequests]).toEqual([172, 1, 1, 16]);
    expect(b.answeredShare).toBeCloseTo(172 / 190, 12);
    expect(b.logsPerAnswer).toBeCloseTo(29_584 / 172, 12);
    expect(b.fullness).toBeCloseTo(29_584 / 172 / 200, 12);
    // Logs a second over the limit (8 calls/s x 200), the plan's left out.
    expect(b.share).toBeCloseTo(29_584 / 25 / 1_600, 12);
  });

  it('names the factors with the most to gain first, each with what it would need on its own', () => {
    const needs = factorNeeds(b, 0.85);
    expect(needs.map((x) => x.factor)).toEqual(['fullness', 'answered', 'allowance']);
    // Fullness alone: 0.85 / (allowance x answered).
    expect(needs[0]!.needed).toBeCloseTo(0.85 / ((190 / 200) * (172 / 190)), 12);
    // Answered alone would need more than every request.
    expect(needs[1]!.needed).toBeGreaterThan(1);
  });

  it("writes a missed target's line with the three factors and what would close it", () => {
    const paid = PROFILES.find((p) => p.name === 'paid')!;
    const profile = { ...paid, callsPerSecond: 8, maxResults: 200 };
    const figures = {
      profile,
      logTimestamps: false,
      limit: 1_600,
      limitFormula: '8 calls/s × 200 results',
      source: { resultsPerSecond: 29_584 / 25, shareOfLimit: b.share, wholeShareOfLimit: 0.7, seconds: 30, fetch: b },
      scanner: { seconds: 300 },
      speedUp: 10,
      scannerSpan: 2_000,
    } as unknown as ProfileFigures;
    const [share, speedUp] = chainTargets([figures]);
    expect(share!.met).toBe(false);
    expect(share!.measured).toContain('short by 11.0 points');
    expect(share!.measured).toContain('190 requests, 95.0% of what 8.0 calls/s allow; 172 of them (90.5%) were eth_getLogs answered');
    expect(share!.measured).toContain('16 header batches and head checks, 1 refused, 1 answered 429');
    expect(share!.measured).toContain('each brought 172 results, 86.0% of the 200 the result cap allows a call');
    // Only fuller calls could close it alone: 98.8% of the cap.
    expect(share!.measured).toContain('What would close it, the rest as it is: calls 98.8% full (198 results each): requests aim under the result cap');
    // Its header batches alone could not close it; without them the calls would need 90.5% of the cap.
    expect(share!.measured).toContain('. Or without its 16 header batches and head checks (logs that carry blockTimestamp read no header;');
    expect(share!.measured).toContain('calls 90.5% full (181 results each)');
    expect(speedUp!.met).toBe(true);

    // Short on all three by as much, with nothing but refusals beside the answers: no one factor alone would do.
    const even = fetchBreakdown(newStats(), stats({ httpRequests: 200, getLogsAnswered: 180, getLogsRefused: 20, logs: 180 * 180 }), 25, {
      callsPerSecond: 200 / 25 / 0.9,
      perCall: 200,
    });
    expect([even.allowanceUsed, even.answeredShare, even.fullness].map((x) => x.toFixed(3))).toEqual(['0.900', '0.900', '0.900']);
    const [line] = chainTargets([{ ...figures, source: { ...figures.source, shareOfLimit: even.share, fetch: even } } as ProfileFigures]);
    expect(line!.measured).toContain('What would close it: no one factor alone (each would need more than 100%), but more than one of: fuller calls');
    expect(line!.measured).toContain('most of the others were refusals and 429s');
    expect(line!.measured).toContain('more of the allowance used');
  });
});
