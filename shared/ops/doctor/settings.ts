import type { SourceSettings } from '#shared/config.ts';
import { sourceAllowance } from '#shared/sources/registry.ts';
import { genesisFromSettings } from '#shared/sources/chain/from-settings.ts';
import { redactUrls } from '#shared/telemetry/redact.ts';
import type { SourceName } from '#shared/sources/source.ts';
import { thousands } from './types.ts';

/** The market lists the markets source reads with these settings (as buildSources decides). */
export function marketLists(s: SourceSettings): string[] {
  return s.MARKET_LISTS ?? ['clob', 'gamma', ...(s.SYNC_SOURCES.includes('subgraph') ? ['subgraph'] : [])];
}

/** Whether the sync talks to the subgraph at all: as the V1 source, or for its market list. */
export function readsSubgraph(s: SourceSettings): boolean {
  return s.SYNC_SOURCES.includes('subgraph') || (s.SYNC_SOURCES.includes('markets') && marketLists(s).includes('subgraph'));
}

const rate = (source: SourceName | 'gamma', s: SourceSettings): string => {
  const total = source === 'gamma' ? s.GAMMA_REQUESTS_PER_SECOND : sourceAllowance(source, s);
  if (total === undefined) return 'not paced';
  return s.SOURCE_RATE_SHARED_BY > 1 ? `${total}/s shared by ${s.SOURCE_RATE_SHARED_BY}` : `${total}/s`;
};

/**
 * The settings a sync would run with, each in words, URLs redacted (a
 * provider key can live in the path or the query).
 */
export function settingsSummary(s: SourceSettings, extra: Record<string, string> = {}): Record<string, string> {
  const chain = s.SYNC_SOURCES.includes('chain');
  const out: Record<string, string> = {
    sources: s.SYNC_SOURCES.join(', '),
    'market lists': s.SYNC_SOURCES.includes('markets') ? marketLists(s).join(', ') : '(markets not synced)',
    'markets url': redactUrls(s.POLYMARKET_MARKETS_URL),
    'gamma url': redactUrls(s.POLYMARKET_GAMMA_URL),
    'subgraph url': redactUrls(s.POLYMARKET_SUBGRAPH_URL),
    'rpc url': redactUrls(s.POLYGON_RPC_URL),
    rates: `markets ${rate('markets', s)}, gamma ${rate('gamma', s)}, subgraph ${rate('subgraph', s)}, chain ${rate('chain', s)}`,
    requests: `timeout ${thousands(s.SOURCE_TIMEOUT_MS)} ms, ${s.SOURCE_MAX_RETRIES} retries`,
  };
  if (chain) {
    out['chain genesis'] = `block ${thousands(genesisFromSettings(s))}${s.CHAIN_GENESIS_BLOCK === undefined ? ' (default)' : ''}`;
    out['chain head'] = `${s.CHAIN_USE_FINALIZED ? 'finalized' : 'latest'} block, ${s.CHAIN_CONFIRMATIONS} confirmations below latest`;
    out['chain reads'] = [
      s.CHAIN_EXCHANGES ? `OrderFilled of ${s.CHAIN_EXCHANGES.length} exchange(s)` : 'V2 fills',
      !s.CHAIN_EXCHANGES && s.CHAIN_V1_FILLS ? 'V1 fills' : null,
      !s.CHAIN_EXCHANGES && s.CHAIN_ACTIVITY ? 'activity' : null,
    ]
      .filter(Boolean)
      .join(', ');
    out['eth_getLogs caps'] =
      `${s.CHAIN_MAX_BLOCK_SPAN === undefined ? '2,000 blocks (default)' : `${thousands(s.CHAIN_MAX_BLOCK_SPAN)} blocks`}, ` +
      `${s.CHAIN_MAX_LOGS_PER_REQUEST === undefined ? '10,000 results (default)' : `${thousands(s.CHAIN_MAX_LOGS_PER_REQUEST)} results`}`;
  }
  return { ...out, ...extra };
}
