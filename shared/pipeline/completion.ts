import type { StateStore } from '../ports/state.ts';
import { stagedKey } from './messages.ts';

export interface RunProgress {
  shards: number;
  shardsDone: number;
  objectsStaged: number;
  objectsLoaded: number;
  rowsStaged: number;
  unloadedKeys: string[];
  complete: boolean;
}

/** Where a run stands: which shards are done and which staged objects still wait for the loader. */
export async function runProgress(state: StateStore, runId: string): Promise<RunProgress> {
  const [shards, loaded] = await Promise.all([state.listShards(runId), state.listLoaded(runId)]);
  const unloadedKeys: string[] = [];
  let objectsStaged = 0;
  let rowsStaged = 0;
  for (const s of shards) {
    rowsStaged += s.rowsStaged;
    for (let seq = 0; seq < s.nextSeq; seq++) {
      objectsStaged++;
      const key = stagedKey({ runId, source: s.source, shardId: s.shardId, seq });
      if (!loaded.has(key)) unloadedKeys.push(key);
    }
  }
  const shardsDone = shards.filter((s) => s.done).length;
  return {
    shards: shards.length,
    shardsDone,
    objectsStaged,
    objectsLoaded: objectsStaged - unloadedKeys.length,
    rowsStaged,
    unloadedKeys,
    complete: shardsDone === shards.length && unloadedKeys.length === 0,
  };
}

/**
 * Closes the run once every shard is fetched and every staged object is
 * loaded; only then do the watermarks move. Called by the fetcher after a
 * shard's last checkpoint and by the loader after recording a load: each
 * writes before it reads, so whichever comes last sees the finished run.
 */
export async function completeRunIfFinished(state: StateStore, runId: string): Promise<boolean> {
  const run = await state.getRun(runId);
  if (!run) return false;
  if (run.status === 'complete') return true;
  if (run.status !== 'enqueued') return false;
  const progress = await runProgress(state, runId);
  if (!progress.complete || progress.shards !== run.shardCount) return false;
  await state.completeRun(run);
  return true;
}
