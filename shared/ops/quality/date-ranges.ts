import type { CheckResult } from './types.ts';
import { fmt, isoOf, num, rows, unixOf, type Checked } from './sql.ts';

/** Before any Polymarket exchange existed: a timestamp earlier than this is a missing or broken time. */
export const EARLIEST_PLAUSIBLE_FILL = Date.UTC(2020, 0, 1) / 1000;
/** Clocks and block times drift a little; a fill further ahead than this is in the future. */
const FUTURE_TOLERANCE_SECONDS = 3600;

export interface SourceRange {
  source: string;
  exchange: string;
  fills: number;
  first: string;
  last: string;
  firstBlock: number;
  lastBlock: number;
  /** Rows timed before 2020 (0 = no time at all) or after now. */
  implausibleTimes: number;
}

export interface DateRangeDetails {
  ranges: SourceRange[];
}

/** First and last fill per source and exchange; fails on a fill without a plausible time. */
export async function checkDateRanges(w: Checked, nowSeconds: number): Promise<CheckResult<DateRangeDetails>> {
  const raw = await rows<{ source: string; exchange: string; n: string; first: string; last: string; first_block: string; last_block: string; bad: string }>(
    w,
    `SELECT source, exchange, count() AS n, min(timestamp) AS first, max(timestamp) AS last,
            min(block_number) AS first_block, max(block_number) AS last_block,
            countIf(timestamp < toDateTime({earliest:UInt32}, 'UTC') OR timestamp > toDateTime({latest:UInt32}, 'UTC')) AS bad
     FROM ${w.db}.fills FINAL GROUP BY source, exchange ORDER BY first`,
    { earliest: EARLIEST_PLAUSIBLE_FILL, latest: nowSeconds + FUTURE_TOLERANCE_SECONDS },
  );
  const ranges: SourceRange[] = raw.map((r) => ({
    source: r.source,
    exchange: r.exchange,
    fills: num(r.n),
    first: isoOf(unixOf(r.first)),
    last: isoOf(unixOf(r.last)),
    firstBlock: num(r.first_block),
    lastBlock: num(r.last_block),
    implausibleTimes: num(r.bad),
  }));
  const label = (r: SourceRange) => (r.exchange ? `${r.source} ${r.exchange}` : r.source);
  if (ranges.length === 0) return { name: 'date-ranges', status: 'skip', summary: 'no fills yet', details: { ranges } };
  const bad = ranges.filter((r) => r.implausibleTimes > 0);
  if (bad.length > 0) {
    return {
      name: 'date-ranges',
      status: 'fail',
      summary: bad.map((r) => `${label(r)}: ${fmt(r.implausibleTimes)} fills timed before 2020 or in the future`).join('; '),
      details: { ranges },
    };
  }
  return {
    name: 'date-ranges',
    status: 'pass',
    summary: ranges.map((r) => `${label(r)} ${r.first.slice(0, 10)}..${r.last.slice(0, 10)}`).join('; '),
    details: { ranges },
  };
}
