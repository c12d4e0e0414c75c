import type { ClickHouseClient } from '@clickhouse/client';
import type { StateStore } from '../ports/state.ts';
import { refreshPositions, type PositionsRefresh } from '../positions/refresh.ts';
import { count } from '../telemetry/counters.ts';

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
 */
export async function refreshDerivedTables(deps: DeriveDeps): Promise<PositionsRefresh | null> {
  const watermark = (await deps.state.getWatermarks()).chain;
  if (!watermark) return null;
  const upToBlock = Number(watermark.value);
  if (!Number.isSafeInteger(upToBlock) || upToBlock <= 0) return null;
  const refreshed = await refreshPositions(deps.client, deps.database, upToBlock);
  count('PositionsUpdated', refreshed.positionsWritten);
  return refreshed;
}
