import { errorText } from '#shared/ops/status.ts';
import { checkAttribution } from './attribution.ts';
import { checkChainCoverage, type ChainRange } from './coverage.ts';
import { checkDailyVolume } from './daily-volume.ts';
import { checkDateRanges, EARLIEST_PLAUSIBLE_FILL } from './date-ranges.ts';
import { checkDuplicates } from './duplicates.ts';
import { checkIds } from './ids.ts';
import { checkMappingCount, type SnapshotTaker } from './mapping-count.ts';
import { checkRejects } from './rejects.ts';
import { checkResolutions } from './resolutions.ts';
import { checkSeam } from './seam.ts';
import { checked, isoOf, one, unixOf, type Checked } from './sql.ts';
import { checkTokenConflicts } from './conflicts.ts';
import { checkUnmapped } from './unmapped.ts';
import { CHECK_NAMES, DEFAULT_THRESHOLDS, isFailing, type CheckName, type CheckResult, type QualityTarget, type QualityThresholds } from './types.ts';

export interface QualityInputs {
  /** The chain's genesis and watermark, for the block-coverage check. */
  chain: ChainRange;
  /** Record this run's mapping snapshot as `check` or `monitor`; null compares without writing. */
  record: SnapshotTaker | null;
  /** Collateral adapters the sync is configured with (CHAIN_ADAPTERS); the product's defaults are always known. */
  adapters?: readonly string[];
  /** Exchanges the sync is configured with (CHAIN_EXCHANGES), whose own activity is theirs. */
  exchanges?: readonly string[];
  /** Run only these checks (all by default). */
  only?: readonly CheckName[];
  thresholds?: Partial<QualityThresholds>;
  /** Unix seconds; fills later than this (plus an hour) count as in the future. */
  now?: number;
}

export interface QualityReport {
  at: string;
  database: string;
  /** False when any check failed or could not run. */
  ok: boolean;
  /** The newest plausibly timed fill (ISO), the reference for "recent" and "complete day". */
  newestFill: string | null;
  thresholds: QualityThresholds;
  checks: CheckResult[];
}

/** The newest fill timed between 2020 and an hour from now; null without fills. */
export async function newestFill(w: Checked, nowSeconds: number, since = EARLIEST_PLAUSIBLE_FILL): Promise<number | null> {
  const r = await one<{ n: string; newest: string }>(
    w,
    `SELECT count() AS n, max(timestamp) AS newest FROM ${w.db}.fills
     WHERE timestamp >= toDateTime({since:UInt32}, 'UTC') AND timestamp <= toDateTime({latest:UInt32}, 'UTC')`,
    { since, latest: nowSeconds + 3600 },
  );
  return Number(r.n) === 0 ? null : unixOf(r.newest);
}

/**
 * Runs the data-quality checks, one after another, and says which hold. A
 * check whose queries fail is reported as `error` with the reason; the
 * others still run.
 */
export async function runChecks(target: QualityTarget, inputs: QualityInputs): Promise<QualityReport> {
  const w = checked(target);
  const now = inputs.now ?? Math.floor(Date.now() / 1000);
  const t: QualityThresholds = { ...DEFAULT_THRESHOLDS, ...inputs.thresholds };
  const wanted = new Set<CheckName>(inputs.only ?? CHECK_NAMES);
  let newest: number | null = null;
  try {
    newest = await newestFill(w, now);
  } catch {
    // Each check that needs it reports the failure itself.
  }
  const checks: Record<CheckName, () => Promise<CheckResult>> = {
    duplicates: () => checkDuplicates(w, t.examples),
    ids: () => checkIds(w, t.examples),
    'date-ranges': () => checkDateRanges(w, now),
    'v1-v2-seam': () => checkSeam(w, t.maxSeamGapSeconds),
    'chain-coverage': () => checkChainCoverage(w, inputs.chain),
    unmapped: () => checkUnmapped(w, { newestFill: newest, recentDays: t.recentDays, maxShare: t.maxUnmappedShare, examples: t.examples }),
    'daily-volume': () => checkDailyVolume(w, { newestFill: newest, days: t.dailyVolumeDays, maxDrop: t.maxDailyDrop, minPrevious: t.minDailyFillsForDrop }),
    rejects: () => checkRejects(w, t.examples),
    'token-conflicts': () => checkTokenConflicts(w, t.examples),
    resolutions: () => checkResolutions(w, t.examples),
    attribution: () =>
      checkAttribution(w, {
        adapters: inputs.adapters ?? [],
        exchanges: inputs.exchanges ?? [],
        minTransactions: t.minAdapterTransactions,
        examples: t.examples,
      }),
    'mapping-count': () => checkMappingCount(w, inputs.record),
  };
  const results: CheckResult[] = [];
  for (const name of CHECK_NAMES.filter((n) => wanted.has(n))) {
    try {
      results.push(await checks[name]());
    } catch (err) {
      results.push({ name, status: 'error', summary: `could not run: ${errorText(err)}`, details: {} });
    }
  }
  return {
    at: isoOf(now),
    database: w.db,
    ok: !results.some((r) => isFailing(r.status)),
    newestFill: newest === null ? null : isoOf(newest),
    thresholds: t,
    checks: results,
  };
}
