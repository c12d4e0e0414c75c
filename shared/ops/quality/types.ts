import type { ClickHouseClient } from '@clickhouse/client';

/** Every check `npm run check` knows, by the name it reports under. */
export const CHECK_NAMES = [
  'duplicates',
  'ids',
  'date-ranges',
  'v1-v2-seam',
  'chain-coverage',
  'unmapped',
  'daily-volume',
  'rejects',
  'token-conflicts',
  'resolutions',
  'attribution',
  'mapping-count',
] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

/**
 * pass: the property holds. warn: worth a look, not a defect (rejects set aside by design).
 * fail: the property is broken. skip: nothing to check yet (no V2 fills, no chain watermark).
 * error: the check could not run (a query failed); counts as a failure.
 */
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip' | 'error';

export interface CheckResult<D extends object = object> {
  name: CheckName;
  status: CheckStatus;
  /** One line a person reads first. */
  summary: string;
  /** Figures and examples behind the summary; plain JSON (big integers as decimal strings). */
  details: D;
}

/** Where the checks read: a client, a checked database name, and an optional deadline. */
export interface QualityTarget {
  client: ClickHouseClient;
  database: string;
  signal?: AbortSignal;
}

/** The limits the checks hold the warehouse to; every one has a default (DEFAULT_THRESHOLDS). */
export interface QualityThresholds {
  /** A day with fewer fills than this share of the day before is a drop (0.5: more than 50% fewer). */
  maxDailyDrop: number;
  /** Drops after a day with fewer fills than this are noise, not a broken source. */
  minDailyFillsForDrop: number;
  /** Complete days (ending with the day before the newest fill's) the daily-volume check looks at; 0: all. */
  dailyVolumeDays: number;
  /** Largest share of fills (0..1) whose token no market list maps. */
  maxUnmappedShare: number;
  /** The "recent" window of the unmapped check, in days before the newest fill. */
  recentDays: number;
  /** Longest allowed time between V1's last fill and V2's first, in seconds. */
  maxSeamGapSeconds: number;
  /** Transactions of activity that make an address which never traded, and is no proxy or Safe, look like a collateral adapter. */
  minAdapterTransactions: number;
  /** How many examples a check lists. */
  examples: number;
}

export const DEFAULT_THRESHOLDS: QualityThresholds = {
  maxDailyDrop: 0.5,
  minDailyFillsForDrop: 100,
  dailyVolumeDays: 30,
  maxUnmappedShare: 0.05,
  recentDays: 7,
  maxSeamGapSeconds: 3600,
  minAdapterTransactions: 50,
  examples: 10,
};

/** A failed or errored check makes the report fail; warnings and skips do not. */
export function isFailing(status: CheckStatus): boolean {
  return status === 'fail' || status === 'error';
}
