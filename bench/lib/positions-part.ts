import type { ApproachRequest, ApproachResult, ChildMemory, PositionsRefreshFigures, PositionsStep } from './types.ts';
import { DEFAULT_POSITIONS_DATA, marketsFor, type GeneratedEvents, type PositionsDataSpec } from './positions-data.ts';

/** Fills of the positions part unless told otherwise: the acceptance size. */
export const DEFAULT_POSITIONS_FILLS = 10_000_000;
/** Fills per wallet of the default wallet population (500,000 wallets for 10 M fills). */
const FILLS_PER_WALLET = 20;
/** The target: an incremental refresh of 1% new events costs at most this share of a refresh from scratch. */
export const INCREMENTAL_TARGET_SHARE = 0.05;

export interface PositionsPartOptions {
  fills: number;
  wallets?: number;
  markets?: number;
  seed: number;
  /** New fills of the incremental run, as a share of the base's. */
  share: number;
  /** The chDB directory every step opens. */
  dir: string;
}

/** One step, measured in its own fresh child process. */
export interface PositionsStepRun {
  result: ApproachResult;
  memory: ChildMemory;
  loadBefore: string;
  loadAfter: string;
}

export interface PositionsRefreshRun extends PositionsStepRun {
  figures: PositionsRefreshFigures;
}

export interface PositionsReport {
  data: PositionsDataSpec;
  share: number;
  base?: GeneratedEvents & { markets?: number };
  generateMs?: number;
  fromScratch?: PositionsRefreshRun;
  increment?: GeneratedEvents;
  extendMs?: number;
  incremental?: PositionsRefreshRun;
  ok: boolean;
  reason?: string;
}

export type RunStep = (request: ApproachRequest) => Promise<PositionsStepRun>;

export function positionsDataSpec(o: Pick<PositionsPartOptions, 'fills' | 'wallets' | 'markets' | 'seed'>): PositionsDataSpec {
  return {
    ...DEFAULT_POSITIONS_DATA,
    seed: o.seed,
    fills: o.fills,
    wallets: o.wallets ?? Math.max(100, Math.round(o.fills / FILLS_PER_WALLET)),
    markets: o.markets ?? marketsFor(o.fills),
  };
}

const request = (dir: string, positions: PositionsStep): ApproachRequest => ({
  kind: 'positions',
  sources: { subgraphUrl: '', marketsUrl: '' },
  workers: 1,
  dir,
  expectedFills: 0,
  positions,
});

/**
 * Generates the base data, refreshes positions from scratch, adds `share`
 * new events in new blocks and refreshes again, each step in a fresh child
 * over the same chDB directory. A refresh must read exactly the events of
 * its window: anything else makes the part fail.
 */
export async function runPositionsPart(opts: PositionsPartOptions, runStep: RunStep, log: (line: string) => void): Promise<PositionsReport> {
  const data = positionsDataSpec(opts);
  const report: PositionsReport = { data, share: opts.share, ok: false };
  const n = (x: number) => x.toLocaleString('en-US');
  const fail = (reason: string) => {
    log(`positions: FAILED: ${reason}`);
    return Object.assign(report, { ok: false, reason });
  };
  const refresh = async (upToBlock: number, expected: number, label: string): Promise<PositionsRefreshRun | string> => {
    const run = await runStep(request(opts.dir, { step: 'refresh', upToBlock }));
    const p = run.result.positions;
    if (p?.step !== 'refresh') return `${label}: the child answered no refresh`;
    const r = p.refresh.result;
    log(
      `positions ${label}: ${n(r.events)} events of ${n(r.wallets)} wallets in ${(p.refresh.wallMs / 1000).toFixed(1)} s, ${n(r.positionsWritten)} positions written`,
    );
    if (r.events !== expected) return `${label} read ${n(r.events)} events, the window holds ${n(expected)}`;
    if (r.upToBlock !== upToBlock) return `${label} stopped at block ${r.upToBlock}, not ${upToBlock}`;
    return { ...run, figures: p.refresh };
  };
  try {
    log(`positions: generating ${n(data.fills)} fills over ${n(data.markets)} markets and ${n(data.wallets)} wallets in the engine`);
    const gen = await runStep(request(opts.dir, { step: 'generate', data }));
    if (gen.result.positions?.step !== 'generate') return fail('the generate step answered nothing');
    report.base = gen.result.positions.events;
    report.generateMs = gen.result.wallMs;
    const base = report.base;
    log(
      `positions: ${n(base.fills)} fills, ${n(base.activity)} activity rows, through block ${n(base.lastBlock)}, in ${(gen.result.wallMs / 1000).toFixed(1)} s`,
    );

    const scratch = await refresh(base.lastBlock, base.fills + base.activity, 'from scratch');
    if (typeof scratch === 'string') return fail(scratch);
    report.fromScratch = scratch;

    const ext = await runStep(request(opts.dir, { step: 'extend', data, share: opts.share }));
    if (ext.result.positions?.step !== 'extend') return fail('the extend step answered nothing');
    report.increment = ext.result.positions.events;
    report.extendMs = ext.result.wallMs;
    const inc = report.increment;
    if (scratch.figures.result.upToBlock >= inc.lastBlock) return fail('the new events are not in new blocks');

    const incremental = await refresh(inc.lastBlock, inc.fills + inc.activity, 'incremental');
    if (typeof incremental === 'string') return fail(incremental);
    if (incremental.figures.result.fromBlock !== scratch.figures.result.upToBlock)
      return fail('the incremental refresh did not start where the first one ended');
    report.incremental = incremental;
    report.ok = true;
    return report;
  } catch (err) {
    return fail((err as Error).message.split('\n').slice(0, 2).join(' ').slice(0, 300));
  }
}

/** Incremental wall time as a share of the from-scratch one, or null when either is missing. */
export function incrementalShareOfScratch(p: PositionsReport): number | null {
  if (!p.fromScratch || !p.incremental) return null;
  return p.incremental.figures.wallMs / p.fromScratch.figures.wallMs;
}
