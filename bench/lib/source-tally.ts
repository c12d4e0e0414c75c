import type { FaultOptions, SimulatedSources } from '#simulator/index.ts';

/** What the simulated sources saw during one approach's run, and the reset that gives every approach the same sources. */

/** The sources' limits for a run: requests per second (burst = rate) and a latency added to every response. */
export interface SourceLimits {
  rate: number;
  latencyMs: number;
}

export interface SourceTally {
  /** Every HTTP request the subgraph received, 429s included. */
  requests: number;
  /** Answered 429 by the rate limit. */
  rateLimited: number;
  /** Requests that ran a query. */
  executions: number;
  byRootField: Record<string, number>;
  rowsReturned: number;
  marketListRequests: number;
  marketListRateLimited: number;
}

function faultsFor(opts: SourceLimits): FaultOptions {
  return {
    rateLimit: { perSecond: opts.rate, burst: opts.rate },
    ...(opts.latencyMs > 0 ? { slow: 1, slowMs: opts.latencyMs } : {}),
  };
}

/** Refills the rate-limit buckets and zeroes the counters, so every approach meets the same source. */
export function resetSources(sim: SimulatedSources, opts: SourceLimits): void {
  sim.subgraph.setFaults(faultsFor(opts));
  sim.markets.setFaults(faultsFor(opts));
  sim.subgraph.resetStats();
  sim.markets.stats.requests = 0;
  sim.markets.stats.faults['rate-limited'] = 0;
}

export function tally(sim: SimulatedSources): SourceTally {
  const s = sim.subgraph.stats;
  return {
    requests: s.requests,
    rateLimited: s.faults['rate-limited'],
    executions: s.executions,
    byRootField: { ...s.byRootField },
    rowsReturned: s.rowsReturned,
    marketListRequests: sim.markets.stats.requests,
    marketListRateLimited: sim.markets.stats.faults['rate-limited'],
  };
}
