import type { PlannerResult } from '#shared/pipeline/planner.ts';
import type { StateStore, Watermark } from '#shared/ports/state.ts';
import type { PlanWindow, SourceName } from '#shared/sources/source.ts';
import type { PlannerInvoker } from '#shared/ports/ops.ts';

export class ReplayError extends Error {
  override name = 'ReplayError';
}

const NUMBER = /^(0|[1-9][0-9]*)$/;

/**
 * Checks an operator's window: each bound is an ISO date or a number (a block
 * number for the chain, unix seconds for the subgraph), both bounds of the
 * same kind, `from` not after `to`. Returns the window the planner takes.
 */
export function parseReplayWindow(from: string | undefined, to: string | undefined): PlanWindow {
  const f = from?.trim() || undefined;
  const t = to?.trim() || undefined;
  if (!f && !t) throw new ReplayError('a replay needs --from and/or --to (an ISO date, or a block number)');
  const kind = (v: string, name: string): 'number' | 'date' => {
    if (NUMBER.test(v)) return 'number';
    if (/^\d{4}-\d{2}-\d{2}/.test(v) && !Number.isNaN(Date.parse(v))) return 'date';
    throw new ReplayError(`--${name} ${JSON.stringify(v.slice(0, 40))} is neither an ISO date (2025-01-31T00:00:00Z) nor a block number`);
  };
  const fk = f ? kind(f, 'from') : undefined;
  const tk = t ? kind(t, 'to') : undefined;
  if (f && t) {
    if (fk !== tk) throw new ReplayError('--from and --to must both be dates or both be numbers');
    const order = fk === 'number' ? BigInt(f) > BigInt(t) : Date.parse(f) > Date.parse(t);
    if (order) throw new ReplayError(`--from ${f} is after --to ${t}`);
  }
  return { ...(f ? { from: f } : {}), ...(t ? { to: t } : {}) };
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
