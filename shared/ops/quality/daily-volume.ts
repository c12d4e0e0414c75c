import type { CheckResult } from './types.ts';
import { EARLIEST_PLAUSIBLE_FILL } from './date-ranges.ts';
import { DAY_SECONDS, fmt, isoOf, num, one, percent, rows, unixOf, type Checked } from './sql.ts';

export interface DayCount {
  /** YYYY-MM-DD, UTC. */
  day: string;
  fills: number;
  /** USDC (6 decimals) over fills that are not a taker order's leg. */
  volume: string;
}

export interface DailyDrop {
  day: string;
  previousDay: string;
  previous: number;
  fills: number;
  /** 1 - fills / previous. */
  drop: number;
}

export const startOfDay = (unix: number): number => Math.floor(unix / DAY_SECONDS) * DAY_SECONDS;
const dayLabel = (unix: number): string => isoOf(unix).slice(0, 10);

/**
 * The last whole day of data: the day before the newest fill's. The newest
 * fill's own day is still being filled in, so comparing it would always look
 * like a drop.
 */
export function lastCompleteDay(newestFill: number): number {
  return startOfDay(newestFill) - DAY_SECONDS;
}

/** Fills per UTC day over [fromDay, toDay) (unix seconds at midnight); days without fills are listed with 0. */
export async function fillsPerDay(w: Checked, fromDay: number, toDay: number): Promise<DayCount[]> {
  const raw = await rows<{ day: string; fills: string; volume: string }>(
    w,
    `SELECT toString(toDate(timestamp)) AS day, count() AS fills, toString(sumIf(usdc_amount, NOT is_taker_order)) AS volume
     FROM ${w.db}.fills FINAL
     WHERE timestamp >= toDateTime({from:UInt32}, 'UTC') AND timestamp < toDateTime({to:UInt32}, 'UTC')
     GROUP BY day ORDER BY day`,
    { from: fromDay, to: toDay },
  );
  const byDay = new Map(raw.map((r) => [r.day, r]));
  const out: DayCount[] = [];
  for (let d = fromDay; d < toDay; d += DAY_SECONDS) {
    const r = byDay.get(dayLabel(d));
    out.push({ day: dayLabel(d), fills: r ? num(r.fills) : 0, volume: r?.volume ?? '0' });
  }
  return out;
}

/** Each day with more than `maxDrop` fewer fills than the day before, when that day had at least `minPrevious`. */
export function dayOverDayDrops(days: readonly DayCount[], maxDrop: number, minPrevious: number): DailyDrop[] {
  const drops: DailyDrop[] = [];
  for (let i = 1; i < days.length; i++) {
    const prev = days[i - 1]!;
    const cur = days[i]!;
    if (prev.fills === 0 || prev.fills < minPrevious) continue;
    const drop = 1 - cur.fills / prev.fills;
    if (drop > maxDrop) drops.push({ day: cur.day, previousDay: prev.day, previous: prev.fills, fills: cur.fills, drop });
  }
  return drops;
}

export interface DailyVolumeDetails {
  from: string | null;
  to: string | null;
  days: DayCount[];
  drops: DailyDrop[];
  maxDrop: number;
  minPrevious: number;
}

/**
 * Fills per day over the last `days` complete days (all of history when 0),
 * failing on any day-over-day drop above `maxDrop`: a source that stopped
 * returning part of its data shows as a sudden fall in daily fills.
 */
export async function checkDailyVolume(
  w: Checked,
  opts: { newestFill: number | null; days: number; maxDrop: number; minPrevious: number },
): Promise<CheckResult<DailyVolumeDetails>> {
  const details: DailyVolumeDetails = { from: null, to: null, days: [], drops: [], maxDrop: opts.maxDrop, minPrevious: opts.minPrevious };
  if (opts.newestFill === null) return { name: 'daily-volume', status: 'skip', summary: 'no fills yet', details };
  const last = lastCompleteDay(opts.newestFill);
  let from = last - opts.days * DAY_SECONDS;
  if (opts.days === 0) {
    const first = await one<{ first: string }>(w, `SELECT minIf(timestamp, timestamp >= toDateTime({earliest:UInt32}, 'UTC')) AS first FROM ${w.db}.fills`, {
      earliest: EARLIEST_PLAUSIBLE_FILL,
    });
    from = startOfDay(unixOf(first.first));
  }
  if (from > last - DAY_SECONDS) return { name: 'daily-volume', status: 'skip', summary: 'fewer than two complete days of fills', details };
  details.days = await fillsPerDay(w, from, last + DAY_SECONDS);
  details.from = dayLabel(from);
  details.to = dayLabel(last);
  details.drops = dayOverDayDrops(details.days, opts.maxDrop, opts.minPrevious);
  const span = `${details.from}..${details.to}`;
  if (details.drops.length === 0) {
    const lastDay = details.days.at(-1)!;
    return {
      name: 'daily-volume',
      status: 'pass',
      summary: `no day-over-day drop above ${percent(opts.maxDrop)} in ${span} (${fmt(lastDay.fills)} fills on ${lastDay.day})`,
      details,
    };
  }
  const worst = details.drops.reduce((a, b) => (b.drop > a.drop ? b : a));
  return {
    name: 'daily-volume',
    status: 'fail',
    summary: `${details.drops.length} day(s) with fills down more than ${percent(opts.maxDrop)} in ${span}; worst ${worst.day}: ${fmt(worst.fills)} after ${fmt(worst.previous)} (-${percent(worst.drop)})`,
    details,
  };
}
