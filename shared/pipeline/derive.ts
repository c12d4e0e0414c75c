import { randomUUID } from 'node:crypto';
import type { ClickHouseClient } from '@clickhouse/client';
import type { StateStore } from '#shared/ports/state.ts';
import { refreshPositions, type PositionsRefresh } from '#shared/positions/refresh.ts';
import { assertIdentifier } from '#adapters/clickhouse/schema.ts';
import { count } from '#shared/telemetry/counters.ts';

export interface DeriveDeps {
  state: StateStore;
  client: ClickHouseClient;
  database: string;
  /** How often a loader asks again for the refresh another holds, and for how long at most (defaults: 250 ms, 2 min). */
  leaseWait?: { pollMs: number; maxWaitMs: number };
  /**
   * The caller's time budget (a Lambda's remaining time), asked between
   * batches of wallets: a refresh of a whole history outlasts an invocation,
   * so it stops in time and the next call resumes where it stopped.
   */
  shouldStop?: () => boolean;
  /** Leave the refresh to whoever holds it, instead of waiting a turn (the schedule, which only resumes one). */
  skipIfBusy?: boolean;
}

/**
 * One refresh at a time. Two at once after a windowed run each rebuilt: one
 * cleared the tables after the other had written its positions, then read
 * the other's progress row and had nothing left to do, and positions stayed
 * empty. Two incremental ones only repeated each other's rows and counts.
 */
export const POSITIONS_LEASE = 'positions';
/** Longer than a loader invocation may run (5 min), so a loader killed while it holds the lease frees it soon after. */
const POSITIONS_LEASE_MS = 6 * 60_000;
const DEFAULT_LEASE_WAIT = { pollMs: 250, maxWaitMs: 2 * 60_000 };

/**
 * Brings the tables derived from loaded events (positions) up to the chain's
 * watermark: every event at or below it is loaded, none above it is used.
 * Cheap when there is nothing new (one read of the watermark, one of the
 * positions' progress), so the loader calls it after every batch. Loaders
 * take turns under POSITIONS_LEASE: one that finds it held waits, then
 * brings positions to the watermark it reads then.
 *
 * A run over an operator's window (a backfill after switching V1 to the
 * chain, a replay) loads events below where positions already stand; the
 * method applies events in chain order only, so once such a run has
 * completed, positions are rebuilt from scratch, once per run.
 */
export async function refreshDerivedTables(deps: DeriveDeps, runIds: Iterable<string> = []): Promise<PositionsRefresh | null> {
  // Without a chain watermark there is nothing to derive, and no turn to take.
  if (chainWatermark(await deps.state.getWatermarks()) === null) return null;
  const owner = randomUUID();
  if (deps.skipIfBusy) {
    if (!(await deps.state.acquireLease(POSITIONS_LEASE, owner, POSITIONS_LEASE_MS))) return null;
  } else await waitForLease(deps, owner);
  try {
    return await refreshHeld(deps, runIds);
  } finally {
    await deps.state.releaseLease(POSITIONS_LEASE, owner);
  }
}

/** Waits its turn: the holder's refresh is usually short, and this one then finds little or nothing left to do. */
async function waitForLease(deps: DeriveDeps, owner: string): Promise<void> {
  const { pollMs, maxWaitMs } = deps.leaseWait ?? DEFAULT_LEASE_WAIT;
  const giveUpAt = Date.now() + maxWaitMs;
  while (!(await deps.state.acquireLease(POSITIONS_LEASE, owner, POSITIONS_LEASE_MS))) {
    if (Date.now() >= giveUpAt) {
      throw new Error(`positions: another loader has held the refresh for over ${Math.round(maxWaitMs / 1000)} s; the next batch refreshes them`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** The block positions may be brought to, or null while the chain has no usable watermark. */
function chainWatermark(watermarks: Awaited<ReturnType<StateStore['getWatermarks']>>): number | null {
  const upToBlock = Number(watermarks.chain?.value);
  return Number.isSafeInteger(upToBlock) && upToBlock > 0 ? upToBlock : null;
}

async function refreshHeld(deps: DeriveDeps, runIds: Iterable<string>): Promise<PositionsRefresh | null> {
  // Read again under the lease: a run may have completed while this loader waited its turn.
  const upToBlock = chainWatermark(await deps.state.getWatermarks());
  if (upToBlock === null) return null;
  const rebuildFor = await completedWindowedChainRun(deps, runIds);
  if (rebuildFor !== null) {
    // Marked at the start, so that a rebuild cut short by its time budget is resumed, not begun again.
    await clearPositions(deps.client, deps.database);
    await markRebuilt(deps.client, deps.database, rebuildFor);
  }
  const opts = deps.shouldStop ? { shouldStop: deps.shouldStop } : {};
  let refreshed: PositionsRefresh;
  let written = 0;
  // A refresh that finished a window begun earlier goes on to the watermark, time allowing.
  do {
    refreshed = await refreshPositions(deps.client, deps.database, upToBlock, opts);
    written += refreshed.positionsWritten;
  } while (!refreshed.complete && !deps.shouldStop?.());
  count('PositionsUpdated', written);
  return { ...refreshed, positionsWritten: written };
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
  await client.command({ query: `TRUNCATE TABLE ${db}.positions_partial` });
}

/** Positions are current through block 0 (nothing), rebuilt for `runId`: the refresh that follows starts from the beginning. */
async function markRebuilt(client: ClickHouseClient, database: string, runId: string): Promise<void> {
  await client.insert({
    table: `${assertIdentifier(database)}.positions_progress`,
    values: [{ up_to_block: 0, wallets: 0, events: 0, rebuilt_for_run: runId }],
    format: 'JSONEachRow',
  });
}
