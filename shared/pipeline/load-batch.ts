import type { BlobStore, Warehouse, WarehouseProvider } from '#shared/ports/index.ts';
import type { StateStore } from '#shared/ports/state.ts';
import { assertSchemaCurrent } from '#adapters/clickhouse/schema.ts';
import { count } from '#shared/telemetry/counters.ts';
import type { PositionsRefresh } from '#shared/positions/refresh.ts';
import { completeRuns, loadObject, type LoadOutcome } from './loader.ts';
import { refreshDerivedTables, type DeriveDeps } from './derive.ts';
import { s3NotificationSchema, s3TestEventSchema } from './messages.ts';

export interface BatchLoaderDeps {
  state: StateStore;
  blobs: BlobStore;
  warehouse: WarehouseProvider;
}

export interface BatchFinish {
  /** The positions refresh after the batch; null when the chain has no watermark yet or it failed. */
  positions: PositionsRefresh | null;
  /** Why the refresh failed; the loads stand, and the next batch tries again. */
  positionsError?: unknown;
}

/**
 * The loader's work for one delivery of announcements: each announcement is
 * loaded once, runs whose last object came in are closed, and positions
 * follow the watermark.
 */
export interface LoadBatch {
  /** Loads the objects one announcement (an S3 notification body) names; S3's test event names none. */
  loadAnnouncement(body: unknown): Promise<LoadOutcome[]>;
  /** Closes the batch's runs and refreshes positions, as `refresh` says (the invocation's time budget; see DeriveDeps). */
  finish(refresh?: Pick<DeriveDeps, 'shouldStop' | 'skipIfBusy'>): Promise<BatchFinish>;
}

/**
 * One per function instance: it checks the warehouse's schema once, before
 * the first load, and starts a batch per delivery.
 */
export function createBatchLoader(deps: BatchLoaderDeps): { beginBatch(): Promise<LoadBatch> } {
  let checked: Promise<Warehouse> | undefined;
  const warehouse = () => {
    if (!checked) {
      const attempt = deps.warehouse().then(async (w) => {
        await assertSchemaCurrent(w.client, w.database);
        return w;
      });
      // A failed connection or check is tried again by the next batch, not remembered.
      attempt.catch(() => {
        if (checked === attempt) checked = undefined;
      });
      checked = attempt;
    }
    return checked;
  };
  return {
    async beginBatch() {
      return startBatch(deps, await warehouse());
    },
  };
}

function startBatch(deps: BatchLoaderDeps, warehouse: Warehouse): LoadBatch {
  const runIds: string[] = [];
  // A batch may announce one object twice (S3 retries, a planner re-announcing): load it once.
  const seen = new Set<string>();
  return {
    async loadAnnouncement(body) {
      if (s3TestEventSchema.safeParse(body).success) return [];
      const outcomes: LoadOutcome[] = [];
      for (const r of s3NotificationSchema.parse(body).Records) {
        // parseStagedKey undoes S3's URL encoding of the key; decode nothing here.
        const key = r.s3.object.key;
        if (seen.has(key)) continue;
        seen.add(key);
        const outcome = await loadObject({ state: deps.state, blobs: deps.blobs, ...warehouse }, key);
        runIds.push(outcome.runId);
        outcomes.push(outcome);
      }
      return outcomes;
    },
    async finish(refresh = {}) {
      await completeRuns(deps.state, runIds);
      return refreshPositions({ state: deps.state, ...warehouse, ...refresh }, runIds);
    },
  };
}

/**
 * Positions follow the chain's watermark. A failure here must not fail the
 * loads (they are in, and retrying them changes nothing): it is counted and
 * handed back, and the next batch tries again from where positions stand.
 */
async function refreshPositions(deps: DeriveDeps, runIds: string[]): Promise<BatchFinish> {
  try {
    return { positions: await refreshDerivedTables(deps, runIds) };
  } catch (error) {
    count('PositionsRefreshFailed');
    return { positions: null, positionsError: error };
  }
}
