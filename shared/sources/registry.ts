import { ConfigError, SOURCE_RATE_SETTINGS, type SourceSettings } from '#shared/config.ts';
import { createMarketsSource } from './markets/index.ts';
import { createSubgraphSource } from './subgraph/index.ts';
import { chainSourceOptionsFromSettings, createChainSource } from './chain/index.ts';
import { shareOfAllowance } from './pacing.ts';
import type { AnySource, SourceName } from './source.ts';

export type SourceRegistry = Partial<Record<SourceName, AnySource>>;

/** Goldsky's documented default for every public endpoint: 50 requests per 10 seconds. */
export const GOLDSKY_PUBLIC_REQUESTS_PER_SECOND = 5;

/**
 * A source's total allowance in requests per second: the configured one, or
 * for a subgraph on Goldsky's public endpoints (the default URL) the limit
 * Goldsky documents for them. Undefined: not paced.
 */
export function sourceAllowance(source: SourceName, s: SourceSettings): number | undefined {
  const configured = s[SOURCE_RATE_SETTINGS[source]];
  if (configured !== undefined) return configured;
  if (source === 'subgraph' && s.POLYMARKET_SUBGRAPH_URL.startsWith('https://api.goldsky.com/api/public/')) {
    return GOLDSKY_PUBLIC_REQUESTS_PER_SECOND;
  }
  return undefined;
}

/** Builds the enabled sources from settings. Adding a source means adding a line here. */
export function buildSources(s: SourceSettings): SourceRegistry {
  assertOneV1Source(s);
  const http = { timeoutMs: s.SOURCE_TIMEOUT_MS, maxRetries: s.SOURCE_MAX_RETRIES };
  const pace = (source: SourceName) => shareOfAllowance(source, sourceAllowance(source, s), s.SOURCE_RATE_SHARED_BY);
  const factories: Record<SourceName, () => AnySource> = {
    markets: () => {
      const lists = s.MARKET_LISTS ?? ['clob', 'gamma', ...(s.SYNC_SOURCES.includes('subgraph') ? (['subgraph'] as const) : [])];
      return createMarketsSource({
        ...http,
        url: s.POLYMARKET_MARKETS_URL,
        pace: pace('markets'),
        ...(lists.includes('gamma')
          ? { gammaUrl: s.POLYMARKET_GAMMA_URL, gammaPace: shareOfAllowance('gamma', s.GAMMA_REQUESTS_PER_SECOND, s.SOURCE_RATE_SHARED_BY) }
          : {}),
        ...(lists.includes('subgraph')
          ? { subgraphUrl: s.POLYMARKET_SUBGRAPH_URL, subgraphPace: pace('subgraph'), subgraphPageSize: s.SUBGRAPH_PAGE_SIZE }
          : {}),
      }) as AnySource;
    },
    subgraph: () =>
      createSubgraphSource({
        ...http,
        url: s.POLYMARKET_SUBGRAPH_URL,
        pageSize: s.SUBGRAPH_PAGE_SIZE,
        pace: pace('subgraph'),
      }) as AnySource,
    chain: () => createChainSource(chainSourceOptionsFromSettings(s)) as unknown as AnySource,
  };
  const out: SourceRegistry = {};
  for (const name of s.SYNC_SOURCES) {
    out[name] = factories[name]();
  }
  return out;
}

/**
 * V1 fills come from one place: the V1 exchanges' logs (CHAIN_V1_FILLS, the
 * default) or the subgraph. Both at once would stage each V1 fill twice
 * under different ids, so the combination is refused at start.
 */
function assertOneV1Source(s: SourceSettings): void {
  const chainReadsV1 = s.SYNC_SOURCES.includes('chain') && s.CHAIN_V1_FILLS && !s.CHAIN_EXCHANGES;
  if (s.SYNC_SOURCES.includes('subgraph') && chainReadsV1) {
    throw new ConfigError(
      'Configuration error: SYNC_SOURCES includes subgraph while the chain reads V1 fills too (CHAIN_V1_FILLS=true): ' +
        'drop subgraph from SYNC_SOURCES (the chain is the default V1 source), or set CHAIN_V1_FILLS=false to take V1 history from the subgraph',
    );
  }
}
