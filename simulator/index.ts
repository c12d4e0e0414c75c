/**
 * Simulated Polymarket sources for tests, demos and benchmarks: the orderbook
 * subgraph (GraphQL) and the CLOB market list (HTTP), over one dataset.
 */
import type { Dataset } from './dataset.ts';
import type { FaultOptions, RateLimit } from './faults.ts';
import { startMarketsServer, type MarketsServer, type MarketsServerOptions } from './markets-server.ts';
import { startSubgraphServer, type SubgraphServer, type SubgraphServerOptions } from './subgraph-server.ts';
import { startGammaServer, type GammaServer, type GammaServerOptions } from './gamma-server.ts';

export * from './dataset.ts';
export type { FaultKind, FaultOptions, RateLimit, FaultCounts } from './faults.ts';
export { startSubgraphServer } from './subgraph-server.ts';
export type { Corruption, CorruptionKind, SubgraphServer, SubgraphServerOptions, SubgraphStats, SubgraphHead } from './subgraph-server.ts';
export { startMarketsServer, encodeCursor, decodeCursor, START_CURSOR, END_CURSOR, MARKETS_PAGE_SIZE } from './markets-server.ts';
export type { MarketCorruption, MarketCorruptionKind, MarketsServer, MarketsServerOptions, MarketsStats } from './markets-server.ts';
export { startGammaServer } from './gamma-server.ts';
export type { GammaCorruption, GammaCorruptionKind, GammaServer, GammaServerOptions, GammaStats } from './gamma-server.ts';
export * from './market-lists.ts';

export interface SimulatedSourcesOptions {
  dataset: Dataset;
  /** Faults for both servers (each keeps its own draws). */
  faults?: FaultOptions;
  /** Rate limit for both servers (each its own bucket). */
  rateLimit?: RateLimit;
  subgraph?: Omit<SubgraphServerOptions, 'dataset'>;
  markets?: Omit<MarketsServerOptions, 'dataset'>;
  gamma?: Omit<GammaServerOptions, 'dataset'>;
}

export interface SimulatedSources {
  /** POLYMARKET_SUBGRAPH_URL */
  subgraphUrl: string;
  /** POLYMARKET_MARKETS_URL */
  marketsUrl: string;
  /** POLYMARKET_GAMMA_URL */
  gammaUrl: string;
  subgraph: SubgraphServer;
  markets: MarketsServer;
  gamma: GammaServer;
  /** Env vars pointing the sync at these servers. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Starts the simulated subgraph, CLOB market list and Gamma market list over one dataset. */
export async function startSimulatedSources(opts: SimulatedSourcesOptions): Promise<SimulatedSources> {
  const faults = (own?: FaultOptions): FaultOptions => ({
    ...(opts.faults ?? {}),
    ...(own ?? {}),
    ...(opts.rateLimit ? { rateLimit: opts.rateLimit } : {}),
  });
  const subgraph = await startSubgraphServer({ ...opts.subgraph, dataset: opts.dataset, faults: faults(opts.subgraph?.faults) });
  let markets: MarketsServer;
  let gamma: GammaServer;
  try {
    markets = await startMarketsServer({ ...opts.markets, dataset: opts.dataset, faults: faults(opts.markets?.faults) });
  } catch (e) {
    await subgraph.close();
    throw e;
  }
  try {
    gamma = await startGammaServer({ ...opts.gamma, dataset: opts.dataset, faults: faults(opts.gamma?.faults) });
  } catch (e) {
    await Promise.all([subgraph.close(), markets.close()]);
    throw e;
  }
  return {
    subgraphUrl: subgraph.url,
    marketsUrl: markets.url,
    gammaUrl: gamma.url,
    subgraph,
    markets,
    gamma,
    env: { POLYMARKET_SUBGRAPH_URL: subgraph.url, POLYMARKET_MARKETS_URL: markets.url, POLYMARKET_GAMMA_URL: gamma.url },
    close: async () => {
      await Promise.all([subgraph.close(), markets.close(), gamma.close()]);
    },
  };
}
