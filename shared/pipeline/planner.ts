import type { LoadQueue, ShardQueue } from '#shared/ports/index.ts';
import type { RunRecord, ShardRecord, StateStore } from '#shared/ports/state.ts';
import type { SourceRegistry } from '#shared/sources/registry.ts';
import { SOURCE_NAMES, type PlannedShard, type PlanWindow, type SourceName } from '#shared/sources/source.ts';
import { completeRunIfFinished, runProgress } from './completion.ts';
import { shardMessageOf } from './messages.ts';
import { newRunId, shardIdOf } from './run-ids.ts';

export interface PlannerDeps {
  state: StateStore;
  shardQueue: ShardQueue;
  loadQueue: LoadQueue;
  sources: SourceRegistry;
  /** Shards fetched at once (the fetchers' concurrency), handed to each source's plan as `PlanInput.fetcherConcurrency`. */
  fetcherConcurrency?: number;
  now?: () => number;
}

export interface PlannerOptions {
  /** Identifies this planner in the lease. */
  owner: string;
  window?: PlanWindow;
  /**
   * When a run is still open, shards untouched for this long are enqueued
   * again (their messages may be lost) and unloaded objects re-announced.
   * 0 re-enqueues everything unfinished, as after a local crash.
   */
  resumeAfterMs: number;
  leaseMs?: number;
}

export type PlannerResult =
  | { outcome: 'busy' }
  | { outcome: 'planned'; runId: string; shards: number; estimatedRows: number; complete: boolean }
  | {
      outcome: 'resumed';
      runId: string;
      shardsRequeued: number;
      objectsReannounced: number;
      complete: boolean;
      /** A window was asked for, but an open run must finish first: plan it again after. */
      windowIgnored?: boolean;
    };

export const PLANNER_LEASE = 'planner';

/**
 * Decides what this run fetches. Holds a lease so two planners started at
 * once never both plan; while a run is open it resumes that run instead of
 * starting another, so watermarks only move forward through completed runs.
 */
export async function runPlanner(deps: PlannerDeps, opts: PlannerOptions): Promise<PlannerResult> {
  const now = deps.now ?? Date.now;
  if (!(await deps.state.acquireLease(PLANNER_LEASE, opts.owner, opts.leaseMs ?? 15 * 60_000))) {
    return { outcome: 'busy' };
  }
  try {
    const openRunId = await deps.state.getOpenRunId();
    if (openRunId) {
      const resumed = await resume(deps, openRunId, opts.resumeAfterMs, now);
      return opts.window ? { ...resumed, windowIgnored: true } : resumed;
    }
    return await planNewRun(deps, opts, now);
  } finally {
    await deps.state.releaseLease(PLANNER_LEASE, opts.owner);
  }
}

/** A planned shard as the state records it before any fetcher has touched it. */
export function newShardRecord(runId: string, shardId: string, source: SourceName, planned: PlannedShard<unknown>, at: number): ShardRecord {
  return {
    runId,
    shardId,
    source,
    spec: JSON.stringify(planned.spec),
    label: planned.label,
    estimatedRows: planned.estimatedRows,
    cursor: null,
    nextSeq: 0,
    done: false,
    rowsStaged: 0,
    updatedAt: at,
  };
}

async function planNewRun(deps: PlannerDeps, opts: PlannerOptions, now: () => number): Promise<PlannerResult> {
  const watermarks = await deps.state.getWatermarks();
  const runId = newRunId(now());
  const run: RunRecord = { runId, status: 'planning', createdAt: now(), sources: {}, shardCount: 0, ...(opts.window ? { window: opts.window } : {}) };
  const shards: ShardRecord[] = [];
  for (const name of SOURCE_NAMES) {
    const source = deps.sources[name];
    if (!source) continue;
    const plan = await source.plan({ watermark: watermarks[name]?.value ?? null, window: opts.window, fetcherConcurrency: deps.fetcherConcurrency });
    let estimatedRows = 0;
    for (const planned of plan.shards) {
      estimatedRows += planned.estimatedRows;
      shards.push(newShardRecord(runId, shardIdOf(shards.length), name, planned, now()));
    }
    run.sources[name] = { target: plan.target, shards: plan.shards.length, estimatedRows };
  }
  run.shardCount = shards.length;
  // Shards first, then the run that points at them: a planner that dies in between leaves only
  // unreferenced shard items, and an open run always has all of its shards recorded.
  for (const shard of shards) await deps.state.putShard(shard);
  if (!(await deps.state.openRun(run))) return { outcome: 'busy' };
  await deps.shardQueue.send(shards.map(shardMessageOf));
  await deps.state.setRunStatus(runId, 'enqueued');
  const complete = await completeRunIfFinished(deps.state, runId);
  const estimatedRows = shards.reduce((n, s) => n + s.estimatedRows, 0);
  return { outcome: 'planned', runId, shards: shards.length, estimatedRows, complete };
}

async function resume(deps: PlannerDeps, runId: string, resumeAfterMs: number, now: () => number): Promise<Extract<PlannerResult, { outcome: 'resumed' }>> {
  const run = await deps.state.getRun(runId);
  // A planner that died after opening the run may not have enqueued it; its shards are all recorded.
  if (run?.status === 'planning') await deps.state.setRunStatus(runId, 'enqueued');
  const stale = (await deps.state.listShards(runId)).filter((s) => !s.done && now() - s.updatedAt >= resumeAfterMs);
  await deps.shardQueue.send(stale.map(shardMessageOf));
  const { unloadedKeys } = await runProgress(deps.state, runId);
  await deps.loadQueue.announce(unloadedKeys);
  const complete = await completeRunIfFinished(deps.state, runId);
  return { outcome: 'resumed', runId, shardsRequeued: stale.length, objectsReannounced: unloadedKeys.length, complete };
}
