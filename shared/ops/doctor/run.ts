import type { SourceSettings } from '#shared/config.ts';
import { buildSources } from '#shared/sources/registry.ts';
import { catalogueFromSettings } from '#shared/sources/chain/from-settings.ts';
import { shareOfAllowance } from '#shared/sources/pacing.ts';
import { POLYGON_CHAIN_ID, probeChain } from './chain.ts';
import { probeClob, probeGamma, probeSubgraph } from './http-sources.ts';
import { marketLists, readsSubgraph, settingsSummary } from './settings.ts';
import { causeText, check, type Check, type DoctorReport } from './types.ts';
import { probeWarehouse, type WarehouseProbeInput } from './warehouse.ts';

export interface DoctorInput {
  /** The sources' settings (readSettings(SOURCE_SETTINGS, env)), or why they could not be read. */
  settings: SourceSettings | { error: string };
  /** The warehouse to check; absent: not checked. */
  warehouse?: WarehouseProbeInput | undefined;
  /** The chain the RPC provider must serve; default 137 (Polygon). */
  expectedChainId?: number | undefined;
  /** More lines for the settings summary (data directory, warehouse). */
  extraSettings?: Record<string, string> | undefined;
}

/**
 * Checks every source the sync would read and the warehouse it would load,
 * in a fixed order: settings, market lists, subgraph, chain, ClickHouse.
 */
export async function runDoctor(input: DoctorInput): Promise<DoctorReport> {
  if ('error' in input.settings) {
    // No source can be asked without its settings; the warehouse still can.
    const warehouse = input.warehouse ? await probeWarehouse(input.warehouse) : [];
    return { ok: false, checks: [check('settings', 'fail', input.settings.error), ...warehouse], settings: { ...input.extraSettings } };
  }
  const s = input.settings;
  // A host that takes longer than this to answer one small request is reported, not waited on.
  const timeoutMs = Math.min(s.SOURCE_TIMEOUT_MS, 15_000);
  const lists = marketLists(s);
  const markets = s.SYNC_SOURCES.includes('markets');

  // One after another: each latency is the host's, not the event loop's while the others are being asked.
  const probes: (() => Promise<Check[]>)[] = [async () => [settingsCheck(s)]];
  if (markets && lists.includes('clob')) probes.push(async () => [await probeClob({ url: s.POLYMARKET_MARKETS_URL, timeoutMs })]);
  if (markets && lists.includes('gamma')) probes.push(async () => [await probeGamma({ url: s.POLYMARKET_GAMMA_URL, timeoutMs })]);
  if (readsSubgraph(s)) probes.push(() => probeSubgraph({ url: s.POLYMARKET_SUBGRAPH_URL, timeoutMs }));
  if (s.SYNC_SOURCES.includes('chain')) probes.push(() => chainChecks(s, timeoutMs, input.expectedChainId ?? POLYGON_CHAIN_ID));
  const warehouse = input.warehouse;
  if (warehouse) probes.push(() => probeWarehouse(warehouse));

  const checks: Check[] = [];
  for (const probe of probes) checks.push(...(await probe()));
  return { ok: checks.every((c) => c.status !== 'fail'), checks, settings: settingsSummary(s, input.extraSettings) };
}

/** Settings that parse can still contradict each other (buildSources refuses them); building the sources asks nothing of the network. */
function settingsCheck(s: SourceSettings): Check {
  try {
    buildSources(s);
    return check('settings', 'ok', `sources ${s.SYNC_SOURCES.join(', ')}`);
  } catch (err) {
    return check('settings', 'fail', causeText(err));
  }
}

async function chainChecks(s: SourceSettings, timeoutMs: number, expectedChainId: number): Promise<Check[]> {
  let filter;
  try {
    const catalogue = catalogueFromSettings(s);
    filter = { addresses: catalogue.addresses, topics: catalogue.topics };
  } catch (err) {
    return [check('chain: contracts', 'fail', causeText(err))];
  }
  return probeChain({
    url: s.POLYGON_RPC_URL,
    timeoutMs,
    expectedChainId,
    useFinalized: s.CHAIN_USE_FINALIZED,
    confirmations: s.CHAIN_CONFIRMATIONS,
    filter,
    maxBlockSpan: s.CHAIN_MAX_BLOCK_SPAN,
    maxLogsPerRequest: s.CHAIN_MAX_LOGS_PER_REQUEST,
    requestsPerSecond: shareOfAllowance('chain', s.CHAIN_REQUESTS_PER_SECOND, s.SOURCE_RATE_SHARED_BY)?.requestsPerSecond,
    inferTimestamps: s.CHAIN_INFER_TIMESTAMPS,
  });
}
