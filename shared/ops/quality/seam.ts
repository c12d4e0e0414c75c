import type { CheckResult } from './types.ts';
import { ERA_PARAMS, IS_V1, IS_V2 } from './eras.ts';
import { fmt, isoOf, num, one, unixOf, type Checked } from './sql.ts';

export interface SeamDetails {
  v1Fills: number;
  v2Fills: number;
  /** Time of the last V1 fill and the first V2 fill (ISO), null when the era has none. */
  v1Last: string | null;
  v2First: string | null;
  /** v2First - v1Last in seconds; negative when the eras overlap. */
  gapSeconds: number | null;
  /** When they overlap: V1 fills after V2's first, and V2 fills before V1's last. */
  v1FillsAfterV2First: number;
  v2FillsBeforeV1Last: number;
  maxGapSeconds: number;
}

/**
 * The V1/V2 seam. V1 = fills from the V1 exchanges or from the orderbook
 * subgraph; V2 = fills from the V2 exchanges. The seam holds when
 * - no overlap: V2's first fill is not earlier than V1's last
 *   (v2First >= v1Last; both in the same second is allowed), and
 * - no gap: v2First - v1Last <= maxGapSeconds.
 * Trading moved from one set of contracts to the other at one point in
 * time, so an overlap means one era was read past its end (or V2 fills were
 * filed as V1), and a long gap means fills on one side of the switch are missing.
 */
export async function checkSeam(w: Checked, maxGapSeconds: number): Promise<CheckResult<SeamDetails>> {
  const r = await one<{ v1: string; v2: string; v1_last: string; v2_first: string }>(
    w,
    `SELECT countIf(${IS_V1}) AS v1, countIf(${IS_V2}) AS v2,
            maxIf(timestamp, ${IS_V1}) AS v1_last, minIf(timestamp, ${IS_V2}) AS v2_first
     FROM ${w.db}.fills FINAL`,
    ERA_PARAMS,
  );
  const details: SeamDetails = {
    v1Fills: num(r.v1),
    v2Fills: num(r.v2),
    v1Last: null,
    v2First: null,
    gapSeconds: null,
    v1FillsAfterV2First: 0,
    v2FillsBeforeV1Last: 0,
    maxGapSeconds,
  };
  if (details.v1Fills === 0 || details.v2Fills === 0) {
    const missing = details.v1Fills === 0 && details.v2Fills === 0 ? 'no fills of either era' : details.v1Fills === 0 ? 'no V1 fills' : 'no V2 fills';
    return { name: 'v1-v2-seam', status: 'skip', summary: `${missing} yet: nothing to join`, details };
  }
  const v1Last = unixOf(r.v1_last);
  const v2First = unixOf(r.v2_first);
  details.v1Last = isoOf(v1Last);
  details.v2First = isoOf(v2First);
  details.gapSeconds = v2First - v1Last;
  if (details.gapSeconds < 0) {
    const o = await one<{ v1_after: string; v2_before: string }>(
      w,
      `SELECT countIf(${IS_V1} AND timestamp > toDateTime({v2First:UInt32}, 'UTC')) AS v1_after,
              countIf(${IS_V2} AND timestamp < toDateTime({v1Last:UInt32}, 'UTC')) AS v2_before
       FROM ${w.db}.fills FINAL`,
      { ...ERA_PARAMS, v1Last, v2First },
    );
    details.v1FillsAfterV2First = num(o.v1_after);
    details.v2FillsBeforeV1Last = num(o.v2_before);
    return {
      name: 'v1-v2-seam',
      status: 'fail',
      summary: `eras overlap by ${fmt(-details.gapSeconds)} s: V1's last fill ${details.v1Last} is after V2's first ${details.v2First} (${fmt(details.v1FillsAfterV2First)} V1 fills after it, ${fmt(details.v2FillsBeforeV1Last)} V2 fills before V1's last)`,
      details,
    };
  }
  if (details.gapSeconds > maxGapSeconds) {
    return {
      name: 'v1-v2-seam',
      status: 'fail',
      summary: `gap of ${fmt(details.gapSeconds)} s between V1's last fill ${details.v1Last} and V2's first ${details.v2First} (allowed ${fmt(maxGapSeconds)} s)`,
      details,
    };
  }
  return {
    name: 'v1-v2-seam',
    status: 'pass',
    summary: `V1 ends ${details.v1Last}, V2 starts ${details.v2First} (${fmt(details.gapSeconds)} s later)`,
    details,
  };
}
