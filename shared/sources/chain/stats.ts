/** Counters the runner can show; one live object per source instance. */
export interface ChainSourceStats {
  /** HTTP requests sent (a JSON-RPC batch counts once). */
  httpRequests: number;
  /** JSON-RPC calls attempted, by method (a retry counts again). */
  rpcCalls: Record<string, number>;
  /** eth_getLogs calls attempted (= rpcCalls.eth_getLogs). */
  getLogsCalls: number;
  /** eth_getLogs calls the provider refused as too large (we then split the range). */
  getLogsRefused: number;
  /** eth_getLogs calls answered with logs (or none): attempts less refusals, 429s and other failures. */
  getLogsAnswered: number;
  /** Retries after a transient failure (429, 5xx, timeout, dropped connection). */
  retries: number;
  /** HTTP 429 responses, plus JSON-RPC rate-limit errors. */
  rateLimited: number;
  timeouts: number;
  /** Total time slept before retries, ms. */
  retryWaitMs: number;
  /** Block headers fetched for timestamps (cache misses). */
  blocksFetched: number;
  timestampCacheHits: number;
  /** Timestamps taken from the log's own blockTimestamp field. */
  timestampsFromLogs: number;
  /** Timestamps of blocks between two headers read that the chain's consensus rule proves (no header read). */
  timestampsInferred: number;
  logs: number;
  fills: number;
  rejects: number;
  /** Rows of the other tables (claims, conditions, activity, ...). */
  otherRows: number;
}

export function newStats(): ChainSourceStats {
  return {
    httpRequests: 0,
    rpcCalls: {},
    getLogsCalls: 0,
    getLogsRefused: 0,
    getLogsAnswered: 0,
    retries: 0,
    rateLimited: 0,
    timeouts: 0,
    retryWaitMs: 0,
    blocksFetched: 0,
    timestampCacheHits: 0,
    timestampsFromLogs: 0,
    timestampsInferred: 0,
    logs: 0,
    fills: 0,
    rejects: 0,
    otherRows: 0,
  };
}
