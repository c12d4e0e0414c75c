import type { ClickHouseClient } from '@clickhouse/client';
import type { BlobStore } from '#shared/ports/index.ts';
import type { StateStore } from '#shared/ports/state.ts';
import { loadStagedObject } from '#adapters/clickhouse/load-staged.ts';
import { count } from '#shared/telemetry/counters.ts';
import { completeRunIfFinished } from './completion.ts';
import { parseStagedKey, stagedKey } from './messages.ts';
import { PoisonMessageError } from './fetcher.ts';

export interface LoaderDeps {
  state: StateStore;
  blobs: BlobStore;
  client: ClickHouseClient;
  database: string;
  now?: () => number;
}

export interface LoadOutcome {
  key: string;
  runId: string;
  fills: number;
  rejects: number;
  /** The same version was loaded before (a redelivered notification): nothing was sent. */
  skipped: boolean;
}

/**
 * Loads one staged object, then records it as loaded. The record comes only
 * after ClickHouse acknowledged the insert, and the watermark moves only when
 * every object of the run has such a record, so it never passes a fill that
 * is not in ClickHouse. The object stays in S3; the lifecycle rule removes it.
 */
export async function loadObject(deps: LoaderDeps, announcedKey: string): Promise<LoadOutcome> {
  const staged = parseStagedKey(announcedKey);
  if (!staged) throw new PoisonMessageError(`${JSON.stringify(announcedKey.slice(0, 200))} is not a staged object key`);
  const key = stagedKey(staged);
  const object = await deps.blobs.get(key);
  if (await deps.state.isLoaded(staged.runId, key, object.etag)) {
    object.body.destroy();
    return { key, runId: staged.runId, fills: 0, rejects: 0, skipped: true };
  }
  const skipLoadedFills = await isWindowedRun(deps.state, staged.runId);
  const result = await loadStagedObject(deps.client, deps.database, { key, etag: object.etag, body: object.body }, { skipLoadedFills });
  const rows = Object.values(result.rows).reduce((a, b) => a + b, 0);
  await deps.state.markLoaded(staged.runId, { key, etag: object.etag, rows }, { shardId: staged.shardId, seq: staged.seq });
  await deps.state.recordLoad((deps.now ?? Date.now)(), result.newestFillTimestamp === null ? {} : { [staged.source]: result.newestFillTimestamp });
  count('ObjectsLoaded');
  count('FillsLoaded', result.rows.fills - result.fillsAlreadyLoaded);
  count('FillsAlreadyLoaded', result.fillsAlreadyLoaded);
  count('MarketsLoaded', result.rows.markets);
  count('ActivityLoaded', result.rows.activity);
  count('ActivityReattributed', result.activityReattributed);
  return { key, runId: staged.runId, fills: result.rows.fills, rejects: result.rows.rejects, skipped: false };
}

const windowedRuns = new Map<string, boolean>();

/** A run planned for an operator's window (a replay) may repeat loaded fills. A run's window never changes, so it is remembered. */
async function isWindowedRun(state: StateStore, runId: string): Promise<boolean> {
  let windowed = windowedRuns.get(runId);
  if (windowed === undefined) {
    windowed = Boolean((await state.getRun(runId))?.window);
    if (windowedRuns.size >= 100) windowedRuns.clear();
    windowedRuns.set(runId, windowed);
  }
  return windowed;
}

/** Checked once per batch and run: one read of each run's record (its counters), whatever the run's size. */
export async function completeRuns(state: StateStore, runIds: Iterable<string>): Promise<void> {
  for (const runId of new Set(runIds)) await completeRunIfFinished(state, runId);
}
