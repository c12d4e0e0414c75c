import type { ShardQueue } from '#shared/ports/index.ts';
import type { OwedSplit, ShardRecord, StateStore } from '#shared/ports/state.ts';
import type { AnySource, StopEarly } from '#shared/sources/source.ts';
import type { SourceRegistry } from '#shared/sources/registry.ts';
import { count } from '#shared/telemetry/counters.ts';
import { SHARD_ID_PATTERN, shardMessageOf, type ShardMessage } from './messages.ts';

/*
 * The end of a backfill: shards are sized ahead from sampled densities, so
 * they finish a little apart, and the last one pages alone while the other
 * fetchers sit idle. A fetcher that finishes its shard when every shard has
 * been taken asks the running shard with the most rows left to split; that
 * shard's fetcher ends its batch after the page it is reading, and at that
 * checkpoint keeps half of what it has left and enqueues the other half as a
 * new shard for a free fetcher.
 *
 * Only the owner ever narrows its shard, so no fill is read by two shards
 * (only a message delivered twice reads the same blocks twice, as before).
 * The owner records the split it owes before it makes the new shard, and the
 * new shard is counted on the run before the owner can finish: the run never
 * closes without it. See adapters/aws/shard-splits.ts for the writes.
 */

interface SplitDeps {
  state: StateStore;
  shardQueue: ShardQueue;
  sources: SourceRegistry;
}

/** Where the owner stands after a checkpoint. */
export interface OwnerPosition<Spec, Cursor> {
  spec: Spec;
  cursor: Cursor;
  /** The shard's nextSeq as just recorded. */
  seq: number;
  rowsStaged: number;
}

/**
 * Between the pages of a batch: whether the shard has been asked to split,
 * so the batch can end there and the split follow at once (a shard is often
 * a single staged object, and splits happen at checkpoints). Each answer
 * comes from a read begun when the page began, so paging waits on none.
 */
export function splitRequestWatch(state: StateStore, runId: string, shardId: string): StopEarly {
  const read = () =>
    state.getShard(runId, shardId).then(
      (s) => s?.splitWanted === true,
      () => false, // a failed read only delays a split; the checkpoint reads again
    );
  let pending = read();
  return async () => {
    const asked = await pending;
    pending = read();
    return asked;
  };
}

/**
 * Called by a fetcher that finished its shard: when no shard of the run is
 * waiting to start, asks the running one with the most estimated rows left
 * (of a source that can divide its shards) to split. Returns the shard asked.
 */
export async function askForSplit(deps: Pick<SplitDeps, 'state' | 'sources'>, runId: string, finishedShardId: string): Promise<string | null> {
  // While some shard waits in the queue (a split-off one too: it is counted before it starts), that is work enough.
  const run = await deps.state.getRun(runId);
  if (!run || (run.shardsStarted ?? 0) < run.shardCount) return null;
  const shards = await deps.state.listShards(runId);
  let best: ShardRecord | null = null;
  for (const s of shards) {
    if (s.done || s.shardId === finishedShardId || s.splitWanted || s.owedSplit || !deps.sources[s.source]?.divideRest) continue;
    if (!best || rowsLeft(s) > rowsLeft(best)) best = s;
  }
  if (!best || !(await deps.state.requestSplit(runId, best.shardId))) return null;
  count('ShardSplitsAsked');
  return best.shardId;
}

/**
 * Called by a shard's fetcher after each checkpoint that did not finish it:
 * when asked, splits off half of what is left (or declines when too little
 * is). Returns the spec to go on with, or null when another delivery of the
 * message moved the shard on meanwhile.
 */
export async function splitIfAsked<Spec, Cursor>(
  deps: SplitDeps,
  source: AnySource,
  message: ShardMessage,
  at: OwnerPosition<Spec, Cursor>,
): Promise<Spec | null> {
  const shard = await deps.state.getShard(message.runId, message.shardId);
  if (!shard?.splitWanted) return at.spec;
  const division = source.divideRest?.(at.spec, at.cursor) ?? null;
  const shardId = division ? await deps.state.issueShardId(message.runId) : null;
  if (!division || !shardId || !SHARD_ID_PATTERN.test(shardId)) {
    await deps.state.endSplit(message.runId, message.shardId);
    return at.spec;
  }
  const left = Math.max(0, shard.estimatedRows - at.rowsStaged);
  const restRows = Math.round(left * division.restShare);
  const owed: OwedSplit = { shardId, spec: JSON.stringify(division.rest.spec), label: division.rest.label, estimatedRows: restRows };
  const keep = { spec: JSON.stringify(division.keep), estimatedRows: shard.estimatedRows - restRows };
  if (!(await deps.state.beginSplit(message.runId, message.shardId, at.seq, keep, owed))) return null;
  count('ShardsSplit');
  await finishSplit(deps, message, owed);
  return division.keep as Spec;
}

/** Makes the new shard a split owes (again, after a crash: each step is idempotent), enqueues it, and clears the debt. */
export async function finishSplit(deps: Pick<SplitDeps, 'state' | 'shardQueue'>, message: ShardMessage, owed: OwedSplit): Promise<void> {
  const shard: ShardRecord = {
    runId: message.runId,
    shardId: owed.shardId,
    source: message.source,
    spec: owed.spec,
    label: owed.label,
    estimatedRows: owed.estimatedRows,
    cursor: null,
    nextSeq: 0,
    done: false,
    rowsStaged: 0,
    updatedAt: Date.now(),
  };
  await deps.state.addSplitShard(shard);
  await deps.shardQueue.send([shardMessageOf(shard)]);
  await deps.state.endSplit(message.runId, message.shardId);
}

function rowsLeft(s: ShardRecord): number {
  return s.estimatedRows - s.rowsStaged;
}
