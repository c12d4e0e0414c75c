import type { BlobStore, LoadQueue, ShardQueue } from '#shared/ports/index.ts';
import type { StateStore } from '#shared/ports/state.ts';
import { STAGED_TABLES, type StagedRecord } from '#shared/model/staged.ts';
import { readPages } from '#shared/sources/batch.ts';
import type { SourceRegistry } from '#shared/sources/registry.ts';
import { StagedObjectBuilderV2, STAGED_V2_CONTENT_TYPE } from '#shared/staging/format-v2.ts';
import { count } from '#shared/telemetry/counters.ts';
import { closeRunIfFinished } from './completion.ts';
import { stagedKey, type ShardMessage } from './messages.ts';
import { askForSplit, finishSplit, splitIfAsked, splitRequestWatch } from './shard-split.ts';

export interface FetcherDeps {
  state: StateStore;
  blobs: BlobStore;
  shardQueue: ShardQueue;
  sources: SourceRegistry;
  /** Source pages gathered into one staged object. */
  pagesPerObject: number;
  /**
   * When this fetcher is the one that closes the run (its last object was
   * loaded before its last checkpoint), it announces that object again, so a
   * loader runs once more after the watermarks moved and refreshes what is
   * derived from them (positions). Without it that refresh waits for the next run.
   */
  loadQueue?: LoadQueue;
}

export type FetchOutcome = 'done' | 'handed-back' | 'already-done' | 'superseded';

/** A message names something this deployment cannot work on: retrying will not help. */
export class PoisonMessageError extends Error {
  override name = 'PoisonMessageError';
}

/**
 * Pages one shard from its last recorded cursor. Each batch of pages becomes
 * one staged object under a deterministic key, and only then is the cursor
 * recorded, so a fetcher killed anywhere resumes without loss: at worst it
 * stages the same object again, which the loader deduplicates.
 */
export async function fetchShard(deps: FetcherDeps, message: ShardMessage, remainingMs: () => number, signal?: AbortSignal): Promise<FetchOutcome> {
  const source = deps.sources[message.source];
  if (!source) throw new PoisonMessageError(`source ${message.source} is not enabled in SYNC_SOURCES`);
  const shard = await deps.state.getShard(message.runId, message.shardId);
  if (!shard) throw new PoisonMessageError(`run ${message.runId} has no shard ${message.shardId}`);
  if (shard.done) {
    // The first delivery may have died between finishing the shard and counting or closing.
    await deps.state.settleShard(message.runId, message.shardId);
    await closeRunIfFinished(deps.state, message.runId);
    return 'already-done';
  }
  // A delivery that died midway through a split finishes it before paging on.
  if (shard.owedSplit) await finishSplit(deps, message, shard.owedSplit);
  if (shard.startedAt === undefined) await deps.state.startShard(message.runId, message.shardId);
  let spec = parseWith(source.specSchema, shard.spec, 'shard spec');
  let cursor = shard.cursor === null ? null : parseWith(source.cursorSchema, shard.cursor, 'shard cursor');
  let seq = shard.nextSeq;
  let rowsStaged = shard.rowsStaged;
  let slowestBatchMs = 0;

  for (;;) {
    const started = Date.now();
    const object = new StagedObjectBuilderV2();
    const tally = newTally();
    const { next } = await readPages(
      source,
      spec,
      cursor,
      deps.pagesPerObject,
      (records) => {
        object.add(records);
        tallyRecords(tally, records);
      },
      signal,
      splitRequestWatch(deps.state, message.runId, message.shardId),
    );
    let nextSeq = seq;
    if (object.records > 0) {
      const key = stagedKey({ runId: message.runId, source: message.source, shardId: message.shardId, seq });
      await deps.blobs.put(key, await object.finish(), STAGED_V2_CONTENT_TYPE);
      countStaged(tally);
      rowsStaged += object.records;
      nextSeq = seq + 1;
    }
    const done = next === null;
    const advanced = await deps.state.advanceShard(message.runId, message.shardId, seq, {
      cursor: next === null ? null : JSON.stringify(next),
      nextSeq,
      done,
      rowsStaged,
    });
    if (!advanced) return 'superseded';
    if (done) {
      const closing = await closeRunIfFinished(deps.state, message.runId);
      if (closing === 'closed' && nextSeq > 0 && deps.loadQueue) {
        await deps.loadQueue.announce([stagedKey({ runId: message.runId, source: message.source, shardId: message.shardId, seq: nextSeq - 1 })]);
      }
      if (closing === 'open') await askForSplit(deps, message.runId, message.shardId);
      return 'done';
    }
    cursor = next;
    seq = nextSeq;
    const kept = await splitIfAsked(deps, source, message, { spec, cursor, seq, rowsStaged });
    if (kept === null) return 'superseded';
    spec = kept;
    slowestBatchMs = Math.max(slowestBatchMs, Date.now() - started);
    if (remainingMs() < 2 * slowestBatchMs + 10_000) {
      // Out of time: a fresh message carries on from the recorded cursor. Failing the message
      // instead would count toward maxReceiveCount and push a healthy long shard into the DLQ.
      await deps.shardQueue.send([message]);
      count('ShardsHandedBack');
      return 'handed-back';
    }
  }
}

type Tally = Record<StagedRecord['table'], number>;

const newTally = (): Tally => Object.fromEntries(STAGED_TABLES.map((t) => [t, 0])) as Tally;

function tallyRecords(tally: Tally, records: readonly StagedRecord[]): void {
  for (const r of records) tally[r.table]++;
}

/** Counted once the object is stored, so the counters never include rows that were not staged. */
function countStaged(tally: Tally): void {
  count('ObjectsStaged');
  count('FillsStaged', tally.fills);
  count('MarketsStaged', tally.markets);
  count('ActivityStaged', tally.activity);
  count('RowsRejected', tally.rejects);
}

function parseWith<T>(schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: Error } }, json: string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new PoisonMessageError(`${what} is not JSON`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new PoisonMessageError(`${what} does not match its source's schema: ${parsed.error.message}`);
  return parsed.data;
}
