import type { RpcFailure } from './errors.ts';
import { TARGET_SHARE_OF_RESULT_CAP } from './options.ts';

export interface SpanLimits {
  /** The configured eth_getLogs block-span cap. */
  maxBlockSpan: number;
  /** The configured eth_getLogs result cap. */
  maxLogsPerRequest: number;
  /** The configured logs per request to aim at. */
  targetLogsPerRequest: number;
}

/**
 * What one source instance learns about its provider's eth_getLogs caps
 * from refusals and successes. It outlives a page (a warm fetcher keeps it).
 */
export interface SpanLearner {
  /** Logs the next request aims at. */
  target(): number;
  /** Longest span a request may cover now. */
  spanCap(): number;
  /** The span to retry with after a refused range of `len` blocks from `start`. */
  afterRefusal(failure: RpcFailure & { kind: 'range' }, start: bigint, len: bigint): bigint;
  /** The span of the next request after `len` blocks came back with `logs` logs. */
  afterSuccess(len: number, logs: number): number;
}

const min = (a: bigint, b: bigint) => (a < b ? a : b);
const max = (a: bigint, b: bigint) => (a > b ? a : b);

export function spanLearner(limits: SpanLimits): SpanLearner {
  let learnedMaxSpan = limits.maxBlockSpan;
  let learnedMaxLogs = limits.maxLogsPerRequest;
  // Largest span that came back without a refusal, for span caps a provider does not state.
  let maxOkSpan = 0;
  const target = () => Math.max(1, Math.min(limits.targetLogsPerRequest, Math.floor(learnedMaxLogs * TARGET_SHARE_OF_RESULT_CAP)));
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
   * per step, going half the way (in ratio) towards the proportional span:
   * one window's count is noisy (logs come in bursts), and following it fully
   * turns every burst into an undersized next request and every lull into a
   * refused one.
   */
  function afterSuccess(len: number, logs: number): number {
    if (len > maxOkSpan) maxOkSpan = len;
    const ideal = logs === 0 ? len * 2 : Math.floor(len * Math.sqrt(target() / logs));
    const next = Math.min(len * 2, Math.max(Math.floor(len / 4), ideal));
    return Math.max(1, Math.min(spanCap(), next));
  }

  return { target, spanCap, afterRefusal, afterSuccess };
}
