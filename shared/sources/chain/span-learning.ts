import type { RpcFailure } from './errors.ts';
import { MAX_SHARE_OF_RESULT_CAP, TARGET_SHARE_OF_RESULT_CAP } from './options.ts';

export interface SpanLimits {
  /** The configured eth_getLogs block-span cap. */
  maxBlockSpan: number;
  /** The configured eth_getLogs result cap. */
  maxLogsPerRequest: number;
  /** Logs per request to aim at, when the operator fixed it; undefined: adapted (see `shareOfCap`). */
  targetLogsPerRequest?: number | undefined;
}

/** Successful requests whose count is compared with the prediction before the aim may move off the default share. */
const MIN_SPREAD_SAMPLES = 8;
/** A request predicted to hold fewer logs says little about the spread (its count is mostly chance). */
const MIN_PREDICTED_LOGS = 20;
/** Weight of the newest request in the running density and spread. */
const DENSITY_WEIGHT = 0.3;
const SPREAD_WEIGHT = 0.1;
/**
 * How many relative standard deviations the aim keeps below the cap. With a
 * suggested range a refusal costs one call, and a simple model of that trade
 * (counts spread normally around the aim) puts the best aim about 1.7
 * deviations below the cap when counts vary by a few percent, and
 * TARGET_SHARE_OF_RESULT_CAP, where the result is flat, when they vary by a
 * quarter.
 */
const SPREAD_MARGIN = 1.7;
/** How many relative standard deviations a stretched request at a shard's end keeps below the cap (see `spanForRest`). */
const STRETCH_MARGIN = 1;
/** Counts that stray by less than this (relative deviation) are steady enough to size the next request on the last one alone. */
const STEADY_SPREAD = 0.1;

/**
 * What one source instance learns about its provider's eth_getLogs caps
 * from refusals and successes. It outlives a page (a warm fetcher keeps it).
 */
export interface SpanLearner {
  /** Logs the next request aims at. */
  target(): number;
  /** Logs a request aims at once counts have fallen evenly: the highest `target()` rises to with today's caps. */
  closestTarget(): number;
  /** Longest span a request may cover now. */
  spanCap(): number;
  /** The span to retry with after a refused range of `len` blocks from `start`. */
  afterRefusal(failure: RpcFailure & { kind: 'range' }, start: bigint, len: bigint): bigint;
  /** The span of the next request after `len` blocks came back with `logs` logs. */
  afterSuccess(len: number, logs: number): number;
  /**
   * The span of the next request when `rest` blocks are left in the shard and
   * the learner proposes `proposed`: the rest split evenly, over one request
   * fewer when the counts allow it.
   */
  spanForRest(proposed: number, rest: number): number;
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);

export function spanLearner(limits: SpanLimits): SpanLearner {
  let learnedMaxSpan = limits.maxBlockSpan;
  let learnedMaxLogs = limits.maxLogsPerRequest;
  // Largest span that came back without a refusal, for span caps a provider does not state.
  let maxOkSpan = 0;
  // Running logs per block, and the running mean square of (count / predicted - 1): how far a request's count strays.
  let density: number | undefined;
  let spread2 = 0;
  let spreadSamples = 0;

  /**
   * The share of the result cap to aim at: the default until enough requests
   * were compared, then as close to the cap as the counts' spread allows
   * (never below the default, never above MAX_SHARE_OF_RESULT_CAP).
   */
  const shareOfCap = () => {
    if (spreadSamples < MIN_SPREAD_SAMPLES) return TARGET_SHARE_OF_RESULT_CAP;
    const share = 1 - SPREAD_MARGIN * Math.sqrt(spread2);
    return Math.min(MAX_SHARE_OF_RESULT_CAP, Math.max(TARGET_SHARE_OF_RESULT_CAP, share));
  };
  const target = () => {
    const adapted = Math.floor(learnedMaxLogs * shareOfCap());
    return Math.max(
      1,
      limits.targetLogsPerRequest === undefined ? adapted : Math.min(limits.targetLogsPerRequest, Math.floor(learnedMaxLogs * TARGET_SHARE_OF_RESULT_CAP)),
    );
  };

  const closestTarget = () => Math.max(1, limits.targetLogsPerRequest === undefined ? Math.floor(learnedMaxLogs * MAX_SHARE_OF_RESULT_CAP) : target());

  function noteStray(stray: number): void {
    spread2 = spreadSamples === 0 ? stray * stray : (1 - SPREAD_WEIGHT) * spread2 + SPREAD_WEIGHT * stray * stray;
    spreadSamples++;
  }

  /** Compares a request's count with what the running density predicted, then moves the density. */
  function observe(len: number, logs: number): void {
    if (density !== undefined) {
      const predicted = density * len;
      if (predicted >= MIN_PREDICTED_LOGS) noteStray(logs / predicted - 1);
    }
    const seen = logs / len;
    density = density === undefined ? seen : (1 - DENSITY_WEIGHT) * density + DENSITY_WEIGHT * seen;
  }
  const spanCap = () => Math.max(1, Math.min(limits.maxBlockSpan, learnedMaxSpan));

  function afterRefusal(failure: RpcFailure & { kind: 'range' }, start: bigint, len: bigint): bigint {
    if (failure.maxSpan !== undefined) learnedMaxSpan = Math.min(learnedMaxSpan, failure.maxSpan);
    else if (failure.limit === 'span') {
      // "block range is too wide" without a number: the cap is below len; keep
      // the largest span known to work, or half of len.
      const known = maxOkSpan > 0 && BigInt(maxOkSpan) < len ? maxOkSpan : Number(len / 2n);
      learnedMaxSpan = Math.max(1, Math.min(learnedMaxSpan, known));
    }
    if (failure.maxResults !== undefined) learnedMaxLogs = Math.min(learnedMaxLogs, failure.maxResults);
    // Refused for its results: aimed at target(), the count was over the cap, so it strayed at least that far.
    if (failure.limit === 'results' || failure.limit === 'size') noteStray(learnedMaxLogs / target() - 1);
    let next = len / 2n;
    const sug = failure.suggested;
    if (sug && sug.to >= sug.from) {
      const sugLen = sug.from === start ? sug.to - start + 1n : sug.to - sug.from + 1n;
      if (sugLen > 0n && sugLen < len) next = sugLen;
    } else if (failure.maxSpan !== undefined && BigInt(failure.maxSpan) < len) {
      next = BigInt(failure.maxSpan);
    }
    return max(1n, min(next, BigInt(spanCap())));
  }

  /**
   * Aims the next request at `target()` logs, at most doubling or quartering
   * per step, going half the way (in ratio) towards the proportional span
   * unless counts have been steady: one window's count is noisy where logs
   * come in bursts, and following it fully turns every burst into an
   * undersized next request and every lull into a refused one.
   */
  function afterSuccess(len: number, logs: number): number {
    if (len > maxOkSpan) maxOkSpan = len;
    observe(len, logs);
    // Where counts vary little, one window predicts the next: go all the way.
    const steady = spreadSamples >= MIN_SPREAD_SAMPLES && spread2 < STEADY_SPREAD * STEADY_SPREAD;
    const ratio = logs === 0 ? 0 : target() / logs;
    const ideal = logs === 0 ? len * 2 : Math.floor(len * (steady ? ratio : Math.sqrt(ratio)));
    const next = Math.min(len * 2, Math.max(Math.floor(len / 4), ideal));
    return Math.max(1, Math.min(spanCap(), next));
  }

  /**
   * A shard planned as whole spans at one aim ends on a sliver of a request
   * once the aim has moved (7 spans at 80% are 6.1 at 92%: the seventh call
   * brings 9% of the cap). So the rest of a shard is split evenly over the
   * requests it needs, and over one fewer when each of those would still
   * expect a full learned deviation under the cap. Only counts even enough to
   * have moved the aim off the default share are trusted to stretch: bursts
   * stray further than their deviation says. Splitting evenly also lowers
   * each request's aim, so the stretched requests are refused less often
   * than the unsplit ones were (a simulation of the chain bench's paid
   * profile: 5% fewer calls, a fifth of the refusals).
   */
  function spanForRest(proposed: number, rest: number): number {
    if (rest <= proposed || density === undefined) return proposed;
    const requests = Math.ceil(rest / proposed);
    const even = Math.ceil(rest / requests);
    const fewer = Math.ceil(rest / (requests - 1));
    const stretchedShare = (density * fewer) / learnedMaxLogs;
    const mayStretch =
      limits.targetLogsPerRequest === undefined &&
      shareOfCap() > TARGET_SHARE_OF_RESULT_CAP &&
      fewer <= spanCap() &&
      stretchedShare <= 1 - STRETCH_MARGIN * Math.sqrt(spread2);
    return mayStretch ? fewer : even;
  }

  return { target, closestTarget, spanCap, afterRefusal, afterSuccess, spanForRest };
}
