import type { ClickHouseClient } from '@clickhouse/client';
import type { StateStore } from '#shared/ports/state.ts';
import { refreshPositions, type PositionsRefresh } from '#shared/positions/refresh.ts';
import { assertIdentifier } from '#adapters/clickhouse/schema.ts';
import { count } from '#shared/telemetry/counters.ts';

export interface DeriveDeps {
  state: StateStore;
  client: ClickHouseClient;
  database: string;
}

/**
 * Brings the tables derived from loaded events (positions) up to the chain's
 * watermark: every event at or below it is loaded, none above it is used.
 * Cheap when there is nothing new (one read of the watermark, one of the
 * positions' progress), so the loader calls it after every batch; it is
 * idempotent, so two loaders doing it at once only repeat each other.
 *
 * A run over an operator's window (a backfill after switching V1 to the
 * chain, a replay) loads events below where positions already stand; the
 * method applies events in chain order only, so once such a run has
 * completed, positions are rebuilt from scratch, once per run.
 */
export async function refreshDerivedTables(deps: DeriveDeps, runIds: Iterable<string> = []): Promise<PositionsRefresh | null> {
  const watermark = (await deps.state.getWatermarks()).chain;
  if (!watermark) return null;
  const upToBlock = Number(watermark.value);
  if (!Number.isSafeInteger(upToBlock) || upToBlock <= 0) return null;
  const rebuildFor = await completedWindowedChainRun(deps, runIds);
  if (rebuildFor !== null) await clearPositions(deps.client, deps.database);
  const refreshed = await refreshPositions(deps.client, deps.database, upToBlock);
  if (rebuildFor !== null) await markRebuilt(deps.client, deps.database, rebuildFor, upToBlock);
  count('PositionsUpdated', refreshed.positionsWritten);
  return refreshed;
}

/** A completed run of these that read the chain over an operator's window, and whose rebuild has not happened yet. */
async function completedWindowedChainRun(deps: DeriveDeps, runIds: Iterable<string>): Promise<string | null> {
  for (const runId of new Set(runIds)) {
    const run = await deps.state.getRun(runId);
    if (!run || run.status !== 'complete' || !run.window || !run.sources.chain?.shards) continue;
    const db = assertIdentifier(deps.database);
    const res = await deps.client.query({
      query: `SELECT count() AS n FROM ${db}.positions_progress WHERE rebuilt_for_run = {runId:String}`,
      query_params: { runId },
      format: 'JSONEachRow',
    });
    const [{ n }] = (await res.json()) as [{ n: string }];
    if (Number(n) === 0) return runId;
  }
  return null;
}

async function clearPositions(client: ClickHouseClient, database: string): Promise<void> {
  const db = assertIdentifier(database);
  await client.command({ query: `TRUNCATE TABLE ${db}.positions` });
  await client.command({ query: `TRUNCATE TABLE ${db}.positions_progress` });
}

async function markRebuilt(client: ClickHouseClient, database: string, runId: string, upToBlock: number): Promise<void> {
  await client.insert({
    table: `${assertIdentifier(database)}.positions_progress`,
    values: [{ up_to_block: upToBlock, wallets: 0, events: 0, rebuilt_for_run: runId }],
    format: 'JSONEachRow',
  });
}
