import type { RunRecord, StateStore } from '#shared/ports/state.ts';
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

/**
 * Where a run stands: which shards are done and which staged objects still
 * wait for the loader. Lists every shard and every load record of the run:
 * for operator views and the planner's resume, never per load.
 */
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

/** What a completion check found: this call closed the run, it was closed before, or it is still open. */
export type RunClosing = 'closed' | 'complete' | 'open';

/**
 * Closes the run once every shard is fetched and every staged object is
 * loaded; only then do the watermarks move. Called by the fetcher after a
 * shard's last checkpoint and by the loader after its batch: each writes
 * before it reads, so whichever comes last sees the finished run.
 *
 * Constant work: one read of the run record, whose counters say how many
 * shards are settled (fetched and loaded). The close itself is a conditional
 * write on those counters, so of any number of racing callers one closes it.
 */
export async function closeRunIfFinished(state: StateStore, runId: string): Promise<RunClosing> {
  const run = await state.getRun(runId);
  if (!run) return 'open';
  if (run.status === 'complete') {
    // A closer that died between the close and clearing the open-run pointer left it behind.
    await state.completeRun(run);
    return 'complete';
  }
  if (run.status !== 'enqueued') return 'open';
  if (!(await isFinished(state, run))) return 'open';
  if (await state.completeRun(run)) return 'closed';
  return (await state.getRun(runId))?.status === 'complete' ? 'complete' : 'open';
}

/** True when the run is complete, whoever closed it. */
export async function completeRunIfFinished(state: StateStore, runId: string): Promise<boolean> {
  return (await closeRunIfFinished(state, runId)) !== 'open';
}

async function isFinished(state: StateStore, run: RunRecord): Promise<boolean> {
  if (run.counters) return run.counters.shardsSettled === run.shardCount;
  // Opened before the store kept counters (the run open when this version was deployed): by listing, as then.
  const progress = await runProgress(state, run.runId);
  return progress.complete && progress.shards === run.shardCount;
}
