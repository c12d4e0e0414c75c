import type { PlannerResult } from '#shared/pipeline/planner.ts';
import type { StateStore, Watermark } from '#shared/ports/state.ts';
import type { PlanWindow, SourceName } from '#shared/sources/source.ts';
import type { PlannerInvoker } from '#shared/ports/ops.ts';
import { parseOperatorWindow } from './window.ts';

/** A replay refused for its window (the shared rules of ops/window.ts). */
export { WindowError as ReplayError } from './window.ts';

/**
 * Checks a replay's window with the rules every operator window follows
 * (ops/window.ts): a replay needs at least one bound.
 */
export function parseReplayWindow(from: string | undefined, to: string | undefined, sources: readonly SourceName[]): PlanWindow {
  const requiredMessage = 'a replay needs --from and/or --to (an ISO date, or a block number)';
  // With requiredMessage set, a missing window throws: what comes back is always a window.
  return parseOperatorWindow({ from, to }, { sources, requiredMessage }) as PlanWindow;
}

export interface ReplayDeps {
  state: Pick<StateStore, 'getOpenRunId' | 'getWatermarks'>;
  invoke: PlannerInvoker;
}

export interface ReplayReport {
  ok: boolean;
  window: PlanWindow;
  planner?: PlannerResult;
  message: string;
  watermarksBefore: Partial<Record<SourceName, string>>;
}

/**
 * Re-fetches a window of history. The planner plans a window as a run of its
 * own whose target is the current watermark, so a replay never moves a
 * watermark backwards; its loads add only the fill ids not loaded yet.
 * While a run is open the planner would resume it and ignore the window, so a
 * replay refuses to start then: finish the open run first.
 */
export async function replay(deps: ReplayDeps, window: PlanWindow): Promise<ReplayReport> {
  const watermarksBefore = plainWatermarks(await deps.state.getWatermarks());
  const open = await deps.state.getOpenRunId();
  if (open) {
    return {
      ok: false,
      window,
      watermarksBefore,
      message: `run ${open} is still open; a replay now would only resume it. Let it finish (or run the sync) and replay again.`,
    };
  }
  const planner = await deps.invoke(window);
  if (planner.outcome === 'busy') {
    return { ok: false, window, planner, watermarksBefore, message: 'another planner holds the lease right now; try again in a few minutes' };
  }
  if (planner.outcome === 'resumed') {
    return {
      ok: false,
      window,
      planner,
      watermarksBefore,
      message: `a run (${planner.runId}) opened meanwhile and was resumed instead; the window was not planned. Replay again once it finishes.`,
    };
  }
  return {
    ok: true,
    window,
    planner,
    watermarksBefore,
    message: `planned replay run ${planner.runId}: ${planner.shards} shard(s), about ${planner.estimatedRows.toLocaleString('en-US')} rows`,
  };
}

function plainWatermarks(w: Partial<Record<SourceName, Watermark>>): Partial<Record<SourceName, string>> {
  return Object.fromEntries(Object.entries(w).map(([k, v]) => [k, v!.value]));
}
