import type { ChainSourceStats } from '#shared/sources/chain/stats.ts';

/**
 * Where the source's share of a provider's limit went while it fetched (the
 * plan left out, as in the target), as three factors whose product is the
 * share: how much of the calls/s allowance it sent, how many of those
 * requests were eth_getLogs that came back with logs, and how full each of
 * those was against the most one call may bring (the result cap, or the
 * span cap at the data's density).
 */
export interface FetchBreakdown {
  seconds: number;
  /** HTTP requests sent while fetching (a JSON-RPC batch is one; retries count). */
  requests: number;
  /** Requests sent / what the rate allows in `seconds`. */
  allowanceUsed: number;
  /** eth_getLogs answered with logs (or none). */
  answered: number;
  /** Requests that brought no logs: refused for their size, answered 429, and the rest (header batches, head checks). */
  refused: number;
  throttled: number;
  otherRequests: number;
  /** answered / requests. */
  answeredShare: number;
  /** Logs per answered eth_getLogs, and that / the most one call may bring. */
  logsPerAnswer: number;
  fullness: number;
  /** allowanceUsed × answeredShare × fullness: the logs read a second / the limit. */
  share: number;
}

export function fetchBreakdown(
  plan: ChainSourceStats,
  end: ChainSourceStats,
  fetchSeconds: number,
  limits: { callsPerSecond: number; perCall: number },
): FetchBreakdown {
  const requests = end.httpRequests - plan.httpRequests;
  const answered = end.getLogsAnswered - plan.getLogsAnswered;
  const refused = end.getLogsRefused - plan.getLogsRefused;
  const throttled = end.rateLimited - plan.rateLimited;
  const logs = end.logs - plan.logs;
  const seconds = Math.max(1e-3, fetchSeconds);
  const allowanceUsed = requests / (seconds * limits.callsPerSecond);
  const answeredShare = requests > 0 ? answered / requests : 0;
  const logsPerAnswer = answered > 0 ? logs / answered : 0;
  const fullness = logsPerAnswer / limits.perCall;
  return {
    seconds,
    requests,
    allowanceUsed,
    answered,
    refused,
    throttled,
    otherRequests: Math.max(0, requests - answered - refused - throttled),
    answeredShare,
    logsPerAnswer,
    fullness,
    share: allowanceUsed * answeredShare * fullness,
  };
}

export type ShareFactor = 'allowance' | 'answered' | 'fullness';

/**
 * Each factor below 1, lowest first (the most to gain), with the value it
 * would need to reach `target` on its own, the other two as they are (above 1:
 * it cannot alone).
 */
export function factorNeeds(b: FetchBreakdown, target: number): { factor: ShareFactor; needed: number }[] {
  const factors: [ShareFactor, number][] = [
    ['fullness', b.fullness],
    ['answered', b.answeredShare],
    ['allowance', b.allowanceUsed],
  ];
  return factors
    .filter(([, value]) => value < 1)
    .sort((x, y) => x[1] - y[1])
    .map(([factor, value]) => ({ factor, needed: value > 0 ? (target * value) / b.share : Infinity }));
}
