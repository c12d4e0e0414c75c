import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { extendDataset, generateDataset, startSimulatedSources, type Dataset } from '#simulator/index.ts';
import type { ApproachRequest, ApproachResult, ChildMemory } from '#bench/lib/types.ts';
import { load, machineInfo, type MachineInfo } from '#bench/lib/machine.ts';
import { costModel, type CostLine } from '#bench/lib/cost.ts';
import { DEFAULT_POSITIONS_FILLS, runPositionsPart, type PositionsReport } from '#bench/lib/positions-part.ts';
import { Child, killLiveChildren } from '#bench/lib/child-process.ts';
import { resetSources, tally, type SourceTally } from '#bench/lib/source-tally.ts';
import { startInsertSink, writeStagedFiles } from '#bench/lib/loader-inputs.ts';

export type { SourceTally } from '#bench/lib/source-tally.ts';

/** Polymarket's own ratio: 171,305 markets for 37 M fills on the subgraph (the seed's full backfill). */
export const FILLS_PER_MARKET = 37_000_000 / 171_305;

export interface BenchOptions {
  fills: number;
  markets?: number;
  seed: number;
  /** Share of all fills held by the heaviest market. */
  topShare: number;
  /** Source limit: requests per second (each simulated server its own bucket), burst = rate. */
  rate: number;
  /** Added to every source response, as a network round trip and query time. */
  latencyMs: number;
  /** Pipeline fetcher concurrency = per-market workers. */
  workers: number;
  pagesPerObject?: number;
  /**
   * V8 old-space cap (MiB) for the fetcher-alone child, as a function with a
   * small memory size imposes; unset: uncapped, and V8 grows the heap lazily.
   */
  fetcherHeapMib?: number;
  /** Leave the pipeline unpaced (no SUBGRAPH_/MARKETS_REQUESTS_PER_SECOND), to show what pacing buys. */
  unpaced?: boolean;
  /** Rows in the loader benchmark's single big object. */
  loaderRows: number;
  /** New fills in the incremental runs (pipeline, positions), as a share of the backfill. */
  incrementalShare: number;
  /** Positions part: fills generated in the engine (default 10 M), wallet and market populations. */
  positionsFills?: number;
  positionsWallets?: number;
  positionsMarkets?: number;
  approaches: Set<string>;
  /** Scratch space (chDB directories, staged files); removed afterwards unless keep. */
  workDir: string;
  keep?: boolean;
  /** Extra node flags for the children (e.g. --cpu-prof). */
  childExecArgv?: string[];
  log?: (line: string) => void;
}

export const ALL_APPROACHES = [
  'pipeline',
  'per-market',
  'global-cursor',
  'global-cursor-lossy',
  'fetcher',
  'loader',
  'loader-sink',
  'incremental',
  'positions',
] as const;

export interface Measured {
  name: string;
  result: ApproachResult;
  memory: ChildMemory;
  source: SourceTally;
  loadBefore: string;
  loadAfter: string;
}

export interface BenchReport {
  options: Omit<BenchOptions, 'approaches' | 'log'> & { approaches: string[]; markets: number };
  machine: MachineInfo;
  startedAt: string;
  datasetMs: number;
  dataset: { fills: number; markets: number; heaviestMarketFills: number; marketsUnder100: number; marketsOver100k: number };
  physicalLimitFillsPerSecond: number;
  runs: Measured[];
  incremental?: { newFills: number; minimumSubgraphRequests: number; measured: Measured };
  cost?: CostLine[];
  positions?: PositionsReport;
}

function describeDataset(ds: Dataset) {
  const perToken = new Map<string, number>();
  for (const f of ds.fills) {
    const t = f.makerAssetId === '0' ? f.takerAssetId : f.makerAssetId;
    perToken.set(t, (perToken.get(t) ?? 0) + 1);
  }
  const perMarket = ds.markets.map((m) => (perToken.get(m.tokens[0].tokenId) ?? 0) + (perToken.get(m.tokens[1].tokenId) ?? 0));
  return {
    fills: ds.fills.length,
    markets: ds.markets.length,
    heaviestMarketFills: Math.max(...perMarket),
    marketsUnder100: perMarket.filter((n) => n < 100).length,
    marketsOver100k: perMarket.filter((n) => n > 100_000).length,
  };
}

/** The positions part, each step in a fresh child, before the simulated sources start (it needs none). */
async function positionsPart(opts: BenchOptions, workDir: string, log: (line: string) => void): Promise<PositionsReport> {
  const part = { fills: opts.positionsFills ?? DEFAULT_POSITIONS_FILLS, wallets: opts.positionsWallets, markets: opts.positionsMarkets };
  try {
    return await runPositionsPart(
      { ...part, seed: opts.seed, share: opts.incrementalShare, dir: join(workDir, 'positions') },
      async (request) => {
        const loadBefore = load();
        const child = await Child.start(opts.childExecArgv ?? []);
        const result = await child.run(request);
        return { result, memory: await child.exit(), loadBefore, loadAfter: load() };
      },
      log,
    );
  } finally {
    killLiveChildren();
    if (!opts.keep) rmSync(join(workDir, 'positions'), { recursive: true, force: true });
  }
}

export async function runBench(opts: BenchOptions): Promise<BenchReport> {
  const log = opts.log ?? (() => undefined);
  const markets = opts.markets ?? Math.max(1, Math.round(opts.fills / FILLS_PER_MARKET));
  const workDir = resolve(opts.workDir);
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const startedAt = new Date().toISOString();
  const positions = opts.approaches.has('positions') ? await positionsPart(opts, workDir, log) : undefined;
  if (positions && opts.approaches.size === 1) {
    const dataset = { fills: 0, markets: 0, heaviestMarketFills: 0, marketsUnder100: 0, marketsOver100k: 0 };
    const options = { ...opts, approaches: [...opts.approaches], markets };
    return { options, machine: machineInfo(), startedAt, datasetMs: 0, dataset, physicalLimitFillsPerSecond: opts.rate * 1000, runs: [], positions };
  }
  const t0 = Date.now();
  const ds = generateDataset({ seed: opts.seed, markets, fills: opts.fills, topShare: opts.topShare });
  const datasetMs = Date.now() - t0;
  const dataset = describeDataset(ds);
  log(
    `dataset: ${dataset.fills.toLocaleString('en-US')} fills over ${dataset.markets.toLocaleString('en-US')} markets in ${(datasetMs / 1000).toFixed(1)} s (heaviest market ${dataset.heaviestMarketFills.toLocaleString('en-US')} fills)`,
  );
  const sim = await startSimulatedSources({ dataset: ds, rateLimit: { perSecond: opts.rate, burst: opts.rate } });
  const sources = { subgraphUrl: sim.subgraphUrl, marketsUrl: sim.marketsUrl };
  const execArgv = opts.childExecArgv ?? [];
  const report: BenchReport = {
    options: { ...opts, approaches: [...opts.approaches], markets },
    machine: machineInfo(),
    startedAt,
    datasetMs,
    dataset,
    physicalLimitFillsPerSecond: opts.rate * 1000,
    runs: [],
    positions,
  };
  const base = (kind: ApproachRequest['kind'], name: string): ApproachRequest => ({
    kind,
    sources,
    workers: opts.workers,
    dir: join(workDir, name),
    expectedFills: ds.fills.length,
    pagesPerObject: opts.pagesPerObject,
  });

  /** Runs one request in a fresh child and measures it. */
  const measure = async (name: string, request: ApproachRequest, child?: Child, extraArgv: string[] = []): Promise<Measured> => {
    resetSources(sim, opts);
    const loadBefore = load();
    log(`${name}: running (load ${loadBefore})`);
    const own = child ?? (await Child.start([...execArgv, ...extraArgv]));
    let result: ApproachResult;
    try {
      result = await own.run(request);
    } catch (err) {
      // A failed approach is a result too: report it and go on with the others.
      const message = (err as Error).message;
      log(`${name}: FAILED: ${message}`);
      result = {
        kind: request.kind,
        ok: false,
        reason: message.split('\n').slice(0, 2).join(' ').slice(0, 300),
        wallMs: 0,
        fillsLoaded: 0,
        fillsInWarehouse: 0,
        clickhouseInserts: 0,
        clientRequests: 0,
        clientThrottled: 0,
        extra: {},
      };
    }
    const source = tally(sim);
    const memory = child ? { maxRssBytes: 0, peakJsBytes: 0, baselineRssBytes: 0 } : await own.exit();
    const m: Measured = { name, result, memory, source, loadBefore, loadAfter: load() };
    log(
      `${name}: ${result.ok ? 'ok' : `NOT ok (${result.reason})`} in ${(result.wallMs / 1000).toFixed(1)} s, ${Math.round(result.fillsLoaded / (result.wallMs / 1000)).toLocaleString('en-US')} fills/s, ${source.requests} source requests (${source.rateLimited} answered 429)`,
    );
    return m;
  };

  try {
    let pipelineChild: Child | undefined;
    let pipelineRun: Measured | undefined;
    if (opts.approaches.has('pipeline')) {
      pipelineChild = await Child.start(execArgv);
      pipelineRun = await measure(
        'pipeline',
        { ...base('pipeline-backfill', 'pipeline'), sourceRequestsPerSecond: opts.unpaced ? undefined : opts.rate },
        pipelineChild,
      );
      report.runs.push(pipelineRun);
    }
    if (opts.approaches.has('per-market')) report.runs.push(await measure('per-market', base('per-market', 'per-market')));
    if (opts.approaches.has('global-cursor')) {
      report.runs.push(await measure('global-cursor', { ...base('global-cursor', 'global-cursor'), cursor: 'complete' }));
    }
    if (opts.approaches.has('global-cursor-lossy')) {
      report.runs.push(await measure('global-cursor-lossy', { ...base('global-cursor', 'global-cursor-lossy'), cursor: 'timestamp_gt' }));
    }
    if (opts.approaches.has('fetcher')) {
      const heapCap = opts.fetcherHeapMib ? [`--max-old-space-size=${opts.fetcherHeapMib}`] : [];
      // One invocation per source, as deployed: the fetcher's heap cap (FETCHER_MEMORY.heapMib unless told otherwise) and PAGES_PER_OBJECT.
      report.runs.push(await measure('fetcher', base('fetcher', 'fetcher'), undefined, heapCap));
      report.runs.push(await measure('fetcher-markets', { ...base('fetcher', 'fetcher-markets'), fetcherSource: 'markets' }, undefined, heapCap));
    }
    if (opts.approaches.has('loader') || opts.approaches.has('loader-sink')) {
      const files = await writeStagedFiles(ds, join(workDir, 'staged'), opts.loaderRows, 20_000);
      const req = (name: string, list: string[]): ApproachRequest => ({ ...base('loader', name), files: list, expectedFills: files.rows });
      if (opts.approaches.has('loader')) {
        report.runs.push(await measure('loader-1-object', req('loader-big', [files.big])));
        report.runs.push(await measure('loader-20k-objects', req('loader-small', files.small)));
      }
      if (opts.approaches.has('loader-sink')) {
        const sink = await startInsertSink();
        try {
          report.runs.push(await measure('loader-http-sink', { ...req('loader-sink', [files.big]), sinkUrl: sink.url }));
        } finally {
          await sink.close();
        }
      }
    }
    if (pipelineChild && pipelineRun) {
      const m = pipelineRun.result;
      if (opts.approaches.has('incremental')) {
        const newFills = Math.max(1, Math.round(ds.fills.length * opts.incrementalShare));
        const newMarkets = Math.max(1, Math.round(newFills / FILLS_PER_MARKET / 4));
        extendDataset(ds, { seed: opts.seed + 1, newMarkets, newFills });
        const measured = await measure('incremental', { ...base('pipeline-incremental', 'pipeline'), expectedFills: ds.fills.length }, pipelineChild);
        // A query for _meta fixes the run's upper bound; then full pages of new fills, and one more page that comes back short (proof of the end).
        const minimumSubgraphRequests = 1 + Math.floor(newFills / 1000) + 1;
        report.incremental = { newFills, minimumSubgraphRequests, measured };
      }
      pipelineRun.memory = await pipelineChild.exit();
      report.cost = costModel({
        fills: m.fillsLoaded,
        plannerMs: Number(m.extra.plannerMs ?? 0),
        invocations: m.invocations ?? {},
        awsCalls: m.awsCalls ?? {},
        objectsStaged: Number(m.extra.objectsStaged ?? 0),
      });
    }
  } finally {
    killLiveChildren();
    await sim.close();
    if (!opts.keep) rmSync(workDir, { recursive: true, force: true });
  }
  return report;
}
