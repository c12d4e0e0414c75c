import { errorText } from '#shared/ops/status.ts';
import { creditedAdapters, knownAdapters, suspectedAdapters } from './attribution.ts';
import { fillsPerDay, lastCompleteDay } from './daily-volume.ts';
import { checkMappingCount } from './mapping-count.ts';
import { newestFill } from './run.ts';
import { checked, DAY_SECONDS, one } from './sql.ts';
import { DEFAULT_THRESHOLDS, type QualityTarget } from './types.ts';
import { unmappedShare } from './unmapped.ts';

/** What the monitor publishes each probe; a figure it could not measure is null. */
export interface QualityMetrics {
  /** How many percent fewer fills the last complete day had than the day before (0 when it had more). */
  dailyFillsDropPercent: number | null;
  /** The day that figure is about (YYYY-MM-DD). */
  comparedDay: string | null;
  /** Percent of the last `recentDays` days' fills whose token is unmapped. */
  unmappedPercent: number | null;
  mappedTokens: number | null;
  /** How many fewer tokens are mapped than at the previous snapshot (0 when as many or more). */
  mappedTokensLost: number | null;
  /**
   * Addresses credited with activity that belongs to the wallets behind them:
   * known collateral adapters (all history), and addresses that look like one
   * (the `attribution` check's rule, over the last RECENT_ACTIVITY_BLOCKS).
   */
  misattributedAddresses: number | null;
  /** Those addresses, for the log line. */
  misattributed: string[];
  /** Why a figure is missing, per part. */
  errors: string[];
}

export interface ProbeOptions {
  /** Unix seconds. */
  now: number;
  /**
   * A run is open: its objects load in any order, so a day may be half
   * loaded while a later one is already in. The volume comparison waits.
   */
  runOpen: boolean;
  recentDays?: number;
  minDailyFillsForDrop?: number;
  /** CHAIN_ADAPTERS, when the stage sets it; the product's defaults are always known. */
  adapters?: readonly string[];
  /** CHAIN_EXCHANGES, when the stage sets it. */
  exchanges?: readonly string[];
  minAdapterTransactions?: number;
}

/** About a week of Polygon blocks at 2 s (fewer days at the faster cadence since Madhugiri). */
export const RECENT_ACTIVITY_BLOCKS = 302_400n;

/**
 * Only recent data is read: the newest fill is looked for in the last
 * 35 days (monthly partitions keep that to one or two), so a probe every
 * five minutes stays cheap. A stale warehouse has no recent fills; the
 * freshness alarms cover that.
 */
const LOOKBACK_DAYS = 35;

/**
 * The monitor's data-quality probe: the day-over-day change in fills, the
 * recent unmapped share, and the mapped-token count against the previous
 * snapshot (recording this probe's). Each part runs on its own, so one
 * failing leaves the others' figures.
 */
export async function probeQuality(target: QualityTarget, opts: ProbeOptions): Promise<QualityMetrics> {
  const w = checked(target);
  const recentDays = opts.recentDays ?? DEFAULT_THRESHOLDS.recentDays;
  const minPrevious = opts.minDailyFillsForDrop ?? DEFAULT_THRESHOLDS.minDailyFillsForDrop;
  const out: QualityMetrics = {
    dailyFillsDropPercent: null,
    comparedDay: null,
    unmappedPercent: null,
    mappedTokens: null,
    mappedTokensLost: null,
    misattributedAddresses: null,
    misattributed: [],
    errors: [],
  };
  const part = async (name: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      out.errors.push(`${name}: ${errorText(err)}`);
    }
  };

  let newest: number | null = null;
  await part('newest fill', async () => {
    newest = await newestFill(w, opts.now, opts.now - LOOKBACK_DAYS * DAY_SECONDS);
  });
  if (newest !== null) {
    const latest: number = newest;
    if (!opts.runOpen) {
      await part('daily fills', async () => {
        const day = lastCompleteDay(latest);
        const [previous, compared] = await fillsPerDay(w, day - DAY_SECONDS, day + DAY_SECONDS);
        out.comparedDay = compared!.day;
        out.dailyFillsDropPercent = previous!.fills >= Math.max(1, minPrevious) ? Math.max(0, (1 - compared!.fills / previous!.fills) * 100) : 0;
      });
    }
    await part('unmapped share', async () => {
      const share = await unmappedShare(w, latest - recentDays * DAY_SECONDS);
      out.unmappedPercent = share.share * 100;
    });
  }
  await part('mapping count', async () => {
    const { details } = await checkMappingCount(w, 'monitor');
    out.mappedTokens = details.marketTokens;
    out.mappedTokensLost = details.lost;
  });
  await part('attribution', async () => {
    const adapters = knownAdapters(opts.adapters ?? []);
    const credited = await creditedAdapters(w, adapters);
    const newestBlock = BigInt((await one<{ b: string }>(w, `SELECT toString(max(block_number)) AS b FROM ${w.db}.activity`)).b);
    const suspects = await suspectedAdapters(w, {
      adapters,
      exchanges: opts.exchanges ?? [],
      minTransactions: opts.minAdapterTransactions ?? DEFAULT_THRESHOLDS.minAdapterTransactions,
      fromBlock: newestBlock > RECENT_ACTIVITY_BLOCKS ? newestBlock - RECENT_ACTIVITY_BLOCKS : 0n,
      limit: 100,
    });
    out.misattributed = [...credited, ...suspects].map((a) => a.address);
    out.misattributedAddresses = out.misattributed.length;
  });
  return out;
}
