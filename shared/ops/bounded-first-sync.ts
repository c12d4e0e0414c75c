import { z } from 'zod';
import { runPlanner, type PlannerDeps } from '#shared/pipeline/planner.ts';
import type { SourceRegistry } from '#shared/sources/registry.ts';
import type { AnySource, PlanWindow, SourceName } from '#shared/sources/source.ts';
import type { ChainClock } from '#shared/sources/chain/block-at-time.ts';
import type { SincePoint } from './window.ts';

/**
 * Where a full backfill after a bounded first sync starts: before any
 * Polymarket trade on chain (the V1 exchange's first block, 33,605,403, is
 * from 2022), so for every source the window reaches back to its beginning.
 */
export const FULL_HISTORY_FROM = '2020-01-01T00:00:00Z';

/** The sources whose watermark says how far history is loaded; the market list has none (it is read whole every run). */
const HISTORY_SOURCES = ['subgraph', 'chain'] as const satisfies readonly SourceName[];

export type BoundedStart =
  /** The starting points were recorded as the watermarks of the sources that had none: the next run reads from them to the head. */
  | {
      outcome: 'started';
      runId: string;
      since: SincePoint;
      startingPoints: Partial<Record<SourceName, string>>;
      kept: Partial<Record<SourceName, string>>;
      /** Sources `since` does not bound (it is at or before their first block): their first run reads everything. */
      wholeHistory: SourceName[];
      /** The window of a later full backfill: exactly the history before `since`. */
      backfill: PlanWindow;
    }
  /** No source needed a starting point: each has a watermark already (kept), or `since` is at or before its first block (wholeHistory). */
  | { outcome: 'nothing-to-start'; since: SincePoint; kept: Partial<Record<SourceName, string>>; wholeHistory: SourceName[] }
  /** A run is open (an interrupted sync): it is resumed first, and --since waits for a source without a watermark. */
  | { outcome: 'run-open'; runId: string; since: SincePoint }
  /** Another planner holds the lease. */
  | { outcome: 'busy'; since: SincePoint };

export interface BoundedStartDeps extends Omit<PlannerDeps, 'sources'> {
  /** The enabled sources (only which ones are enabled matters here). */
  sources: SourceRegistry;
  /** The chain source's clock (sources/chain/block-at-time.ts); needed when the chain is enabled. */
  chain?: Pick<ChainClock, 'genesis' | 'firstBlockAt'>;
}

/**
 * The watermark that makes a source's next run read from `since` on. A
 * watermark is the last point loaded, so:
 * - chain: the block before the first block at or after `since`; the run
 *   then reads [that block, safe head];
 * - subgraph: `since` in unix seconds; the run reads fills after it;
 * - null: `since` is at or before the chain source's first block, so there
 *   is nothing before it to leave out.
 * A full backfill's window `--to <since>` is the exact complement: the chain
 * resolves a date `to` to the last block before it, the subgraph reads
 * fills at or before it. No fill is in both, none in neither.
 */
export async function startingPoint(
  source: 'subgraph' | 'chain',
  since: SincePoint,
  deps: Pick<BoundedStartDeps, 'chain'>,
  signal?: AbortSignal,
): Promise<string | null> {
  if (source === 'subgraph') return String(since.unixSeconds);
  if (!deps.chain) throw new Error('a bounded first sync with the chain enabled needs the chain clock');
  const first = await deps.chain.firstBlockAt(since.unixSeconds, signal);
  // At or before the first block the source reads: nothing to leave out, the first run reads it all.
  return first <= deps.chain.genesis ? null : String(first - 1n);
}

/**
 * Starts a bounded first sync (`sync --since`): every enabled history source
 * without a watermark gets one at `since`, recorded by a run of its own that
 * plans no shards and completes at once (the planner's lease and open-run
 * rules apply, and the run's record says what was set). The scheduled run
 * that follows reads from there to the head and moves the watermarks to the
 * head, so later runs continue without a gap; the history before `since` is
 * loaded later by a windowed run over `backfill`, whose loads skip fills
 * already loaded and which never moves a watermark.
 *
 * Safe to repeat: a source with a watermark keeps it, an open run is left
 * to be resumed, so running the same command again after an interruption
 * just continues.
 */
export async function startBoundedFirstSync(deps: BoundedStartDeps, since: SincePoint, owner: string, signal?: AbortSignal): Promise<BoundedStart> {
  const open = await deps.state.getOpenRunId();
  if (open) return { outcome: 'run-open', runId: open, since };
  const watermarks = await deps.state.getWatermarks();
  const kept: Partial<Record<SourceName, string>> = {};
  const startingPoints: Partial<Record<SourceName, string>> = {};
  const wholeHistory: SourceName[] = [];
  for (const name of HISTORY_SOURCES) {
    if (!deps.sources[name]) continue;
    const current = watermarks[name]?.value;
    if (current !== undefined) {
      kept[name] = current;
      continue;
    }
    const point = await startingPoint(name, since, deps, signal);
    if (point === null) wholeHistory.push(name);
    else startingPoints[name] = point;
  }
  if (Object.keys(startingPoints).length === 0) return { outcome: 'nothing-to-start', since, kept, wholeHistory };
  const registry: SourceRegistry = Object.fromEntries(
    Object.entries(startingPoints).map(([name, point]) => [name, startingPointSource(name as SourceName, point)]),
  );
  const result = await runPlanner({ ...deps, sources: registry }, { owner, resumeAfterMs: 0 });
  if (result.outcome === 'busy') return { outcome: 'busy', since };
  // Another planner opened a run between the look and the lease: it is resumed, nothing was set.
  if (result.outcome === 'resumed') return { outcome: 'run-open', runId: result.runId, since };
  // So that `check` can tell the history left out on purpose from a range lost.
  for (const [name, point] of Object.entries(startingPoints)) {
    await deps.state.recordHistoryStart({ source: name as SourceName, watermark: point, since: since.iso, runId: result.runId });
  }
  return { outcome: 'started', runId: result.runId, since, startingPoints, kept, wholeHistory, backfill: { from: FULL_HISTORY_FROM, to: since.iso } };
}

/** A source that plans nothing and targets its starting point: the planner records it and completes the run. */
function startingPointSource(name: SourceName, point: string): AnySource {
  return {
    name,
    specSchema: z.never(),
    cursorSchema: z.never(),
    plan: () => Promise.resolve({ shards: [], target: point }),
    fetchPage: () => Promise.reject(new Error(`${name}: a starting-point run has no shards to fetch`)),
  };
}
